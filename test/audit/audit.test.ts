import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { appendAuditEvent, type AuditWriter, type NewAuditEvent } from '../../src/audit/events.ts';
import { layout } from '../../src/core/layout.ts';
import { runAudit, type AuditCliFlags } from '../../cli/commands/audit.ts';
import { ARCHIVE, deploy, IMAGE, MEMBER, REGION, runCli, startSnapshotEnv, artifact, HUB, type SnapshotEnv } from '../cleanup/snapshot-fixtures.ts';

let env: SnapshotEnv;
let writer: AuditWriter;
const SWEEP_A = 'sweep-2025-01-01-aaaa';
const SWEEP_B = 'sweep-2025-02-01-bbbb';
const NAME = 'fraud-detector-v1';
const ARN = `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/${NAME}`;
const OTHER = 'pricing-legacy';
const T0 = new Date('2025-01-01T06:00:00.000Z');

const owner = { team: 'fraud', owner: 'alice@example.com' };
const confirmedA = { ...owner, zombie: 'confirmed', 'zombie-sweep-id': SWEEP_A, 'zombie-snapshot': `s3://${ARCHIVE}/manifests/x.json` };
const confirmedB = { ...owner, zombie: 'confirmed', 'zombie-sweep-id': SWEEP_B };

async function event(minutes: number, input: NewAuditEvent): Promise<void> {
  env.clock.set(new Date(T0.getTime() + minutes * 60_000));
  await appendAuditEvent(writer, input);
}

const at = { accountId: MEMBER, region: REGION, endpointName: NAME, endpointArn: ARN };

beforeAll(async () => {
  env = await startSnapshotEnv();
  deploy(env, NAME, [{ ModelName: 'fraud-v1', PrimaryContainer: { Image: IMAGE, ModelDataUrl: artifact(env, 'fraud/v1/model.tar.gz') } }], {
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'fraud-v1', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
  });
  writer = { s3: env.factory.hub(S3Client), bucket: ARCHIVE, clock: env.clock };
  // Sweep A: detected, snapshotted, tagged, approved, but someone removed the zombie tag before deletion.
  await event(0, { type: 'sweep-started', actor: 'arn:aws:iam::111111111111:role/Scheduler', sweepId: SWEEP_A });
  await event(1, { ...at, type: 'detected', actor: 'zombie-sweep', sweepId: SWEEP_A, tagsBefore: owner, tagsAfter: owner, details: { monthlyCostUsd: 83.95 } });
  await event(2, {
    ...at,
    type: 'snapshotted',
    actor: 'zombie-sweep',
    sweepId: SWEEP_A,
    tagsBefore: owner,
    tagsAfter: owner,
    details: { manifestUri: 's3://x', artifactCount: 1, bytes: 100 },
  });
  await event(3, { ...at, type: 'tagged', actor: 'zombie-sweep', sweepId: SWEEP_A, tagsBefore: owner, tagsAfter: confirmedA });
  await event(4, {
    ...at,
    accountId: '333333333333',
    endpointName: OTHER,
    endpointArn: `arn:aws:sagemaker:${REGION}:333333333333:endpoint/${OTHER}`,
    type: 'tagged',
    actor: 'zombie-sweep',
    sweepId: SWEEP_A,
    tagsBefore: {},
    tagsAfter: { zombie: 'confirmed' },
  });
  await event(60, { ...at, type: 'approved', actor: '=HYPERLINK("http://evil")', sweepId: SWEEP_A, tagsBefore: confirmedA, tagsAfter: confirmedA });
  await event(61, {
    ...at,
    type: 'skipped',
    actor: 'zombie-sweep',
    sweepId: SWEEP_A,
    reason: 'tag zombie removed since tagging',
    tagsBefore: owner,
    tagsAfter: owner,
  });
  // Sweep B, a month later: deleted.
  await event(31 * 1440, { ...at, type: 'tagged', actor: 'zombie-sweep', sweepId: SWEEP_B, tagsBefore: owner, tagsAfter: confirmedB });
  await event(31 * 1440 + 60, {
    ...at,
    type: 'deleted',
    actor: 'zombie-sweep',
    sweepId: SWEEP_B,
    tagsBefore: confirmedB,
    tagsAfter: confirmedB,
    details: { approvedBy: 'bob@example.com' },
  });
  // The endpoint is gone from SageMaker; its history must not be.
  env.sagemaker.deleteEndpoint(NAME);
  const deadline = Date.now() + 10_000;
  while (env.sagemaker.getEndpoint(NAME) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
});
afterAll(async () => env?.stop());

async function audit(flags: Partial<AuditCliFlags>): Promise<{ out: string; err: string; events: Awaited<ReturnType<typeof runAudit>> }> {
  let out = '';
  let err = '';
  const events = await runAudit(
    { archiveBucket: ARCHIVE, output: 'table', ...flags },
    { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, factory: env.factory },
  );
  return { out, err, events };
}

describe('zombie-sweep audit', () => {
  it('prints the tag history of a deleted endpoint as a timeline, from one prefix, without touching SageMaker', async () => {
    expect(env.sagemaker.getEndpoint(NAME)).toBeUndefined();
    env.sim.ledger.reset();
    const { out, events } = await audit({ endpoint: ARN });
    expect(events.map((e) => e.type)).toEqual(['detected', 'snapshotted', 'tagged', 'approved', 'skipped', 'tagged', 'deleted']);
    expect(out).toContain(`Tag history of ${ARN} (${MEMBER} / ${REGION}): 7 events, deleted at 2025-02-01T07:00:00.000Z`);
    expect(out).toContain('set zombie=confirmed');
    expect(out).toContain(`set zombie-sweep-id=${SWEEP_A}`);
    // Between "approved" and "skipped" someone removed the tags: shown as its own row.
    expect(out).toMatch(/before 2025-01-01T07:01:00.000Z\s+\(tags changed outside zombie-sweep\)\s+\?\s+removed zombie \(was confirmed\)/);
    expect(out).toContain('tag zombie removed since tagging');
    expect(env.sim.ledger.count({ service: 'sagemaker' })).toBe(0);
    expect(env.sim.ledger.count({ service: 's3', operation: 'ListObjectsV2' })).toBe(1);
  });

  it('--since starts the listing after the date, reading only newer events', async () => {
    env.sim.ledger.reset();
    const { events } = await audit({ endpoint: ARN, since: '2025-01-15', output: 'json' });
    expect(events.map((e) => e.type)).toEqual(['tagged', 'deleted']);
    expect(env.sim.ledger.count({ service: 's3', operation: 'GetObject' })).toBe(2);
  });

  it('--output json prints the stored events, oldest first', async () => {
    const { out } = await audit({ endpoint: ARN, output: 'json' });
    const parsed = JSON.parse(out);
    expect(parsed).toHaveLength(7);
    expect(parsed[0]).toMatchObject({ type: 'detected', endpointArn: ARN, sweepId: SWEEP_A, tagsBefore: owner });
    expect(parsed.at(-1)).toMatchObject({ type: 'deleted', details: { approvedBy: 'bob@example.com' } });
  });

  it('--output csv quotes fields and defuses spreadsheet formulas', async () => {
    const { out } = await audit({ endpoint: ARN, output: 'csv' });
    const lines = out.trimEnd().split('\r\n');
    expect(lines[0]).toBe('at,type,actor,sweepId,accountId,region,endpointName,endpointArn,tagChanges,reason,details,eventId');
    expect(lines).toHaveLength(8);
    expect(out).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(out).not.toMatch(/,=HYPERLINK/);
  });

  it('--sweep reads the sweep events and every endpoint the sweep touched (per-sweep index), nothing else', async () => {
    expect(env.store.listKeys(ARCHIVE, layout.sweepIndexPrefix(SWEEP_A))).toEqual(
      [`${layout.sweepIndexPrefix(SWEEP_A)}${MEMBER}/${REGION}/${NAME}.json`, `${layout.sweepIndexPrefix(SWEEP_A)}333333333333/${REGION}/${OTHER}.json`].sort(),
    );
    const { events, out } = await audit({ sweep: SWEEP_A });
    expect(events.map((e) => `${e.type}:${e.endpointName ?? '-'}`)).toEqual([
      'sweep-started:-',
      `detected:${NAME}`,
      `snapshotted:${NAME}`,
      `tagged:${NAME}`,
      `tagged:${OTHER}`,
      `approved:${NAME}`,
      `skipped:${NAME}`,
    ]);
    expect(out).toContain('7 audit events');
    const { events: b } = await audit({ sweep: SWEEP_B, account: MEMBER });
    expect(b.map((e) => e.type)).toEqual(['tagged', 'deleted']);
  });

  it('--account lists one account; a bare name searches every account and region', async () => {
    const { events } = await audit({ account: '333333333333' });
    expect(events.map((e) => e.endpointName)).toEqual([OTHER]);
    await event(31 * 1440 + 90, {
      accountId: HUB,
      region: 'eu-west-1',
      endpointName: NAME,
      endpointArn: `arn:aws:sagemaker:eu-west-1:${HUB}:endpoint/${NAME}`,
      type: 'detected',
      actor: 'zombie-sweep',
      sweepId: SWEEP_B,
    });
    const { out, events: byName } = await audit({ endpoint: NAME });
    expect(byName).toHaveLength(8);
    expect(out).toContain(`Tag history of arn:aws:sagemaker:eu-west-1:${HUB}:endpoint/${NAME}`);
    expect(out).toContain(`Tag history of ${ARN}`);
  });

  it('names the offending flag', async () => {
    await expect(audit({ since: 'last tuesday' })).rejects.toThrow(/invalid --since: must be an ISO date/);
    await expect(audit({ account: '12345' })).rejects.toThrow(/invalid --account: must be a 12-digit AWS account id \(got "12345"\)/);
    await expect(audit({ endpoint: ARN, account: '333333333333' })).rejects.toThrow(/invalid --account: 333333333333 contradicts the endpoint ARN's account/);
    await expect(audit({ sweep: 'x' })).rejects.toThrow(/invalid --sweep/);
    await expect(audit({ archiveBucket: undefined })).rejects.toThrow(/--archive-bucket is required/);
    await expect(audit({ archiveBucket: 'Not_A_Bucket' })).rejects.toThrow(/invalid --archive-bucket/);
  });

  it('runs as a child process: `zombie-sweep audit --endpoint ARN`', async () => {
    const child = await runCli(['audit', '--archive-bucket', ARCHIVE, '--endpoint', ARN], env.sim.env());
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toContain(`Tag history of ${ARN}`);
    expect(child.stdout).toContain('deleted at 2025-02-01T07:00:00.000Z');
    const bad = await runCli(['audit', '--archive-bucket', ARCHIVE, '--since', 'yesterday'], env.sim.env());
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe(
      'zombie-sweep: InputValidationError: invalid --since: must be an ISO date (YYYY-MM-DD) or timestamp (YYYY-MM-DDTHH:MM:SSZ) (got "yesterday")',
    );
  });
});
