import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import type { Simulator } from '../../local/sim/server.ts';
import { s3Store } from '../../local/sim/services/s3/store.ts';
import { DEV, MGMT, assumeInto, startSmallOrg } from './core-fixtures.ts';
import { rejection, s3Client } from './s3-fixtures.ts';

let sim: Simulator;
let s3: S3Client;

beforeAll(async () => {
  sim = await startSmallOrg();
  s3 = s3Client(sim);
});
afterAll(async () => {
  s3.destroy();
  await sim.stop();
});

describe('CreateBucket', () => {
  it('creates a bucket owned by the calling account in the signing region', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'hub-archive' }));
    const eu = s3Client(sim, 'eu-west-1');
    await eu.send(new CreateBucketCommand({ Bucket: 'eu-artifacts', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    expect((await eu.send(new HeadBucketCommand({ Bucket: 'eu-artifacts' }))).BucketRegion).toBe('eu-west-1');
    expect((await s3.send(new HeadBucketCommand({ Bucket: 'hub-archive' }))).BucketRegion).toBe('us-east-1');
    eu.destroy();
  });

  it('enforces location constraints the way regional endpoints do', async () => {
    const eu = s3Client(sim, 'eu-west-1');
    // The SDK fills LocationConstraint from the client region; a different one is refused.
    await eu.send(new CreateBucketCommand({ Bucket: 'sdk-fills-constraint' }));
    expect(s3Store(sim.world).bucketExists('sdk-fills-constraint')).toBe(true);
    const mismatch = eu.send(new CreateBucketCommand({ Bucket: 'mismatch', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }));
    expect((await rejection(mismatch)).name).toBe('IllegalLocationConstraintException');
    // Not a valid constraint in the SDK's types either; sent anyway to see S3's answer.
    const explicitUsEast1 = { LocationConstraint: 'us-east-1' } as unknown as { LocationConstraint: 'us-east-2' };
    expect((await rejection(s3.send(new CreateBucketCommand({ Bucket: 'explicit-use1', CreateBucketConfiguration: explicitUsEast1 })))).name).toBe(
      'InvalidLocationConstraint',
    );
    expect((await rejection(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).name).toBe('InvalidBucketName');
    eu.destroy();
  });

  it('answers re-creation by the owner and by another account as AWS does', async () => {
    const eu = s3Client(sim, 'eu-west-1');
    // us-east-1 keeps the legacy 200 for the owner; other regions say BucketAlreadyOwnedByYou.
    await s3.send(new CreateBucketCommand({ Bucket: 'hub-archive' }));
    expect(
      await rejection(eu.send(new CreateBucketCommand({ Bucket: 'eu-artifacts', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }))),
    ).toBeInstanceOf(BucketAlreadyOwnedByYou);
    const dev = new S3Client({ ...sim.clientConfig(), credentials: await assumeInto(sim, DEV), maxAttempts: 1 });
    const taken = await rejection(dev.send(new CreateBucketCommand({ Bucket: 'hub-archive' })));
    expect(taken).toBeInstanceOf(BucketAlreadyExists);
    expect(taken.$metadata.httpStatusCode).toBe(409);
    await dev.send(new CreateBucketCommand({ Bucket: 'dev-models' }));
    expect(s3Store(sim.world).bucketExists('dev-models')).toBe(true);
    // No IAM: any account may use any bucket (docs/simulator/s3.md).
    await dev.send(new PutObjectCommand({ Bucket: 'hub-archive', Key: 'from-dev', Body: 'x' }));
    dev.destroy();
    eu.destroy();
  });
});

describe('bucket addressing', () => {
  it('redirects a request signed for another region (301 + x-amz-bucket-region) and reports a missing bucket as NotFound', async () => {
    const redirected = await rejection(s3.send(new PutObjectCommand({ Bucket: 'eu-artifacts', Key: 'k', Body: 'x' })));
    expect(redirected.$metadata.httpStatusCode).toBe(301);
    expect(redirected.name).toBe('PermanentRedirect');
    const headRedirect = await rejection(s3.send(new HeadBucketCommand({ Bucket: 'eu-artifacts' })));
    expect(headRedirect.$metadata.httpStatusCode).toBe(301);
    const following = new S3Client({ ...sim.clientConfig(), followRegionRedirects: true, maxAttempts: 1 });
    await following.send(new PutObjectCommand({ Bucket: 'eu-artifacts', Key: 'k', Body: 'x' }));
    expect(s3Store(sim.world).head('eu-artifacts', 'k')?.size).toBe(1);
    following.destroy();
    expect(await rejection(s3.send(new HeadBucketCommand({ Bucket: 'never-created' })))).toBeInstanceOf(NotFound);
  });

  it('checks x-amz-expected-bucket-owner', async () => {
    const error = await rejection(s3.send(new HeadObjectCommand({ Bucket: 'hub-archive', Key: 'from-dev', ExpectedBucketOwner: DEV })));
    expect(error.$metadata.httpStatusCode).toBe(403);
    await s3.send(new HeadObjectCommand({ Bucket: 'hub-archive', Key: 'from-dev', ExpectedBucketOwner: MGMT }));
  });
});

describe('ListObjectsV2', () => {
  const BUCKET = 'listing';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const store = s3Store(sim.world);
    for (const key of ['a.txt', 'dir/1.txt', 'dir/2.txt', 'dir/sub/3.txt', 'other/x', 'z', 'é.txt', 'Z-upper']) store.putObject(BUCKET, key, key);
    for (let i = 0; i < 25; i++) store.putObject(BUCKET, `many/${String(i).padStart(3, '0')}`, 'x');
  });

  it('lists in UTF-8 binary order with prefix, delimiter and CommonPrefixes', async () => {
    const all = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: '', Delimiter: '/' }));
    expect(all.Contents?.map((c) => c.Key)).toEqual(['Z-upper', 'a.txt', 'z', 'é.txt']);
    expect(all.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dir/', 'many/', 'other/']);
    expect(all.KeyCount).toBe(7);
    const dir = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'dir/', Delimiter: '/' }));
    expect(dir.Contents?.map((c) => c.Key)).toEqual(['dir/1.txt', 'dir/2.txt']);
    expect(dir.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dir/sub/']);
    expect(dir.Contents?.[0]).toMatchObject({
      Size: 9,
      StorageClass: 'STANDARD',
      ETag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      ChecksumAlgorithm: ['CRC64NVME'],
    });
  });

  it('paginates with max-keys and continuation tokens (SDK paginator), and honours start-after', async () => {
    const keys: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 10 }, { Bucket: BUCKET, Prefix: 'many/' })) {
      pages++;
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    }
    expect(pages).toBe(3);
    expect(keys).toHaveLength(25);
    expect(new Set(keys).size).toBe(25);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/', StartAfter: 'many/022' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(['many/023', 'many/024']);
    const bad = await rejection(s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: '!!not-a-token' })));
    expect(bad.name).toBe('InvalidArgument');
  });

  it('paginates across common prefixes without repeating them', async () => {
    const prefixes: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 1 }, { Bucket: BUCKET, Delimiter: '/' })) {
      prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(page.Contents ?? []).map((c) => c.Key!));
    }
    expect(prefixes).toEqual(['Z-upper', 'a.txt', 'dir/', 'many/', 'other/', 'z', 'é.txt']);
  });
});

describe('bucket configuration', () => {
  it('turns versioning on: every write keeps its own version', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'versioned' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }));
    const first = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: '1' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: '2' }));
    expect(first.VersionId).toBeTruthy();
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(s3Store(sim.world).listVersions('versioned', 'k')).toHaveLength(2);
  });
});
