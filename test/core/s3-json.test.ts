import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readJsonObject, writeJsonObject } from '../../src/core/s3-json.ts';
import { startScenarioSimulator, type Simulator } from '../../local/sim/index.ts';

/** The archive bucket is the workflow's database: records are written once, races are answers, not errors. */
describe('JSON documents in S3', () => {
  let sim: Simulator;
  let s3: S3Client;
  const bucket = 'json-records';
  beforeAll(async () => {
    sim = await startScenarioSimulator({ scenario: 'demo' });
    s3 = new S3Client({ ...sim.clientConfig(), maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(() => sim.stop());

  it('writes once with If-None-Match and reports a lost race instead of overwriting', async () => {
    expect(await writeJsonObject(s3, bucket, 'once.json', { who: 'first' }, { condition: { ifNoneMatch: '*' } })).toMatchObject({ written: true });
    expect(await writeJsonObject(s3, bucket, 'once.json', { who: 'second' }, { condition: { ifNoneMatch: '*' } })).toEqual({ written: false });
    expect((await readJsonObject(s3, bucket, 'once.json'))?.value).toEqual({ who: 'first' });
  });

  it('updates only the version it read (If-Match)', async () => {
    const first = await writeJsonObject(s3, bucket, 'cas.json', { n: 1 });
    if (!first.written) throw new Error('unconditional write failed');
    expect(await writeJsonObject(s3, bucket, 'cas.json', { n: 2 }, { condition: { ifMatch: first.etag } })).toMatchObject({ written: true });
    expect(await writeJsonObject(s3, bucket, 'cas.json', { n: 3 }, { condition: { ifMatch: first.etag } })).toEqual({ written: false });
    expect((await readJsonObject(s3, bucket, 'cas.json'))?.value).toEqual({ n: 2 });
  });

  it('retries a 409 ConditionalRequestConflict, which only means another conditional write was in flight', async () => {
    const fault = sim.traffic.inject({
      service: 's3',
      operation: 'PutObject',
      times: 2,
      error: { code: 'ConditionalRequestConflict', message: 'conflict', status: 409 },
    });
    expect(await writeJsonObject(s3, bucket, 'conflict.json', { ok: true }, { condition: { ifNoneMatch: '*' } })).toMatchObject({ written: true });
    sim.traffic.remove(fault);
  });

  it('reads a missing key as absent, but a missing bucket is an error', async () => {
    expect(await readJsonObject(s3, bucket, 'absent.json')).toBeUndefined();
    await expect(readJsonObject(s3, 'no-such-archive', 'x.json')).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('writes Object Lock retention when asked (append-only audit objects)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'locked-records', ObjectLockEnabledForBucket: true }));
    const retainUntil = new Date(Date.now() + 86_400_000);
    await writeJsonObject(s3, 'locked-records', 'kept.json', { a: 1 }, { condition: { ifNoneMatch: '*' }, objectLock: { mode: 'COMPLIANCE', retainUntil } });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'locked-records', Key: 'kept.json' }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate).toEqual(retainUntil);
  });
});
