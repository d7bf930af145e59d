import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { s3Store } from '../../local/sim/services/s3/store.ts';
import { World } from '../../local/sim/world.ts';
import { raw, s3Client } from './s3-fixtures.ts';

let sim: Simulator;
let s3: S3Client;
const BUCKET = 'wire-bucket';

beforeAll(async () => {
  sim = await startSimulator({ world: new World('o-abcdefghij', '111111111111', 'r-ab12') });
  s3 = s3Client(sim);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3.destroy();
  await sim.stop();
});

const signature = (n: number) => n.toString(16).padStart(64, '0');
const crc32Base64 = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
};

/** aws-chunked body: signed chunks (chunk-signature=…), optional trailers. */
function chunked(chunks: Buffer[], opts: { signed?: boolean; trailers?: Record<string, string> } = {}): Buffer {
  const ext = (i: number) => (opts.signed ? `;chunk-signature=${signature(i)}` : '');
  const parts: Buffer[] = [];
  chunks.forEach((chunk, i) => parts.push(Buffer.from(`${chunk.length.toString(16)}${ext(i)}\r\n`), chunk, Buffer.from('\r\n')));
  parts.push(Buffer.from(`0${ext(chunks.length)}\r\n`));
  for (const [name, value] of Object.entries(opts.trailers ?? {})) parts.push(Buffer.from(`${name}:${value}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

const streamingHeaders = (decodedLength: number, sha: string, extra: Record<string, string> = {}) => ({
  'x-amz-content-sha256': sha,
  'content-encoding': 'aws-chunked',
  'x-amz-decoded-content-length': String(decodedLength),
  ...extra,
});

describe('aws-chunked uploads', () => {
  it('accepts SigV4 streaming with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', async () => {
    const data = [Buffer.alloc(8192, 'a'), Buffer.alloc(8192, 'b'), Buffer.from('end')];
    const body = chunked(data, { signed: true });
    const res = await raw(
      sim,
      'PUT',
      `/${BUCKET}/signed.bin`,
      { ...streamingHeaders(16387, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'), 'content-length': body.length },
      body,
    );
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe(`"${createHash('md5').update(Buffer.concat(data)).digest('hex')}"`);
    expect(s3Store(sim.world).readBytes(BUCKET, 'signed.bin').equals(Buffer.concat(data))).toBe(true);
  });

  it('verifies a trailing checksum (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)', async () => {
    const data = Buffer.from('trailer checked');
    const headers = streamingHeaders(data.length, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { 'x-amz-trailer': 'x-amz-checksum-crc32' });
    const good = chunked([data], { signed: true, trailers: { 'x-amz-checksum-crc32': crc32Base64(data), 'x-amz-trailer-signature': signature(9) } });
    const ok = await raw(sim, 'PUT', `/${BUCKET}/trailer.txt`, headers, good);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amz-checksum-crc32']).toBe(crc32Base64(data));
    const bad = chunked([data], { signed: true, trailers: { 'x-amz-checksum-crc32': crc32Base64(Buffer.from('other')) } });
    const rejected = await raw(sim, 'PUT', `/${BUCKET}/trailer-bad.txt`, headers, bad);
    expect(rejected.status).toBe(400);
    expect(rejected.body).toContain('<Code>BadDigest</Code>');
    expect(s3Store(sim.world).head(BUCKET, 'trailer-bad.txt')).toBeUndefined();
  });

  it('refuses a non-final chunk under 8 KiB with InvalidChunkSizeError, like S3', async () => {
    const body = chunked([Buffer.from('small'), Buffer.from('more')]);
    const res = await raw(sim, 'PUT', `/${BUCKET}/small-chunks.txt`, streamingHeaders(9, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'), body);
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/<Code>InvalidChunkSizeError<\/Code>.*<Chunk>1<\/Chunk><BadChunkSize>5<\/BadChunkSize>/);
  });

  it('refuses a body shorter than x-amz-decoded-content-length and malformed chunk headers', async () => {
    const short = await raw(
      sim,
      'PUT',
      `/${BUCKET}/short.txt`,
      streamingHeaders(100, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'),
      chunked([Buffer.from('only ten b')]),
    );
    expect(short.status).toBe(400);
    expect(short.body).toContain('<Code>IncompleteBody</Code>');
    const garbage = await raw(
      sim,
      'PUT',
      `/${BUCKET}/garbage.txt`,
      streamingHeaders(3, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'),
      Buffer.from('zz;\r\nabc\r\n0\r\n\r\n'),
    );
    expect(garbage.status).toBe(400);
    expect(garbage.body).toContain('<Code>InvalidRequest</Code>');
  });
});

describe('integrity headers', () => {
  it('checks a hex x-amz-content-sha256 against the payload', async () => {
    const res = await raw(sim, 'PUT', `/${BUCKET}/sha.txt`, { 'x-amz-content-sha256': createHash('sha256').update('other').digest('hex') }, 'payload');
    expect(res.status).toBe(400);
    expect(res.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
  });

  it('needs a checksum header when x-amz-sdk-checksum-algorithm announces one', async () => {
    const res = await raw(sim, 'PUT', `/${BUCKET}/announced.txt`, { 'x-amz-sdk-checksum-algorithm': 'CRC32' }, 'payload');
    expect(res.status).toBe(400);
    expect(res.body).toContain('<Code>InvalidRequest</Code>');
  });
});

describe('errors on the wire', () => {
  it('uses the S3 XML error shape with the key and request id', async () => {
    const res = await raw(sim, 'GET', `/${BUCKET}/missing%20key`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/xml');
    expect(res.body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>missing key<\/Key><RequestId>[^<]+<\/RequestId><HostId>/,
    );
    expect(res.headers['x-amz-request-id']).toBeTruthy();
  });

  it('answers HEAD errors without a body', async () => {
    const res = await raw(sim, 'HEAD', `/${BUCKET}/missing`);
    expect(res.status).toBe(404);
    expect(res.body).toBe('');
  });

  it('survives malformed input: bad XML, bad percent-encoding, unknown sub-resources', async () => {
    const xml = await raw(
      sim,
      'PUT',
      `/${BUCKET}/?object-lock`,
      { 'content-md5': createHash('md5').update('<ObjectLockConfiguration>').digest('base64') },
      '<ObjectLockConfiguration>',
    );
    expect(xml.status).toBe(400);
    expect(xml.body).toContain('<Code>MalformedXML</Code>');
    const doctype =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><ObjectLockConfiguration><ObjectLockEnabled>&a;</ObjectLockEnabled></ObjectLockConfiguration>';
    expect((await raw(sim, 'PUT', `/${BUCKET}/?object-lock`, { 'content-md5': createHash('md5').update(doctype).digest('base64') }, doctype)).body).toContain(
      'MalformedXML',
    );
    const uri = await raw(sim, 'GET', `/${BUCKET}/bad%ZZkey`);
    expect(uri.status).toBe(400);
    expect(uri.body).toContain('<Code>InvalidURI</Code>');
    const acl = await raw(sim, 'GET', `/${BUCKET}/?acl`);
    expect(acl.status).toBe(501);
    const completion = await raw(sim, 'POST', `/${BUCKET}/k?uploadId=nope`, {}, 'not xml at all');
    expect(completion.status).toBe(404);
    expect(completion.body).toContain('<Code>NoSuchUpload</Code>');
    // Still serving.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'alive', Body: 'yes' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'alive' }))).ContentLength).toBe(3);
  });

  it('names ledger operations after the SDK commands', async () => {
    sim.ledger.reset();
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ledger', Body: 'x' }));
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'ledger' }));
    await raw(sim, 'GET', `/${BUCKET}/?list-type=2&prefix=l`);
    await raw(sim, 'PUT', `/${BUCKET}/copy`, { 'x-amz-copy-source': `/${BUCKET}/ledger` });
    expect(sim.ledger.byOperation({ service: 's3' })).toEqual({ 's3:PutObject': 1, 's3:HeadObject': 1, 's3:ListObjectsV2': 1, 's3:CopyObject': 1 });
  });
});

describe('throttling', () => {
  it('answers 503 SlowDown, which the SDK retries until it succeeds', async () => {
    const throttled = await startSimulator({
      world: new World('o-abcdefghij', '111111111111', 'r-ab12'),
      throttling: { enabled: true, limits: { s3: { rate: 20, burst: 2 } } },
    });
    const client = s3Client(throttled, 'us-east-1', { maxAttempts: 10 });
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'throttled' }));
      for (let i = 0; i < 6; i++) await client.send(new PutObjectCommand({ Bucket: 'throttled', Key: `k${i}`, Body: 'x' }));
      expect(s3Store(throttled.world).listKeys('throttled')).toHaveLength(6);
      expect(throttled.ledger.count({ service: 's3', errors: true })).toBeGreaterThan(0);
      expect(throttled.ledger.filter({ service: 's3', errors: true }).every((e) => e.status === 503 && e.errorCode === 'SlowDown')).toBe(true);
    } finally {
      client.destroy();
      await throttled.stop();
    }
  });
});
