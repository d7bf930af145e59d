import { header } from './body.ts';
import { bucketOf, keyOf, xmlResponse, type S3Call, type S3Handler } from './call.ts';
import { SimError } from '../../protocol.ts';
import { checksumOfContent, checksumXmlName, isCrc, parseChecksumAlgorithm, type StoredChecksum } from './checksums.ts';
import { invalidArgument, noSuchBucket, s3Error } from './errors.ts';
import { ARCHIVED_CLASSES, encryptionHeaders, objectAttributes, requestedEncryption, requestedLock, versionHeader } from './headers.ts';
import type { Bucket, ObjectVersion } from './model.ts';
import { checkConditions, resolveVersion } from './ops-read.ts';
import { contentFields } from './store.ts';
import { commitVersion } from './versions.ts';
import { el, xmlDocument } from './xml.ts';
import { writeConditions } from './ops-write.ts';

/** CopyObject, and the copy-source resolution it shares with UploadPartCopy. Copies share segments, never bytes. */

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html: one atomic copy is limited to 5 GiB. */
export const MAX_COPY_SOURCE = 5 * 1024 * 1024 * 1024;

export interface CopySource {
  bucket: Bucket;
  version: ObjectVersion;
  /** x-amz-copy-source-version-id, present when the source bucket is versioned. */
  headers: Record<string, string>;
}

/** Parses `x-amz-copy-source` ("bucket/key[?versionId=…]", URL-encoded) and applies the copy-source conditions. */
export function resolveCopySource(call: S3Call): CopySource {
  const raw = header(call.req, 'x-amz-copy-source') ?? '';
  const [path = '', query = ''] = raw.replace(/^\//, '').split('?', 2);
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', raw);
  }
  let bucketName: string;
  let key: string;
  let versionId: string | undefined;
  try {
    bucketName = decodeURIComponent(path.slice(0, slash));
    key = decodeURIComponent(path.slice(slash + 1));
    versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  } catch {
    throw invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', raw);
  }
  const bucket = call.state.buckets.get(bucketName);
  if (!bucket) throw noSuchBucket(bucketName);
  let version: ObjectVersion;
  try {
    version = resolveVersion(bucket, key, versionId);
  } catch (error) {
    if (error instanceof SimError && error.code === 'MethodNotAllowed') {
      throw s3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
    }
    throw error;
  }
  if (ARCHIVED_CLASSES.has(version.attributes.storageClass)) {
    throw s3Error('InvalidObjectState', "The operation is not valid for the object's storage class", { StorageClass: version.attributes.storageClass });
  }
  checkConditions(call.req, version, 'x-amz-copy-source-');
  return { bucket, version, headers: bucket.versioning === 'Unversioned' ? {} : { 'x-amz-copy-source-version-id': version.versionId } };
}

const copyObject: S3Handler = (call) => {
  const bucket = bucketOf(call);
  const key = keyOf(call);
  const source = resolveCopySource(call);
  const src = source.version;
  if (src.content.size > MAX_COPY_SOURCE) {
    throw s3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE}`);
  }
  const directive = (header(call.req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  const requested = objectAttributes(call.req);
  // The destination's encryption comes from this request or the destination bucket, never from the source.
  const encryption = requestedEncryption(call.req, bucket, bucket.region);
  const attributes =
    directive === 'REPLACE' ? requested : { ...src.attributes, metadata: { ...src.attributes.metadata }, storageClass: requested.storageClass };
  const changesSomething =
    directive === 'REPLACE' ||
    header(call.req, 'x-amz-storage-class') !== undefined ||
    header(call.req, 'x-amz-server-side-encryption') !== undefined ||
    header(call.req, 'x-amz-website-redirect-location') !== undefined;
  if (source.bucket === bucket && src.key === key && src === bucket.keys.get(key)?.[0] && !changesSomething) {
    throw s3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const lock = requestedLock(call.req, bucket, call.now);
  const algorithm = parseChecksumAlgorithm(header(call.req, 'x-amz-checksum-algorithm'), 'x-amz-checksum-algorithm');
  let checksum: StoredChecksum | undefined;
  if (algorithm && algorithm !== 'CRC64NVME') {
    checksum = { algorithm, value: checksumOfContent(algorithm, src.content).toString('base64'), type: 'FULL_OBJECT' };
  } else if (!algorithm && src.checksum?.type === 'FULL_OBJECT') {
    checksum = src.checksum;
  } else if (!algorithm && src.checksum && isCrc(src.checksum.algorithm)) {
    // A composite CRC becomes the full-object CRC of the same algorithm on a single-part copy.
    checksum = { algorithm: src.checksum.algorithm, value: checksumOfContent(src.checksum.algorithm, src.content).toString('base64'), type: 'FULL_OBJECT' };
  }
  // Same bytes, same CRC-64/NVME; a single-part source also keeps its ETag.
  const fields = src.parts ? contentFields(src.content) : { content: src.content, etag: src.etag, crc64nvme: src.crc64nvme };
  const version = commitVersion(
    bucket,
    {
      key,
      deleteMarker: false,
      lastModified: call.now,
      ...fields,
      checksum,
      attributes,
      encryption,
      retention: lock.retention,
      legalHold: lock.legalHold,
    },
    writeConditions(call.req),
  );
  const result = [el('ETag', version.etag), el('LastModified', version.lastModified), el('ChecksumType', 'FULL_OBJECT')];
  if (checksum) result.push(el(checksumXmlName(checksum.algorithm), checksum.value));
  else result.push(el('ChecksumCRC64NVME', version.crc64nvme));
  return xmlResponse(xmlDocument('CopyObjectResult', ...result), {
    ...source.headers,
    ...versionHeader(bucket, version.versionId),
    ...encryptionHeaders(version.encryption),
  });
};

export const copyHandlers: Record<string, S3Handler> = { CopyObject: copyObject };
