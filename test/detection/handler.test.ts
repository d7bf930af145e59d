import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { createHandler, handler, type ScanHandlerDeps } from '../../functions/scan/handler.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { InputValidationError, RetryableAwsError } from '../../src/core/errors.ts';
import { silentLog } from '../../src/core/log.ts';
import { FindingsFileSchema, ScanSummarySchema } from '../../src/core/schemas.ts';
import { member, orgWorld, Seeder } from './seed.ts';
import { useSimulatorEnv } from './sim-env.ts';

const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const HUB = '100000000001';
const ACCT = '200000000002';
const NO_ROLE = '300000000003';
const BUCKET = 'zombie-sweep-archive-test';
const ROLE = 'ZombieSweepMemberRole';

let sim: Simulator;
let restoreEnv: () => void;
let s3: S3Client;

function deps(over: Partial<ScanHandlerDeps> = {}, maxAttempts?: number): ScanHandlerDeps {
  return {
    archiveBucket: BUCKET,
    s3,
    factoryFor: (counter, sessionName) =>
      new ClientFactory({ hubRegion: 'us-east-1', sessionName, s3ForcePathStyle: true, counter, ...(maxAttempts ? { maxAttempts } : {}) }),
    clock: fixedClock(NOW),
    log: silentLog,
    ...over,
  };
}

async function readFindings(key: string) {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return FindingsFileSchema.parse(JSON.parse(await out.Body!.transformToString()));
}

beforeAll(async () => {
  const world = orgWorld(NOW, [member(HUB, ['us-east-1']), member(ACCT, ['us-east-1', 'eu-west-1']), member(NO_ROLE, ['us-east-1'], { roles: new Map() })]);
  const seed = new Seeder(world, NOW);
  seed.endpoint(ACCT, 'us-east-1', { name: 'idle-gpu', variants: [{ name: 'AllTraffic', instanceType: 'ml.g4dn.xlarge', count: 1 }] });
  seed.endpoint(ACCT, 'us-east-1', { name: 'busy' });
  seed.variantInvocations(ACCT, 'us-east-1', 'busy', 'AllTraffic', { 1: 10 });
  seed.endpoint(ACCT, 'us-east-1', { name: 'fresh', createdDaysAgo: 1 });
  sim = await startSimulator({ world });
  restoreEnv = useSimulatorEnv(sim);
  s3 = new S3Client(sim.clientConfig());
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3.destroy();
  restoreEnv();
  await sim.stop();
});

describe('scan Lambda handler', () => {
  it('scans the target, writes the findings file under the sweep, and returns a small summary', async () => {
    const summary = await createHandler(deps())({
      sweepId: 'sweep-1',
      accountId: ACCT,
      region: 'us-east-1',
      roleName: 'ZombieSweepMemberRole',
      detection: { lookbackDays: 30 },
    });
    expect(ScanSummarySchema.parse(summary)).toMatchObject({
      accountId: ACCT,
      region: 'us-east-1',
      status: 'ok',
      counts: { zombie: 1, active: 1, 'too-new': 1, exempt: 0, 'not-billable': 0, error: 0 },
      findingsKey: `sweeps/sweep-1/findings/${ACCT}/us-east-1.json`,
    });
    expect(summary.monthlyCostUsd).toBeGreaterThan(500);
    const file = await readFindings(summary.findingsKey!);
    expect(file).toMatchObject({
      sweepId: 'sweep-1',
      status: 'ok',
      settings: { lookbackDays: 30, thresholdInvocations: 0, minAgeDays: 30 },
      stats: { endpoints: 3 },
    });
    expect(file.findings.find((f) => f.endpointName === 'idle-gpu')).toMatchObject({ verdict: 'zombie', idleSince: 'never', instanceType: 'ml.g4dn.xlarge' });
    expect(file.stats.apiCalls.total).toBe(summary.apiCalls);
    expect(file.stats.apiCalls.byOperation['STS:AssumeRole']).toBe(1);
  });

  it('writes an empty findings file for a region without endpoints', async () => {
    const summary = await createHandler(deps())({ sweepId: 'sweep-1', accountId: ACCT, region: 'eu-west-1', roleName: ROLE });
    expect(summary).toMatchObject({ status: 'ok', monthlyCostUsd: 0 });
    expect((await readFindings(summary.findingsKey!)).findings).toEqual([]);
  });

  it('reports a target without the member role as unreachable, with a findings file saying so', async () => {
    const summary = await createHandler(deps())({ sweepId: 'sweep-1', accountId: NO_ROLE, region: 'us-east-1', roleName: 'ZombieSweepMemberRole' });
    expect(summary).toMatchObject({ status: 'unreachable', reason: expect.stringContaining('AccessDenied') });
    expect(await readFindings(summary.findingsKey!)).toMatchObject({ status: 'unreachable', error: expect.stringContaining('cannot assume'), findings: [] });
  });

  it('rejects bad input naming the field', async () => {
    const handler = createHandler(deps());
    await expect(handler({ sweepId: 'sweep-1', accountId: '12', region: 'us-east-1' })).rejects.toMatchObject({
      name: 'InputValidationError',
      field: 'accountId',
    });
    await expect(handler({ sweepId: 'sweep-1', accountId: ACCT, region: 'us-east-1', detection: { lookbackDays: 0 } })).rejects.toBeInstanceOf(
      InputValidationError,
    );
    await expect(handler({ sweepId: 'sweep-1', accountId: ACCT, region: 'us-east-1', extra: true })).rejects.toBeInstanceOf(InputValidationError);
  });

  it('runs as a Lambda entry from its environment, naming a missing ARCHIVE_BUCKET', async () => {
    const saved = process.env.ARCHIVE_BUCKET;
    const savedLevel = process.env.POWERTOOLS_LOG_LEVEL;
    delete process.env.ARCHIVE_BUCKET;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    try {
      await expect(handler({ sweepId: 'sweep-3', accountId: ACCT, region: 'us-east-1', roleName: ROLE })).rejects.toMatchObject({
        name: 'InputValidationError',
        field: 'ARCHIVE_BUCKET',
      });
      process.env.ARCHIVE_BUCKET = BUCKET;
      const summary = await handler({ sweepId: 'sweep-3', accountId: ACCT, region: 'us-east-1', roleName: ROLE });
      expect(summary).toMatchObject({ status: 'ok', counts: { zombie: 1 }, findingsKey: `sweeps/sweep-3/findings/${ACCT}/us-east-1.json` });
      expect((await readFindings(summary.findingsKey!)).findings).toHaveLength(3);
    } finally {
      if (saved === undefined) delete process.env.ARCHIVE_BUCKET;
      else process.env.ARCHIVE_BUCKET = saved;
      if (savedLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
    }
  });

  it('throws RetryableAwsError when throttling outlasts the SDK retries, for the state machine to retry', async () => {
    const fault = sim.traffic.inject({
      service: 'sagemaker',
      operation: 'DescribeEndpoint',
      error: { code: 'ThrottlingException', message: 'Rate exceeded', status: 400 },
    });
    try {
      await expect(createHandler(deps({}, 2))({ sweepId: 'sweep-2', accountId: ACCT, region: 'us-east-1', roleName: ROLE })).rejects.toBeInstanceOf(
        RetryableAwsError,
      );
    } finally {
      sim.traffic.remove(fault);
    }
  });

  it("without a role name scans the caller's own account with the caller's own credentials (a sweep without --org)", async () => {
    // The simulator's default credentials act as the management account (HUB here), which has no endpoints.
    const assumesBefore = sim.ledger.count({ service: 'sts', operation: 'AssumeRole' });
    const summary = await createHandler(deps())({ sweepId: 'sweep-own', accountId: HUB, region: 'us-east-1' });
    expect(summary).toMatchObject({ accountId: HUB, status: 'ok', counts: { zombie: 0 } });
    expect(sim.ledger.count({ service: 'sts', operation: 'AssumeRole' })).toBe(assumesBefore);
  });

  it("never files the caller's own endpoints under another account: without a role name, another account is unreachable", async () => {
    // The management account (HUB) owns the credentials; ACCT has a zombie that must not be reported from HUB's view, nor HUB's under ACCT.
    const summary = await createHandler(deps())({ sweepId: 'sweep-mismatch', accountId: ACCT, region: 'us-east-1' });
    expect(summary).toMatchObject({ accountId: ACCT, status: 'unreachable', reason: expect.stringContaining('belong to account ' + HUB) });
    expect(await readFindings(summary.findingsKey!)).toMatchObject({ status: 'unreachable', findings: [] });
  });
});
