import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchUpload,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Simulator } from '../../local/sim/server.ts';
import { s3Store } from '../../local/sim/services/s3/store.ts';
import { startSmallOrg } from './core-fixtures.ts';
import { GiB, MiB, rejection, s3Client } from './s3-fixtures.ts';

let sim: Simulator;
let s3: S3Client;
const BUCKET = 'multipart-bucket';

beforeAll(async () => {
  sim = await startSmallOrg();
  s3 = s3Client(sim);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3.destroy();
  await sim.stop();
});

const create = (Key: string, extra: Partial<ConstructorParameters<typeof CreateMultipartUploadCommand>[0]> = {}) =>
  s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ...extra })).then((o) => o.UploadId!);
const complete = (Key: string, UploadId: string, Parts: CompletedPart[]) =>
  s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts } }));

describe('UploadPart / CompleteMultipartUpload', () => {
  it('assembles parts with the SDK default CRC32 per part into an object with a full-object CRC-64/NVME', async () => {
    const partA = Buffer.alloc(5 * MiB, 'a');
    const partB = Buffer.from('the last part may be small');
    const uploadId = await create('assembled.bin');
    const a = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'assembled.bin', UploadId: uploadId, PartNumber: 1, Body: partA }));
    const b = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'assembled.bin', UploadId: uploadId, PartNumber: 2, Body: partB }));
    expect(a.ChecksumCRC32).toBeTruthy();
    const done = await complete('assembled.bin', uploadId, [
      { PartNumber: 1, ETag: a.ETag },
      { PartNumber: 2, ETag: b.ETag },
    ]);
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'assembled.bin' }));
    expect(got.ChecksumType).toBe('FULL_OBJECT');
    expect(got.ChecksumCRC64NVME).toBe(done.ChecksumCRC64NVME);
    // The SDK validates the streamed body against ChecksumCRC64NVME.
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(Buffer.concat([partA, partB]))).toBe(true);
    const second = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'assembled.bin', PartNumber: 2 }));
    expect(second.PartsCount).toBe(2);
    expect(await second.Body!.transformToString()).toBe(partB.toString());
  });

  it('accepts streamed parts (aws-chunked with a trailing checksum)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 9);
    const uploadId = await create('streamed.bin');
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'streamed.bin',
        UploadId: uploadId,
        PartNumber: 1,
        Body: Readable.from(Array(80).fill(chunk)),
        ContentLength: 80 * chunk.length,
      }),
    );
    expect(part.ChecksumCRC32).toBeTruthy();
    await complete('streamed.bin', uploadId, [{ PartNumber: 1, ETag: part.ETag }]);
    expect(s3Store(sim.world).head(BUCKET, 'streamed.bin')!.size).toBe(80 * chunk.length);
  });

  it('produces a COMPOSITE CRC32 "-N" checksum when the upload asks for it', async () => {
    const uploadId = await create('composite.bin', { ChecksumAlgorithm: 'CRC32' });
    const p1 = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'composite.bin',
        UploadId: uploadId,
        PartNumber: 1,
        Body: Buffer.alloc(5 * MiB, 1),
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: 'composite.bin', UploadId: uploadId, PartNumber: 2, Body: 'end', ChecksumAlgorithm: 'CRC32' }),
    );
    const missing = await rejection(
      complete('composite.bin', uploadId, [
        { PartNumber: 1, ETag: p1.ETag },
        { PartNumber: 2, ETag: p2.ETag },
      ]),
    );
    expect(missing.name).toBe('InvalidRequest');
    const done = await complete('composite.bin', uploadId, [
      { PartNumber: 1, ETag: p1.ETag, ChecksumCRC32: p1.ChecksumCRC32 },
      { PartNumber: 2, ETag: p2.ETag, ChecksumCRC32: p2.ChecksumCRC32 },
    ]);
    expect(done).toMatchObject({ ChecksumType: 'COMPOSITE', ChecksumCRC32: expect.stringMatching(/^[A-Za-z0-9+/]{6}==-2$/) });
  });

  it('validates the part list: InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload', async () => {
    const uploadId = await create('invalid.bin');
    const small = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'invalid.bin', UploadId: uploadId, PartNumber: 1, Body: 'too small' }));
    const last = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'invalid.bin', UploadId: uploadId, PartNumber: 2, Body: 'last' }));
    expect((await rejection(complete('invalid.bin', uploadId, [{ PartNumber: 1, ETag: '"0123"' }]))).name).toBe('InvalidPart');
    expect((await rejection(complete('invalid.bin', uploadId, [{ PartNumber: 3, ETag: small.ETag }]))).name).toBe('InvalidPart');
    expect(
      (
        await rejection(
          complete('invalid.bin', uploadId, [
            { PartNumber: 2, ETag: last.ETag },
            { PartNumber: 1, ETag: small.ETag },
          ]),
        )
      ).name,
    ).toBe('InvalidPartOrder');
    const tooSmall = await rejection(
      complete('invalid.bin', uploadId, [
        { PartNumber: 1, ETag: small.ETag },
        { PartNumber: 2, ETag: last.ETag },
      ]),
    );
    expect(tooSmall.name).toBe('EntityTooSmall');
    const badPart = await rejection(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'invalid.bin', UploadId: uploadId, PartNumber: 10_001, Body: 'x' })));
    expect(badPart.name).toBe('InvalidArgument');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'invalid.bin', UploadId: uploadId }));
    const gone = await rejection(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'invalid.bin', UploadId: uploadId, PartNumber: 1, Body: 'x' })));
    expect(gone).toBeInstanceOf(NoSuchUpload);
    expect(gone.$metadata.httpStatusCode).toBe(404);
  });

  it('refuses a part checksum of another algorithm than the upload was created with', async () => {
    const uploadId = await create('mismatch.bin', { ChecksumAlgorithm: 'CRC64NVME' });
    const error = await rejection(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mismatch.bin', UploadId: uploadId, PartNumber: 1, Body: 'x' })));
    expect(error.name).toBe('InvalidRequest');
  });
});

describe('UploadPartCopy', () => {
  it('copies a > 5 GB synthetic object by ranged parts in seconds, ending with the same size and CRC-64/NVME', async () => {
    const store = s3Store(sim.world);
    const size = 5 * GiB + 123_457;
    store.putObject(BUCKET, 'model/huge.tar.gz', { synthetic: { size, seed: 2024 } });
    const started = Date.now();
    const uploadId = await create('archive/huge.tar.gz', {
      ChecksumAlgorithm: 'CRC64NVME',
      ChecksumType: 'FULL_OBJECT',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'archive-key',
    });
    const partSize = 512 * MiB;
    const parts: CompletedPart[] = [];
    for (let start = 0, n = 1; start < size; start += partSize, n++) {
      const end = Math.min(size, start + partSize) - 1;
      const out = await s3.send(
        new UploadPartCopyCommand({
          Bucket: BUCKET,
          Key: 'archive/huge.tar.gz',
          UploadId: uploadId,
          PartNumber: n,
          CopySource: `${BUCKET}/model/huge.tar.gz`,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      expect(out.CopyPartResult?.ChecksumCRC64NVME).toBeTruthy();
      expect(out.SSEKMSKeyId).toContain('archive-key');
      parts.push({ PartNumber: n, ETag: out.CopyPartResult!.ETag, ChecksumCRC64NVME: out.CopyPartResult!.ChecksumCRC64NVME });
    }
    const done = await complete('archive/huge.tar.gz', uploadId, parts);
    const source = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'model/huge.tar.gz', ChecksumMode: 'ENABLED' }));
    const copy = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'archive/huge.tar.gz', ChecksumMode: 'ENABLED' }));
    expect(copy.ContentLength).toBe(size);
    expect(copy.ChecksumCRC64NVME).toBe(source.ChecksumCRC64NVME);
    expect(done.ChecksumCRC64NVME).toBe(source.ChecksumCRC64NVME);
    expect(copy).toMatchObject({ ChecksumType: 'FULL_OBJECT', ServerSideEncryption: 'aws:kms' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('detects a copy assembled from the wrong ranges: the checksum differs', async () => {
    const store = s3Store(sim.world);
    const size = 30 * MiB;
    store.putObject(BUCKET, 'ranges/src.bin', { synthetic: { size, seed: 7 } });
    const uploadId = await create('ranges/bad.bin');
    const half = size / 2;
    const copyPart = (PartNumber: number, range: string) =>
      s3.send(
        new UploadPartCopyCommand({
          Bucket: BUCKET,
          Key: 'ranges/bad.bin',
          UploadId: uploadId,
          PartNumber,
          CopySource: `${BUCKET}/ranges/src.bin`,
          CopySourceRange: range,
        }),
      );
    // The first half twice: same size, different content.
    const p1 = await copyPart(1, `bytes=0-${half - 1}`);
    const p2 = await copyPart(2, `bytes=0-${half - 1}`);
    await complete('ranges/bad.bin', uploadId, [
      { PartNumber: 1, ETag: p1.CopyPartResult!.ETag },
      { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
    ]);
    expect(store.head(BUCKET, 'ranges/bad.bin')!.size).toBe(size);
    expect(store.head(BUCKET, 'ranges/bad.bin')!.crc64nvme).not.toBe(store.head(BUCKET, 'ranges/src.bin')!.crc64nvme);
  });

  it('rejects ranges outside the source with InvalidArgument', async () => {
    s3Store(sim.world).putObject(BUCKET, 'ranges/small.bin', 'abc');
    const uploadId = await create('ranges/out.bin');
    const error = await rejection(
      s3.send(
        new UploadPartCopyCommand({
          Bucket: BUCKET,
          Key: 'ranges/out.bin',
          UploadId: uploadId,
          PartNumber: 1,
          CopySource: `${BUCKET}/ranges/small.bin`,
          CopySourceRange: 'bytes=0-3',
        }),
      ),
    );
    expect(error.name).toBe('InvalidArgument');
  });

  it('can be failed once through traffic faults, then succeeds on retry', async () => {
    s3Store(sim.world).putObject(BUCKET, 'faulty/src.bin', Buffer.alloc(6 * MiB, 3));
    const uploadId = await create('faulty/dst.bin');
    const failuresBefore = sim.ledger.count({ service: 's3', operation: 'UploadPartCopy', errors: true });
    sim.traffic.inject({ service: 's3', operation: 'UploadPartCopy', times: 1, error: { code: 'InternalError', message: 'injected', status: 500 } });
    const input = { Bucket: BUCKET, Key: 'faulty/dst.bin', UploadId: uploadId, PartNumber: 1, CopySource: `${BUCKET}/faulty/src.bin` };
    const failed = await rejection(s3.send(new UploadPartCopyCommand(input)));
    expect(failed.name).toBe('InternalError');
    const ok = await s3.send(new UploadPartCopyCommand(input));
    await complete('faulty/dst.bin', uploadId, [{ PartNumber: 1, ETag: ok.CopyPartResult!.ETag }]);
    const store = s3Store(sim.world);
    expect(store.head(BUCKET, 'faulty/dst.bin')!.crc64nvme).toBe(store.head(BUCKET, 'faulty/src.bin')!.crc64nvme);
    expect(store.readBytes(BUCKET, 'faulty/dst.bin').equals(store.readBytes(BUCKET, 'faulty/src.bin'))).toBe(true);
    expect(sim.ledger.count({ service: 's3', operation: 'UploadPartCopy', errors: true })).toBe(failuresBefore + 1);
  });
});
