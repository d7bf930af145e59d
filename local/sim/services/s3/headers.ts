import type { SimRequest } from '../../protocol.ts';
import { header } from './body.ts';
import { checksumHeader } from './checksums.ts';
import { invalidArgument, notImplemented, s3Error } from './errors.ts';
import type { Bucket, Encryption, ObjectAttributes, ObjectVersion, Retention, SseAlgorithm } from './model.ts';
import { kmsKeyArn } from './store.ts';

/** Request headers → stored object fields, and stored fields → response headers. */

const STORAGE_CLASSES = new Set([
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'OUTPOSTS',
  'GLACIER_IR',
  'SNOW',
  'EXPRESS_ONEZONE',
]);
/** Storage classes whose objects must be restored before they can be read or copied. */
export const ARCHIVED_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export function objectAttributes(req: SimRequest): ObjectAttributes {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  const storageClass = header(req, 'x-amz-storage-class') ?? 'STANDARD';
  if (!STORAGE_CLASSES.has(storageClass))
    throw s3Error('InvalidStorageClass', 'The storage class you specified is not valid', { StorageClassRequested: storageClass });
  // aws-chunked is a transfer detail: S3 does not store it as the object's Content-Encoding.
  const encoding = (header(req, 'content-encoding') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && e.toLowerCase() !== 'aws-chunked')
    .join(',');
  return {
    contentType: header(req, 'content-type') ?? 'binary/octet-stream',
    cacheControl: header(req, 'cache-control'),
    contentDisposition: header(req, 'content-disposition'),
    contentEncoding: encoding === '' ? undefined : encoding,
    contentLanguage: header(req, 'content-language'),
    expires: header(req, 'expires'),
    websiteRedirectLocation: header(req, 'x-amz-website-redirect-location'),
    storageClass,
    metadata,
  };
}

/** SSE requested by headers, or the bucket's default encryption. SSE-C is not simulated. */
export function requestedEncryption(req: SimRequest, bucket: Bucket, region: string): Encryption {
  if (header(req, 'x-amz-server-side-encryption-customer-algorithm') !== undefined) throw notImplemented('SSE-C (customer-provided keys)');
  const algorithm = header(req, 'x-amz-server-side-encryption');
  const keyId = header(req, 'x-amz-server-side-encryption-aws-kms-key-id');
  const bucketKey = header(req, 'x-amz-server-side-encryption-bucket-key-enabled');
  if (algorithm === undefined) {
    if (keyId !== undefined)
      throw invalidArgument(
        'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
        'x-amz-server-side-encryption',
        'null',
      );
    return { ...bucket.encryption };
  }
  if (algorithm !== 'AES256' && algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') {
    throw invalidArgument('The encryption method specified is not supported', 'x-amz-server-side-encryption', algorithm);
  }
  if (algorithm === 'AES256') {
    if (keyId !== undefined)
      throw invalidArgument(
        'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
        'x-amz-server-side-encryption',
        algorithm,
      );
    return { algorithm };
  }
  const defaultKey = bucket.encryption.algorithm === algorithm ? bucket.encryption.kmsKeyId : undefined;
  return {
    algorithm: algorithm as SseAlgorithm,
    kmsKeyId:
      keyId !== undefined ? kmsKeyArn(keyId, region, bucket.ownerAccountId) : (defaultKey ?? `arn:aws:kms:${region}:${bucket.ownerAccountId}:alias/aws/s3`),
    bucketKeyEnabled: bucketKey === undefined ? bucket.encryption.bucketKeyEnabled : bucketKey.toLowerCase() === 'true',
  };
}

/** Object Lock headers; both mode and date or neither, and only on lock-enabled buckets. */
export function requestedLock(req: SimRequest, bucket: Bucket, now: Date): { retention?: Retention; legalHold: boolean } {
  const mode = header(req, 'x-amz-object-lock-mode');
  const until = header(req, 'x-amz-object-lock-retain-until-date');
  const hold = header(req, 'x-amz-object-lock-legal-hold');
  if (mode === undefined && until === undefined && hold === undefined) return { legalHold: false };
  if (!bucket.objectLockEnabled) throw s3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  if (hold !== undefined && hold !== 'ON' && hold !== 'OFF')
    throw invalidArgument("Legal Hold must be either of 'ON' or 'OFF'", 'x-amz-object-lock-legal-hold', hold);
  if ((mode === undefined) !== (until === undefined)) {
    throw invalidArgument(
      'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
      mode === undefined ? 'x-amz-object-lock-mode' : 'x-amz-object-lock-retain-until-date',
      '',
    );
  }
  let retention: Retention | undefined;
  if (mode !== undefined && until !== undefined) {
    if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw invalidArgument('Unknown wormMode directive.', 'x-amz-object-lock-mode', mode);
    const date = new Date(until);
    if (Number.isNaN(date.getTime()))
      throw invalidArgument('The retain until date must be provided in ISO 8601 format', 'x-amz-object-lock-retain-until-date', until);
    if (date.getTime() <= now.getTime()) throw invalidArgument('The retain until date must be in the future!', 'x-amz-object-lock-retain-until-date', until);
    retention = { mode, retainUntil: date };
  }
  return { retention, legalHold: hold === 'ON' };
}

/** S3 requires an integrity header on uploads that get a retention period (explicit or the bucket default) or a legal hold. */
export function requireIntegrityForLock(req: SimRequest, bucket: Bucket, lock: { retention?: Retention; legalHold: boolean }): void {
  if (!lock.retention && !lock.legalHold && !(bucket.objectLockEnabled && bucket.defaultRetention)) return;
  const hasChecksum = Object.keys(req.headers).some(
    (h) =>
      h === 'content-md5' || h === 'x-amz-sdk-checksum-algorithm' || (h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-mode') || h === 'x-amz-trailer',
  );
  if (!hasChecksum)
    throw s3Error('InvalidRequest', 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters');
}

export function encryptionHeaders(encryption: Encryption): Record<string, string> {
  const out: Record<string, string> = { 'x-amz-server-side-encryption': encryption.algorithm };
  if (encryption.kmsKeyId && encryption.algorithm !== 'AES256') out['x-amz-server-side-encryption-aws-kms-key-id'] = encryption.kmsKeyId;
  if (encryption.bucketKeyEnabled) out['x-amz-server-side-encryption-bucket-key-enabled'] = 'true';
  return out;
}

export function versionHeader(bucket: Bucket, versionId: string): Record<string, string> {
  return bucket.versioning === 'Unversioned' ? {} : { 'x-amz-version-id': versionId };
}

/** Everything GET and HEAD return about a version. Checksums only with x-amz-checksum-mode: ENABLED on whole-object reads. */
export function objectHeaders(bucket: Bucket, version: ObjectVersion, opts: { checksums: boolean }): Record<string, string> {
  const a = version.attributes;
  const out: Record<string, string> = {
    'content-type': a.contentType,
    etag: version.etag,
    'last-modified': version.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...versionHeader(bucket, version.versionId),
    ...encryptionHeaders(version.encryption),
  };
  if (a.cacheControl !== undefined) out['cache-control'] = a.cacheControl;
  if (a.contentDisposition !== undefined) out['content-disposition'] = a.contentDisposition;
  if (a.contentEncoding !== undefined) out['content-encoding'] = a.contentEncoding;
  if (a.contentLanguage !== undefined) out['content-language'] = a.contentLanguage;
  if (a.expires !== undefined) out.expires = a.expires;
  if (a.websiteRedirectLocation !== undefined) out['x-amz-website-redirect-location'] = a.websiteRedirectLocation;
  if (a.storageClass !== 'STANDARD') out['x-amz-storage-class'] = a.storageClass;
  for (const [name, value] of Object.entries(a.metadata)) out[`x-amz-meta-${name}`] = headerSafe(value);
  if (version.retention) {
    out['x-amz-object-lock-mode'] = version.retention.mode;
    out['x-amz-object-lock-retain-until-date'] = version.retention.retainUntil.toISOString();
  }
  if (bucket.objectLockEnabled) out['x-amz-object-lock-legal-hold'] = version.legalHold ? 'ON' : 'OFF';
  if (opts.checksums) {
    out['x-amz-checksum-crc64nvme'] = version.crc64nvme;
    out['x-amz-checksum-type'] = 'FULL_OBJECT';
    // The writer's own full-object checksum as well; a COMPOSITE one is left out because a single
    // x-amz-checksum-type cannot describe both, and clients validate the highest-priority header.
    if (version.checksum && version.checksum.type === 'FULL_OBJECT' && version.checksum.algorithm !== 'CRC64NVME') {
      out[checksumHeader(version.checksum.algorithm)] = version.checksum.value;
    }
  }
  return out;
}

/** Metadata that cannot travel as a header value goes out RFC 2047-encoded, as S3 returns non-ASCII metadata. */
function headerSafe(value: string): string {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}
