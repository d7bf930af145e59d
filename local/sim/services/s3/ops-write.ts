import type { SimRequest } from '../../protocol.ts';
import { bytesContent } from './blob.ts';
import { header, receiveBody } from './body.ts';
import { bucketOf, emptyResponse, keyOf, xmlResponse, type S3Handler } from './call.ts';
import { checksumHeader, crc64Base64, type StoredChecksum } from './checksums.ts';
import { notImplemented, s3Error } from './errors.ts';
import { encryptionHeaders, objectAttributes, requestedEncryption, requestedLock, requireIntegrityForLock, versionHeader } from './headers.ts';
import { resolveVersion } from './ops-read.ts';
import { checkWriteConditions, commitVersion, deleteFromBucket, type WriteConditions } from './versions.ts';
import { el, xmlDocument } from './xml.ts';

/** PutObject, DeleteObject and reading per-object retention. */

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html: 5 GiB in a single PUT. */
export const MAX_PUT_SIZE = 5 * 1024 * 1024 * 1024;

/** If-None-Match accepts only `*` on writes; S3 answers anything else as not implemented. */
export function writeConditions(req: SimRequest): WriteConditions {
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw notImplemented('If-None-Match with a value other than *');
  return { ifNoneMatch, ifMatch: header(req, 'if-match') };
}

const putObject: S3Handler = async (call) => {
  const bucket = bucketOf(call);
  const key = keyOf(call);
  if (header(call.req, 'x-amz-write-offset-bytes') !== undefined) throw notImplemented('x-amz-write-offset-bytes (appends)');
  const attributes = objectAttributes(call.req);
  const encryption = requestedEncryption(call.req, bucket, bucket.region);
  const lock = requestedLock(call.req, bucket, call.now);
  requireIntegrityForLock(call.req, bucket, lock);
  const conditions = writeConditions(call.req);
  checkWriteConditions(bucket, key, conditions);
  const body = await receiveBody(call.req, { maxSize: MAX_PUT_SIZE });
  const checksum: StoredChecksum | undefined =
    body.declared && body.declared.algorithm !== 'CRC64NVME'
      ? { algorithm: body.declared.algorithm, value: body.declared.raw.toString('base64'), type: 'FULL_OBJECT' }
      : undefined;
  // Conditions are evaluated again at commit: another writer may have won while the body streamed in.
  const version = commitVersion(
    bucketOf(call),
    {
      key,
      deleteMarker: false,
      lastModified: call.ctx.world.now(),
      content: bytesContent(body.data),
      etag: `"${body.md5.toString('hex')}"`,
      crc64nvme: crc64Base64(body.crc64),
      checksum,
      attributes,
      encryption,
      retention: lock.retention,
      legalHold: lock.legalHold,
    },
    conditions,
  );
  const headers: Record<string, string> = {
    etag: version.etag,
    ...versionHeader(bucket, version.versionId),
    ...encryptionHeaders(encryption),
    'x-amz-checksum-type': 'FULL_OBJECT',
  };
  if (checksum) headers[checksumHeader(checksum.algorithm)] = checksum.value;
  else headers['x-amz-checksum-crc64nvme'] = version.crc64nvme;
  return emptyResponse(200, headers);
};

const deleteObject: S3Handler = (call) => {
  const bucket = bucketOf(call);
  const result = deleteFromBucket(bucket, keyOf(call), {
    versionId: call.query.get('versionId') ?? undefined,
    bypassGovernance: (header(call.req, 'x-amz-bypass-governance-retention') ?? '').toLowerCase() === 'true',
    ifMatch: header(call.req, 'if-match'),
    now: call.now,
  });
  const headers: Record<string, string> = {};
  if (result.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  if (result.versionId !== undefined && bucket.versioning !== 'Unversioned') headers['x-amz-version-id'] = result.versionId;
  return emptyResponse(204, headers);
};

const getObjectRetention: S3Handler = (call) => {
  const bucket = bucketOf(call);
  if (!bucket.objectLockEnabled) throw s3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  const version = resolveVersion(bucket, keyOf(call), call.query.get('versionId') ?? undefined);
  if (!version.retention) throw s3Error('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
  return xmlResponse(xmlDocument('Retention', el('Mode', version.retention.mode), el('RetainUntilDate', version.retention.retainUntil)));
};

export const writeHandlers: Record<string, S3Handler> = {
  PutObject: putObject,
  DeleteObject: deleteObject,
  GetObjectRetention: getObjectRetention,
};
