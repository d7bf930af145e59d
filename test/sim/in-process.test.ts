import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessSimHandler } from '../../local/sim/in-process.ts';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { assumeInto, DEV, MGMT, smallOrg } from './core-fixtures.ts';

/** SDK clients that reach the simulator in process get what they would get over HTTP, and the ledger sees the same calls. */
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ world: smallOrg() });
});
afterAll(() => sim.stop());

describe('the in-process request handler', () => {
  it('round-trips S3 bodies, listings and SageMaker errors, recorded in the ledger under the caller', async () => {
    const handler = new InProcessSimHandler(sim);
    const s3 = new S3Client({ ...sim.clientConfig(), requestHandler: handler });
    await s3.send(new CreateBucketCommand({ Bucket: 'in-process' }));
    await s3.send(new PutObjectCommand({ Bucket: 'in-process', Key: 'a/../b.json', Body: '{"x":1}' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'in-process', Key: 'a/../b.json' }));
    expect(await got.Body?.transformToString()).toBe('{"x":1}');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'in-process', Prefix: 'a/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['a/../b.json']);

    const sagemaker = new SageMakerClient({
      ...sim.clientConfig('us-east-1'),
      credentials: await assumeInto(sim, DEV),
      requestHandler: handler,
      maxAttempts: 1,
    });
    const missing = (await sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'nope' })).catch((e: unknown) => e)) as Error;
    expect(missing.name).toBe('ValidationException');

    expect(sim.ledger.byOperation({ accountId: MGMT, service: 's3' })).toMatchObject({
      's3:CreateBucket': 1,
      's3:PutObject': 1,
      's3:GetObject': 1,
      's3:ListObjectsV2': 1,
    });
    expect(sim.ledger.count({ accountId: DEV, operation: 'DescribeEndpoint', errors: true })).toBe(1);
  });
});
