/**
 * Pure rules deciding whether an archive copy is the same object as its source, and how to split a
 * large copy into parts. No I/O here, so every rule is unit-tested.
 */

export const CHECKSUM_ALGORITHMS = ['CRC64NVME', 'CRC32C', 'CRC32', 'SHA256', 'SHA1'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** What a HeadObject (with ChecksumMode ENABLED) says about an object. */
export interface ObjectInfo {
  size: number;
  etag: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  /** FULL_OBJECT or COMPOSITE; absent on objects uploaded in one part before checksum types existed. */
  checksumType?: string;
  serverSideEncryption?: string;
  kmsKeyId?: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

export type Verification = 'checksum' | 'etag-md5' | 'size-and-pinned-source';

export type VerifyResult = { ok: true; verification: Verification; algorithm?: ChecksumAlgorithm; checksum?: string } | { ok: false; reason: string };

/** A checksum of the whole content (not a checksum of part checksums, which depends on part boundaries). */
function fullObjectChecksum(info: ObjectInfo, algorithm: ChecksumAlgorithm): string | undefined {
  const value = info.checksums[algorithm];
  if (value === undefined || info.checksumType === 'COMPOSITE' || /-\d+$/.test(value)) return undefined;
  return value;
}

/** The algorithm a copy should carry so it is comparable with its source: the source's full-object one, else CRC64NVME. */
export function comparableAlgorithm(source: ObjectInfo): ChecksumAlgorithm {
  return CHECKSUM_ALGORITHMS.find((algorithm) => fullObjectChecksum(source, algorithm) !== undefined) ?? 'CRC64NVME';
}

const KMS_ENCRYPTIONS = new Set(['aws:kms', 'aws:kms:dsse']);

/** An ETag is the MD5 of the content only for single-part objects that are not SSE-KMS/DSSE/SSE-C encrypted (S3 API reference, Object.ETag). */
function isContentMd5(info: ObjectInfo): boolean {
  return /^"?[0-9a-f]{32}"?$/.test(info.etag) && !KMS_ENCRYPTIONS.has(info.serverSideEncryption ?? '');
}

/**
 * Source and copy are the same object when their sizes match and:
 * 1. a full-object checksum of the same algorithm matches (every object written to S3 since Dec 2024
 *    has a full-object CRC64NVME; CopyObject keeps or recomputes it); else
 * 2. both ETags are content MD5s and match (legacy single-part objects without SSE-KMS); else
 * 3. (legacy objects with no comparable checksum, e.g. SSE-KMS objects written before 2025) the copy was
 *    made by S3 itself with `x-amz-copy-source-if-match` pinning the exact source version and the sizes
 *    match. Reading both objects to hash them would cost two full downloads per artifact; we record the
 *    weaker level in the manifest instead, with the copy's own CRC64NVME for later re-verification.
 * `pinnedCopy` says whether this process just made the copy with the pin; an existing copy found on
 * resume cannot claim level 3 and is copied again.
 */
export function verifyCopy(source: ObjectInfo, copy: ObjectInfo, pinnedCopy: boolean): VerifyResult {
  if (source.size !== copy.size) return { ok: false, reason: `size differs: source ${source.size} bytes, copy ${copy.size} bytes` };
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const expected = fullObjectChecksum(source, algorithm);
    const actual = fullObjectChecksum(copy, algorithm);
    if (expected === undefined || actual === undefined) continue;
    if (expected !== actual) return { ok: false, reason: `${algorithm} differs: source ${expected}, copy ${actual}` };
    return { ok: true, verification: 'checksum', algorithm, checksum: expected };
  }
  if (isContentMd5(source) && isContentMd5(copy)) {
    if (normalizeEtag(source.etag) !== normalizeEtag(copy.etag)) return { ok: false, reason: `MD5 ETag differs: source ${source.etag}, copy ${copy.etag}` };
    return { ok: true, verification: 'etag-md5', checksum: normalizeEtag(source.etag) };
  }
  if (pinnedCopy) {
    const own = fullObjectChecksum(copy, 'CRC64NVME');
    return { ok: true, verification: 'size-and-pinned-source', ...(own ? { algorithm: 'CRC64NVME' as const, checksum: own } : {}) };
  }
  return { ok: false, reason: 'no comparable checksum between source and the existing copy' };
}

export function normalizeEtag(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

/** CopyObject copies at most 5 GB in one atomic operation (S3 API reference, CopyObject). */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
/** Multipart limits (S3 User Guide, "Amazon S3 multipart upload limits"). */
export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MAX_PARTS = 10_000;

/** Part size: the preferred size, grown (in whole MiB) until the object fits in 10,000 parts. */
export function choosePartSize(objectSize: number, preferred: number): number {
  const mib = 1024 ** 2;
  const needed = Math.ceil(objectSize / MAX_PARTS / mib) * mib;
  const size = Math.max(preferred, needed, MIN_PART_BYTES);
  if (size > MAX_PART_BYTES) throw new RangeError(`an object of ${objectSize} bytes cannot be copied in ${MAX_PARTS} parts of at most 5 GiB`);
  return size;
}

/** Inclusive byte ranges `bytes=first-last` for UploadPartCopy's x-amz-copy-source-range, numbered from 1. */
export function partRanges(objectSize: number, partSize: number): { partNumber: number; range: string; first: number; last: number }[] {
  const parts: { partNumber: number; range: string; first: number; last: number }[] = [];
  for (let first = 0, partNumber = 1; first < objectSize; first += partSize, partNumber++) {
    const last = Math.min(first + partSize, objectSize) - 1;
    parts.push({ partNumber, first, last, range: `bytes=${first}-${last}` });
  }
  return parts;
}
