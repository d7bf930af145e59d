import { createHash } from 'node:crypto';
import type { SimRequest } from '../../protocol.ts';
import { AwsChunkedDecoder } from './chunked.ts';
import {
  checksumHeader,
  checksumValueHeaders,
  decodeChecksum,
  newHasher,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type StreamHasher,
} from './checksums.ts';
import { CRC64NVME, Crc } from './crc.ts';
import { s3Error } from './errors.ts';

/**
 * Receives a request body the way S3 does: plain or aws-chunked, verifying every integrity claim
 * the client made (Content-MD5, x-amz-content-sha256, one x-amz-checksum-* header or trailer,
 * declared lengths) while the bytes stream in. Reads `req.stream` directly, never `req.body()`, so
 * it stops listening the moment the body is known to be bad and the server drains the rest.
 */
export interface ReceivedBody {
  data: Buffer;
  md5: Buffer;
  crc64: bigint;
  /** The checksum the client sent (header or trailer), already verified. */
  declared?: { algorithm: ChecksumAlgorithm; raw: Buffer };
}

const STREAMING_PAYLOADS = new Set([
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER',
]);

export function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseLength(value: string, name: string): number {
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw s3Error('InvalidArgument', `${name} is not a valid length`, { ArgumentName: name, ArgumentValue: value });
  return Number(value);
}

interface Plan {
  chunked: boolean;
  length: number;
  declared?: { algorithm: ChecksumAlgorithm; fromTrailer: boolean; expected?: Buffer };
  contentMd5?: Buffer;
  payloadSha256?: string;
}

function plan(req: SimRequest, maxSize: number, checksumHeadersDescribeBody: boolean): Plan {
  const sha = header(req, 'x-amz-content-sha256');
  const encodings = (header(req, 'content-encoding') ?? '').split(',').map((e) => e.trim().toLowerCase());
  const chunked = encodings.includes('aws-chunked') || (sha !== undefined && sha.startsWith('STREAMING-'));
  if (sha !== undefined && sha.startsWith('STREAMING-') && !STREAMING_PAYLOADS.has(sha))
    throw s3Error('InvalidArgument', `x-amz-content-sha256 ${sha} is not supported`, { ArgumentName: 'x-amz-content-sha256', ArgumentValue: sha });
  const payloadSha256 = sha !== undefined && /^[0-9a-f]{64}$/i.test(sha) ? sha.toLowerCase() : undefined;
  if (sha !== undefined && !payloadSha256 && sha !== 'UNSIGNED-PAYLOAD' && !sha.startsWith('STREAMING-')) {
    throw s3Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-…, or a valid sha256 value.', {
      ArgumentName: 'x-amz-content-sha256',
      ArgumentValue: sha,
    });
  }

  const lengthHeader = chunked ? header(req, 'x-amz-decoded-content-length') : header(req, 'content-length');
  let length: number;
  if (lengthHeader !== undefined) length = parseLength(lengthHeader, chunked ? 'x-amz-decoded-content-length' : 'Content-Length');
  else if (chunked || header(req, 'transfer-encoding') !== undefined) throw s3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.');
  else length = 0;
  if (length > maxSize)
    throw s3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: length, MaxSizeAllowed: maxSize });

  // CompleteMultipartUpload's x-amz-checksum-* headers describe the assembled object, not this body.
  const values = checksumHeadersDescribeBody ? checksumValueHeaders(req.headers) : [];
  if (values.length > 1) throw s3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const trailer = header(req, 'x-amz-trailer');
  let declared: Plan['declared'];
  if (trailer !== undefined) {
    if (!chunked) throw s3Error('InvalidRequest', 'x-amz-trailer is only allowed with aws-chunked encoding');
    if (values.length > 0) throw s3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    const name = trailer.trim().toLowerCase();
    if (!name.startsWith('x-amz-checksum-')) throw s3Error('InvalidRequest', `The trailer ${trailer} is not supported`);
    declared = { algorithm: parseChecksumAlgorithm(name.slice('x-amz-checksum-'.length), 'x-amz-trailer')!, fromTrailer: true };
  } else if (values[0]) {
    const { algorithm, value } = values[0];
    const expected = decodeChecksum(algorithm, value);
    if (!expected) throw s3Error('InvalidRequest', `Value for ${checksumHeader(algorithm)} header is invalid.`);
    declared = { algorithm, fromTrailer: false, expected };
  }
  const sdkAlgorithm = checksumHeadersDescribeBody
    ? parseChecksumAlgorithm(header(req, 'x-amz-sdk-checksum-algorithm'), 'x-amz-sdk-checksum-algorithm')
    : undefined;
  if (sdkAlgorithm && !declared)
    throw s3Error('InvalidRequest', 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.');
  if (sdkAlgorithm && declared && sdkAlgorithm !== declared.algorithm)
    throw s3Error('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');

  const md5Header = header(req, 'content-md5');
  let contentMd5: Buffer | undefined;
  if (md5Header !== undefined) {
    contentMd5 = Buffer.from(md5Header, 'base64');
    if (contentMd5.length !== 16 || !/^[A-Za-z0-9+/]+={0,2}$/.test(md5Header))
      throw s3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': md5Header });
  }
  return { chunked, length, declared, contentMd5, payloadSha256 };
}

export async function receiveBody(req: SimRequest, options: { maxSize: number; checksumHeadersDescribeBody?: boolean }): Promise<ReceivedBody> {
  const p = plan(req, options.maxSize, options.checksumHeadersDescribeBody ?? true);
  const chunks: Buffer[] = [];
  let received = 0;
  const md5 = createHash('md5');
  const crc64 = new Crc(CRC64NVME);
  const declaredHasher: StreamHasher | undefined = p.declared ? newHasher(p.declared.algorithm) : undefined;
  const sha256 = p.payloadSha256 ? createHash('sha256') : undefined;
  const sink = (data: Buffer) => {
    received += data.length;
    if (received > p.length) throw s3Error('IncompleteBody', 'The request body is longer than the declared content length');
    chunks.push(data);
    md5.update(data);
    crc64.update(data);
    declaredHasher?.update(data);
  };
  const decoder = p.chunked ? new AwsChunkedDecoder(sink) : undefined;

  await new Promise<void>((resolve, reject) => {
    const stream = req.stream;
    const detach = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const fail = (error: unknown) => {
      detach();
      reject(error);
    };
    const onData = (buffer: Buffer) => {
      try {
        sha256?.update(buffer);
        if (decoder) decoder.push(buffer);
        else sink(buffer);
      } catch (error) {
        fail(error);
      }
    };
    const onEnd = () => {
      detach();
      try {
        decoder?.end();
        resolve();
      } catch (error) {
        reject(error);
      }
    };
    const onError = (error: unknown) => fail(error);
    const onClose = () => fail(s3Error('IncompleteBody', 'The request body terminated unexpectedly'));
    if (stream.readableEnded) {
      resolve();
      return;
    }
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });

  if (received !== p.length) throw s3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header');
  if (sha256 && sha256.digest('hex') !== p.payloadSha256) {
    throw s3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
      ClientComputedContentSHA256: p.payloadSha256!,
    });
  }
  const md5Digest = md5.digest();
  if (p.contentMd5 && !p.contentMd5.equals(md5Digest)) {
    throw s3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
      ExpectedDigest: p.contentMd5.toString('hex'),
      CalculatedDigest: md5Digest.toString('base64'),
    });
  }
  let declared: ReceivedBody['declared'];
  if (p.declared && declaredHasher) {
    const { algorithm } = p.declared;
    const computed = declaredHasher.digest();
    let expected = p.declared.expected;
    if (p.declared.fromTrailer) {
      const trailerValue = decoder?.trailers[checksumHeader(algorithm)];
      if (trailerValue === undefined)
        throw s3Error('MalformedTrailerError', 'The request contained trailing data that was not well-formed or did not conform to our published schema.');
      expected = decodeChecksum(algorithm, trailerValue);
      if (!expected) throw s3Error('InvalidRequest', `Value for ${checksumHeader(algorithm)} trailing header is invalid.`);
    }
    if (!expected!.equals(computed)) throw s3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
    declared = { algorithm, raw: computed };
  }
  return { data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), md5: md5Digest, crc64: crc64.value(), declared };
}
