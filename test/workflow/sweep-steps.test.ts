import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientFactory } from '../../src/core/clients.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { SweepLockedError } from '../../src/core/errors.ts';
import { silentLog } from '../../src/core/log.ts';
import type { Finding } from '../../src/core/schemas.ts';
import { costByVerdict, renderReportHtml } from '../../src/sweep/html.ts';
import { sweepIdFromExecutionName, validateSweep } from '../../src/sweep/input.ts';
import { acquireLock, releaseLock } from '../../src/sweep/lock.ts';
import { causeMessage } from '../../src/sweep/map-results.ts';
import type { SweepReport } from '../../src/sweep/model.ts';
import { summarize } from '../../src/sweep/summary.ts';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { World } from '../../local/sim/world.ts';

const finding = (name: string, verdict: Finding['verdict'], cost: number | null): Finding => ({
  accountId: '222222222222',
  region: 'us-east-1',
  endpointName: name,
  endpointArn: `arn:aws:sagemaker:us-east-1:222222222222:endpoint/${name}`,
  verdict,
  reason: `${verdict} <because>`,
  endpointType: 'real-time',
  instanceType: 'ml.m5.large',
  instanceCount: 1,
  invocations: 0,
  lastInvokedAt: null,
  monthlyCostUsd: cost,
});

describe('sweep steps: pure rules', () => {
  it('derives sweep ids from execution names only when valid', () => {
    expect(sweepIdFromExecutionName('weekly_run_2025')).toBe('weekly-run-2025');
    expect(sweepIdFromExecutionName('3f2b1c9e-1111-2222-3333-444455556666')).toBe('3f2b1c9e-1111-2222-3333-444455556666');
    expect(sweepIdFromExecutionName('__')).toBeUndefined();
  });

  it('summarizes found, deleted, saved and skipped-with-reason', () => {
    const findings = [finding('a', 'zombie', 100), finding('b', 'zombie', 50.5), finding('c', 'zombie', null), finding('d', 'active', null)];
    const base = { accountId: '222222222222', region: 'us-east-1', tagged: true, snapshot: 'archived' as const };
    const summary = summarize(
      [{ accountId: '222222222222', region: 'us-east-1', status: 'ok', endpoints: 4, zombies: 3, zombieMonthlyCostUsd: 150.5 }],
      findings,
      [
        {
          ...base,
          endpointName: 'a',
          endpointArn: findings[0]!.endpointArn,
          monthlyCostUsd: 100,
          decision: 'approved',
          deletion: 'deleted',
          artifacts: 2,
          bytes: 10,
        },
        {
          ...base,
          endpointName: 'b',
          endpointArn: findings[1]!.endpointArn,
          monthlyCostUsd: 50.5,
          decision: 'approved',
          deletion: 'skipped',
          reason: 'invoked since detection',
        },
        {
          accountId: '222222222222',
          region: 'us-east-1',
          endpointName: 'c',
          endpointArn: findings[2]!.endpointArn,
          monthlyCostUsd: null,
          snapshot: 'failed',
          tagged: false,
          reason: 'snapshot failed',
        },
      ],
    );
    expect(summary).toMatchObject({
      zombies: 3,
      zombieMonthlyCostUsd: 150.5,
      zombiesUnknownCost: 1,
      archived: 2,
      tagged: 2,
      approved: 2,
      deleted: 1,
      savedMonthlyCostUsd: 100,
      artifactsArchived: 2,
      bytesArchived: 10,
    });
    expect(summary.byVerdict).toMatchObject({ zombie: 3, active: 1, exempt: 0 });
    expect(summary.skipped.map((s) => [s.endpointName, s.reason])).toEqual([
      ['b', 'invoked since detection'],
      ['c', 'snapshot failed'],
    ]);
  });

  it('shows Lambda errors by their message', () => {
    expect(causeMessage('{"errorType":"SnapshotFailedError","errorMessage":"source gone","trace":[]}')).toBe('source gone');
    expect(causeMessage('plain cause')).toBe('plain cause');
    expect(causeMessage(undefined)).toBe('');
  });

  it('renders a self-contained, escaped HTML report that says when a verdict was not priced', () => {
    const findings = [finding('a<b', 'zombie', 120), finding('busy', 'active', null)];
    const report = {
      version: 1,
      sweepId: 's-1',
      mode: 'report',
      status: 'completed',
      requestedBy: 'me',
      startedAt: '2025-01-01T00:00:00Z',
      updatedAt: '2025-01-01T00:00:00Z',
      archiveBucket: 'b',
      detection: { lookbackDays: 30, thresholdInvocations: 0, minAgeDays: 30 },
      targets: [],
      findings,
      actions: [],
      summary: summarize([], findings, []),
    } as SweepReport;
    const html = renderReportHtml(report);
    expect(html).toContain('a&lt;b');
    expect(html).not.toContain('a<b');
    expect(html).not.toMatch(/<script|<link |src=|@import/);
    expect(html).toContain('<svg');
    expect(costByVerdict(report)).toEqual([
      { label: 'zombie', value: 120, color: expect.any(String) },
      { label: 'active', value: 0, color: expect.any(String), note: 'not priced' },
    ]);
  });
});

describe('sweep steps against S3', () => {
  let sim: Simulator;
  let s3: S3Client;
  let clients: ClientFactory;
  beforeAll(async () => {
    sim = await startSimulator({ world: new World('o-abcdefghij', '111111111111', 'r-ab12') });
    const config = sim.clientConfig();
    s3 = new S3Client(config);
    await s3.send(new CreateBucketCommand({ Bucket: 'locks' }));
    clients = new ClientFactory({
      hubRegion: 'us-east-1',
      sessionName: 't',
      endpoint: sim.url,
      credentials: async () => config.credentials,
      s3ForcePathStyle: true,
    });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('holds the actions lock for one execution, re-grants it to that execution, and hands over only after expiry', async () => {
    const now = new Date('2025-03-01T00:00:00Z');
    const request = { s3, bucket: 'locks', scope: 'unit', now, ttlMs: 60_000 };
    const first = await acquireLock({ ...request, sweepId: 'a', executionArn: 'arn:exec:a' });
    expect(first.key).toBe('locks/unit.json');
    expect((await acquireLock({ ...request, sweepId: 'a', executionArn: 'arn:exec:a' })).record.sweepId).toBe('a');
    await expect(acquireLock({ ...request, sweepId: 'b', executionArn: 'arn:exec:b' })).rejects.toThrow(SweepLockedError);
    await expect(acquireLock({ ...request, sweepId: 'b', executionArn: 'arn:exec:b' })).rejects.toThrow(/sweep a .* holds the unit lock/);
    // Only the holder releases it.
    expect(await releaseLock(s3, 'locks', 'unit', 'arn:exec:b')).toBe(false);
    // Expired: the next sweep takes it over.
    const later = await acquireLock({ ...request, now: new Date(now.getTime() + 61_000), sweepId: 'b', executionArn: 'arn:exec:b' });
    expect(later.record.executionArn).toBe('arn:exec:b');
    expect(await releaseLock(s3, 'locks', 'unit', 'arn:exec:a')).toBe(false);
    expect(await releaseLock(s3, 'locks', 'unit', 'arn:exec:b')).toBe(true);
    // Two sweeps racing for a free lock: exactly one wins.
    const race = await Promise.allSettled(['x', 'y', 'z'].map((id) => acquireLock({ ...request, sweepId: id, executionArn: `arn:exec:${id}` })));
    expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('names the bad state machine setting and refuses auto-approve outside the local runner', async () => {
    const deps = { clients, archiveBucket: 'locks', hubRegion: 'us-east-1', clock: fixedClock(new Date()), log: silentLog };
    const execution = { arn: 'arn:aws:states:us-east-1:111111111111:execution:m:exec-1', name: 'exec-1', startTime: new Date().toISOString() };
    const settings = { scanMaxConcurrency: '40', actionMaxConcurrency: '10', scanToleratedFailurePercentage: '10' };
    await expect(validateSweep(deps, { input: {}, execution, settings: { ...settings, scanMaxConcurrency: 'lots' } })).rejects.toThrow(
      /state machine settings: scanMaxConcurrency/,
    );
    await expect(validateSweep(deps, { input: { approval: { autoApprove: true } }, execution, settings })).rejects.toMatchObject({
      name: 'InputValidationError',
      field: 'approval.autoApprove',
    });
    const ok = await validateSweep({ ...deps, allowAutoApprove: true }, { input: { mode: 'report' }, execution, settings });
    expect(ok.sweep).toMatchObject({
      sweepId: 'exec-1',
      mode: 'report',
      settings: { scanMaxConcurrency: 40, actionMaxConcurrency: 10, scanToleratedFailurePercentage: 10 },
    });
    expect(ok.sweep.lock).toBeUndefined();
  });

  it('refuses a deployed sweep of only its own account (hub roles cannot read SageMaker); the local runner allows it', async () => {
    const deps = { clients, archiveBucket: 'locks', hubRegion: 'us-east-1', clock: fixedClock(new Date()), log: silentLog };
    const execution = { arn: 'arn:aws:states:us-east-1:111111111111:execution:m:exec-2', name: 'exec-2', startTime: new Date().toISOString() };
    const settings = { scanMaxConcurrency: '40', actionMaxConcurrency: '10', scanToleratedFailurePercentage: '10' };
    const input = { mode: 'report', targets: { org: false } };
    await expect(validateSweep(deps, { input, execution, settings })).rejects.toMatchObject({ name: 'InputValidationError', field: 'targets.org' });
    const local = await validateSweep({ ...deps, allowOwnAccountOnly: true }, { input, execution, settings });
    expect(local.sweep.targets.org).toBe(false);
  });
});
