import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
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
    const fault = sim.traffic.inject({ service: 's3', operation: 'PutObject', times: 2, error: { code: 'ConditionalRequestConflict', message: 'conflict', status: 409 } });
    expect(await writeJsonObject(s3, bucket, 'conflict.json', { ok: true }, { condition: { ifNoneMatch: '*' } })).toMatchObject({ written: true });
    sim.traffic.remove(fault);
  });

  it('reads a missing key as absent, but a missing bucket is an error', async () => {
    expect(await readJsonObject(s3, bucket, 'absent.json')).toBeUndefined();
    await expect(readJsonObject(s3, 'no-such-archive', 'x.json')).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});
