import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Simulator } from '../../local/sim/server.ts';
import { s3Store } from '../../local/sim/services/s3/store.ts';
import { MGMT, startSmallOrg } from './core-fixtures.ts';
import { GiB, rejection, s3Client } from './s3-fixtures.ts';

let sim: Simulator;
let s3: S3Client;
const BUCKET = 'objects-bucket';

beforeAll(async () => {
  sim = await startSmallOrg();
  s3 = s3Client(sim);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3.destroy();
  await sim.stop();
});

const text = async (body: unknown) => (body as { transformToString(): Promise<string> }).transformToString();

describe('PutObject / GetObject / HeadObject', () => {
  it('stores bytes, metadata and headers and returns them with an MD5 ETag', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'docs/a.txt',
        Body: 'hello world',
        ContentType: 'text/plain',
        Metadata: { Owner: 'team-a' },
        CacheControl: 'no-cache',
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update('hello world').digest('hex')}"`);
    // The SDK sends CRC32 by default; S3 echoes it as a full-object checksum.
    expect(put.ChecksumCRC32).toBeTruthy();
    expect(put.ChecksumType).toBe('FULL_OBJECT');
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'docs/a.txt' }));
    expect(await text(got.Body)).toBe('hello world');
    expect(got).toMatchObject({
      ContentType: 'text/plain',
      Metadata: { owner: 'team-a' },
      CacheControl: 'no-cache',
      ContentLength: 11,
      ETag: put.ETag,
      ServerSideEncryption: 'AES256',
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'docs/a.txt', ChecksumMode: 'ENABLED' }));
    expect(head).toMatchObject({ ContentLength: 11, ETag: put.ETag, ChecksumCRC32: put.ChecksumCRC32, ChecksumType: 'FULL_OBJECT' });
    expect(head.ChecksumCRC64NVME).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    expect(head.LastModified).toBeInstanceOf(Date);
  });

  it('streams a Readable body (aws-chunked with a trailing CRC32) and computes CRC-64/NVME for it', async () => {
    const chunks = [Buffer.alloc(64 * 1024, 1), Buffer.alloc(64 * 1024, 2), Buffer.from('tail')];
    const body = Buffer.concat(chunks);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'stream.bin', Body: Readable.from(chunks), ContentLength: body.length }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'stream.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(body)).toBe(true);
    expect(got.ChecksumCRC32).toBeTruthy();
    expect(s3Store(sim.world).head(BUCKET, 'stream.bin')!.crc64nvme).toBe(got.ChecksumCRC64NVME);
  });

  it('lets the SDK validate CRC-64/NVME on GetObject when the object was stored without a client checksum', async () => {
    s3Store(sim.world).putObject(BUCKET, 'seeded.bin', Buffer.alloc(300_000, 7));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'seeded.bin' }));
    expect(got.ChecksumCRC64NVME).toBe(s3Store(sim.world).head(BUCKET, 'seeded.bin')!.crc64nvme);
    expect(got.ChecksumCRC32).toBeUndefined();
    // transformToByteArray fails if the streamed bytes do not match the announced checksum.
    expect((await got.Body!.transformToByteArray()).length).toBe(300_000);
  });

  it('rejects a body whose CRC32 does not match the one sent (BadDigest)', async () => {
    const error = await rejection(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bad.txt', Body: 'payload', ChecksumCRC32: 'AAAAAA==' })));
    expect(error.name).toBe('BadDigest');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(s3Store(sim.world).head(BUCKET, 'bad.txt')).toBeUndefined();
  });

  it('rejects a wrong Content-MD5 (BadDigest)', async () => {
    const error = await rejection(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bad-md5.txt', Body: 'payload', ContentMD5: createHash('md5').update('other').digest('base64') })),
    );
    expect(error.name).toBe('BadDigest');
  });

  it('raises the SDK exception classes for missing keys and buckets', async () => {
    const missingKey = await rejection(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'nope' })));
    expect(missingKey).toBeInstanceOf(NoSuchKey);
    expect(missingKey.$metadata.httpStatusCode).toBe(404);
    expect((missingKey as NoSuchKey & { Key?: string }).Key).toBe('nope');
    const missingBucket = await rejection(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k' })));
    expect(missingBucket).toBeInstanceOf(NoSuchBucket);
    const headMissing = await rejection(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nope' })));
    expect(headMissing).toBeInstanceOf(NotFound);
  });

  it('keeps keys exactly as sent, including dot segments, spaces and unicode', async () => {
    for (const key of ['a/../b.txt', './x', 'with space/ünïcødé+plus&amp', 'double//slash']) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await text(got.Body)).toBe(key);
    }
    expect(s3Store(sim.world).listKeys(BUCKET, 'a/')).toEqual(['a/../b.txt']);
  });
});

describe('ranges', () => {
  const data = Buffer.from('0123456789abcdefghij');
  beforeAll(async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Body: data }));
  });
  const get = (Range: string) => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Range }));

  it('answers bytes=a-b, a- and -n with 206 and Content-Range, and no stored checksum', async () => {
    const part = await get('bytes=2-5');
    expect(await text(part.Body)).toBe('2345');
    expect(part).toMatchObject({ ContentRange: 'bytes 2-5/20', ContentLength: 4, $metadata: { httpStatusCode: 206 } });
    expect(part.ChecksumCRC32).toBeUndefined();
    expect(await text((await get('bytes=15-')).Body)).toBe('fghij');
    expect(await text((await get('bytes=-3')).Body)).toBe('hij');
    expect(await text((await get('bytes=18-99')).Body)).toBe('ij');
  });

  it('answers an unsatisfiable range with 416 InvalidRange and ignores a malformed one', async () => {
    const error = await rejection(get('bytes=20-25'));
    expect(error.name).toBe('InvalidRange');
    expect(error.$metadata.httpStatusCode).toBe(416);
    const whole = await get('bytes=abc');
    expect(whole.$metadata.httpStatusCode).toBe(200);
    expect(await text(whole.Body)).toBe(data.toString());
  });

  it('streams a range of a multi-gigabyte synthetic object without materializing it', async () => {
    s3Store(sim.world).putObject(BUCKET, 'huge.bin', { synthetic: { size: 6 * GiB, seed: 42 } });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'huge.bin' }));
    expect(head.ContentLength).toBe(6 * GiB);
    const tail = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'huge.bin', Range: `bytes=${6 * GiB - 10}-` }));
    expect((await tail.Body!.transformToByteArray()).length).toBe(10);
  });
});

describe('conditional requests', () => {
  it('If-None-Match: * creates once, then fails with 412 PreconditionFailed', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once.txt', Body: 'first', IfNoneMatch: '*' }));
    const error = await rejection(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once.txt', Body: 'second', IfNoneMatch: '*' })));
    expect(error.name).toBe('PreconditionFailed');
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(s3Store(sim.world).readBytes(BUCKET, 'once.txt').toString()).toBe('first');
  });

  it('If-Match overwrites only the expected version', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas.txt', Body: 'v1' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas.txt', Body: 'v2', IfMatch: first.ETag }));
    const stale = await rejection(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas.txt', Body: 'v3', IfMatch: first.ETag })));
    expect(stale.name).toBe('PreconditionFailed');
    const absent = await rejection(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas-missing.txt', Body: 'x', IfMatch: second.ETag })));
    expect(absent).toBeInstanceOf(NoSuchKey);
    expect(s3Store(sim.world).readBytes(BUCKET, 'cas.txt').toString()).toBe('v2');
  });

  it('GET honours If-Match (412) and If-None-Match (304)', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond-read.txt', Body: 'x' }));
    expect((await rejection(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond-read.txt', IfMatch: '"deadbeef"' })))).$metadata.httpStatusCode).toBe(
      412,
    );
    expect((await rejection(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond-read.txt', IfNoneMatch: put.ETag })))).$metadata.httpStatusCode).toBe(
      304,
    );
    const ok = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond-read.txt', IfMatch: put.ETag }));
    expect(await text(ok.Body)).toBe('x');
  });
});

describe('CopyObject', () => {
  it('copies content with the same CRC-64/NVME and ETag, keeping or replacing metadata', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'src.txt', Body: 'copy me', ContentType: 'text/plain', Metadata: { a: '1' } }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'dst.txt', CopySource: `${BUCKET}/src.txt` }));
    expect(copy.CopyObjectResult?.ETag).toBe(put.ETag);
    const store = s3Store(sim.world);
    expect(store.head(BUCKET, 'dst.txt')).toMatchObject({ crc64nvme: store.head(BUCKET, 'src.txt')!.crc64nvme, metadata: { a: '1' } });
    await s3.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'dst2.txt', CopySource: `${BUCKET}/src.txt`, MetadataDirective: 'REPLACE', Metadata: { b: '2' } }),
    );
    expect(store.head(BUCKET, 'dst2.txt')!.metadata).toEqual({ b: '2' });
  });

  it('applies the destination encryption requested by the copy, not the source encryption', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain.txt', Body: 'x' }));
    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'enc.txt',
        CopySource: `${BUCKET}/plain.txt`,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'arn:aws:kms:us-east-1:111111111111:key/k1',
      }),
    );
    expect(copy).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:us-east-1:111111111111:key/k1' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'enc.txt' }));
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:us-east-1:111111111111:key/k1' });
  });

  it('checks copy-source-if-match and refuses a no-op copy onto itself', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'guarded.txt', Body: 'x' }));
    const stale = await rejection(
      s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'g2.txt', CopySource: `${BUCKET}/guarded.txt`, CopySourceIfMatch: '"0000"' })),
    );
    expect(stale.name).toBe('PreconditionFailed');
    const self = await rejection(s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'guarded.txt', CopySource: `${BUCKET}/guarded.txt` })));
    expect(self.name).toBe('InvalidRequest');
    const missing = await rejection(s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'g3.txt', CopySource: `${BUCKET}/absent.txt` })));
    expect(missing).toBeInstanceOf(NoSuchKey);
  });

  it('refuses a single CopyObject above 5 GB with InvalidRequest, as AWS does', async () => {
    s3Store(sim.world).putObject(BUCKET, 'big.bin', { synthetic: { size: 5 * GiB + 1, seed: 9 } });
    const error = await rejection(s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'big-copy.bin', CopySource: `${BUCKET}/big.bin` })));
    expect(error.name).toBe('InvalidRequest');
    expect(error.message).toContain('5368709120');
  });
});

describe('DeleteObject / DeleteObjects', () => {
  it('deletes idempotently, a missing key included', async () => {
    for (const key of ['d/1', 'd/2', 'd/3']) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'd/1' }));
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'd/1' }));
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'd/never' }));
    expect(s3Store(sim.world).listKeys(BUCKET, 'd/')).toEqual(['d/2', 'd/3']);
  });
});

describe('store API', () => {
  it('answers the same ETag, size and checksum that the wire API reports', async () => {
    const store = s3Store(sim.world);
    const put = store.putObject(BUCKET, 'via-store.json', '{"a":1}', { contentType: 'application/json', metadata: { Kind: 'x' }, sseKmsKeyId: 'key-1' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'via-store.json', ChecksumMode: 'ENABLED' }));
    expect(head).toMatchObject({
      ETag: put.etag,
      ContentLength: put.size,
      ContentType: 'application/json',
      Metadata: { kind: 'x' },
      ServerSideEncryption: 'aws:kms',
    });
    expect(head.SSEKMSKeyId).toBe(`arn:aws:kms:us-east-1:${MGMT}:key/key-1`);
    expect(store.head(BUCKET, 'via-store.json')).toMatchObject({ crc64nvme: head.ChecksumCRC64NVME, sseKmsKeyId: head.SSEKMSKeyId, size: 7 });
    expect(store.bucketExists(BUCKET)).toBe(true);
    store.deleteObject(BUCKET, 'via-store.json');
    expect(store.head(BUCKET, 'via-store.json')).toBeUndefined();
    expect(() => store.readBytes(BUCKET, 'huge.bin')).toThrow(/too large/);
  });
});
