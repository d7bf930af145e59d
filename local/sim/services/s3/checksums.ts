import { createHash, type Hash } from 'node:crypto';
import { contentCrc, contentDigest, type Content } from './blob.ts';
import { CRC32, CRC32C, CRC64NVME, Crc, crcBytes, crcCombine, crcFromBytes, crcOf, type CrcSpec } from './crc.ts';
import { s3Error } from './errors.ts';

/**
 * S3's additional checksums. Header `x-amz-checksum-<alg>`, XML element `Checksum<ALG>`, base64 of the
 * big-endian digest. Multipart objects carry either a FULL_OBJECT checksum (CRCs only: combined from
 * the parts) or a COMPOSITE one (checksum of the concatenated part checksums, suffixed `-<parts>`).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** base64, with `-<parts>` for COMPOSITE. */
  value: string;
  type: ChecksumType;
}

const CRC_SPECS: Partial<Record<ChecksumAlgorithm, CrcSpec>> = { CRC32, CRC32C, CRC64NVME };

export const checksumHeader = (algorithm: ChecksumAlgorithm) => `x-amz-checksum-${algorithm.toLowerCase()}`;
export const checksumXmlName = (algorithm: ChecksumAlgorithm) => `Checksum${algorithm}`;
export const isCrc = (algorithm: ChecksumAlgorithm) => CRC_SPECS[algorithm] !== undefined;

export function parseChecksumAlgorithm(value: string | undefined, header: string): ChecksumAlgorithm | undefined {
  if (value === undefined || value === '') return undefined;
  const upper = value.toUpperCase();
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(upper)) return upper as ChecksumAlgorithm;
  throw s3Error('InvalidRequest', `Value for ${header} header is invalid.`);
}

/** Which `x-amz-checksum-*` value headers a request carries (S3 allows one). */
export function checksumValueHeaders(headers: Record<string, string | string[] | undefined>): { algorithm: ChecksumAlgorithm; value: string }[] {
  const out: { algorithm: ChecksumAlgorithm; value: string }[] = [];
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-checksum-') || name === 'x-amz-checksum-mode' || name === 'x-amz-checksum-type' || name === 'x-amz-checksum-algorithm')
      continue;
    const algorithm = name.slice('x-amz-checksum-'.length).toUpperCase();
    if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw s3Error('InvalidRequest', `The checksum algorithm ${algorithm} is not supported by the simulator (see docs/simulator/s3.md).`);
    }
    out.push({ algorithm: algorithm as ChecksumAlgorithm, value: Array.isArray(raw) ? raw.join(',') : (raw ?? '') });
  }
  return out;
}

/** Incremental hasher for request bodies. */
export interface StreamHasher {
  update(data: Buffer): void;
  digest(): Buffer;
}

export function newHasher(algorithm: ChecksumAlgorithm | 'MD5'): StreamHasher {
  const spec = algorithm === 'MD5' ? undefined : CRC_SPECS[algorithm];
  if (spec) {
    const crc = new Crc(spec);
    return { update: (d) => void crc.update(d), digest: () => crcBytes(spec, crc.value()) };
  }
  const hash: Hash = createHash(algorithm === 'MD5' ? 'md5' : algorithm === 'SHA1' ? 'sha1' : 'sha256');
  return { update: (d) => void hash.update(d), digest: () => hash.digest() };
}

/** Raw digest of content. CRCs never read synthetic bytes; SHA digests must (O(size)). */
export function checksumOfContent(algorithm: ChecksumAlgorithm, content: Content): Buffer {
  const spec = CRC_SPECS[algorithm];
  if (spec) return crcBytes(spec, contentCrc(spec, content));
  return contentDigest(algorithm === 'SHA1' ? 'sha1' : 'sha256', content);
}

export function crc64Base64(crc: bigint): string {
  return crcBytes(CRC64NVME, crc).toString('base64');
}

/** Full-object CRC of a multipart object from its parts' raw CRCs and sizes. */
export function combineFullObject(algorithm: ChecksumAlgorithm, parts: readonly { raw: Buffer; size: number }[]): Buffer {
  const spec = CRC_SPECS[algorithm];
  if (!spec) throw new Error(`${algorithm} has no full-object multipart checksum`);
  let acc = 0n;
  for (const part of parts) acc = crcCombine(spec, acc, crcFromBytes(spec, part.raw) ?? 0n, part.size);
  return crcBytes(spec, acc);
}

/** COMPOSITE checksum: the algorithm over the concatenated raw part checksums, then `-<count>`. */
export function compositeChecksum(algorithm: ChecksumAlgorithm, parts: readonly Buffer[]): string {
  const joined = Buffer.concat(parts);
  const spec = CRC_SPECS[algorithm];
  const digest = spec
    ? crcBytes(spec, crcOf(spec, joined))
    : createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256')
        .update(joined)
        .digest();
  return `${digest.toString('base64')}-${parts.length}`;
}

/** The checksum types S3 allows per algorithm in CreateMultipartUpload, and the default. */
export function multipartChecksumType(algorithm: ChecksumAlgorithm, requested: string | undefined): ChecksumType {
  const type = requested?.toUpperCase();
  if (type !== undefined && type !== 'FULL_OBJECT' && type !== 'COMPOSITE') throw s3Error('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
  if (algorithm === 'CRC64NVME') {
    if (type === 'COMPOSITE') throw s3Error('InvalidRequest', 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
    return 'FULL_OBJECT';
  }
  if (algorithm === 'SHA1' || algorithm === 'SHA256') {
    if (type === 'FULL_OBJECT')
      throw s3Error('InvalidRequest', `The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
    return 'COMPOSITE';
  }
  return (type as ChecksumType | undefined) ?? 'COMPOSITE';
}

export function decodeChecksum(algorithm: ChecksumAlgorithm, base64: string): Buffer | undefined {
  const expectedLength = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 }[algorithm];
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length === expectedLength ? bytes : undefined;
}
