import type { SimRequest, SimResponse } from '../../protocol.ts';
import { contentStream, sliceContent } from './blob.ts';
import { header } from './body.ts';
import { bucketOf, keyOf, type S3Call, type S3Handler } from './call.ts';
import { invalidArgument, noSuchKey, preconditionFailed, s3Error } from './errors.ts';
import { ARCHIVED_CLASSES, objectHeaders } from './headers.ts';
import type { Bucket, ObjectVersion } from './model.ts';
import { etagMatches } from './versions.ts';

/** GetObject and HeadObject: version resolution, conditional reads, byte ranges and part numbers. */

/** The version a request names (?versionId) or the current one, with S3's delete-marker answers. */
export function resolveVersion(bucket: Bucket, key: string, versionId: string | undefined): ObjectVersion {
  const versions = bucket.keys.get(key) ?? [];
  if (versionId === undefined) {
    const latest = versions[0];
    if (!latest) throw noSuchKey(key);
    if (latest.deleteMarker) throw noSuchKey(key, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': latest.versionId });
    return latest;
  }
  if (bucket.versioning === 'Unversioned' && versionId !== 'null') throw invalidArgument('Invalid version id specified', 'versionId', versionId);
  const version = versions.find((v) => v.versionId === versionId);
  if (!version) throw s3Error('NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId });
  if (version.deleteMarker) {
    throw s3Error(
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
      { Method: 'GET', ResourceType: 'DeleteMarker' },
      {
        'x-amz-delete-marker': 'true',
        'x-amz-version-id': version.versionId,
        'last-modified': version.lastModified.toUTCString(),
        allow: 'DELETE',
      },
    );
  }
  return version;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function parseHttpDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * RFC 7232 evaluation order as S3 applies it: If-Match, else If-Unmodified-Since (412); then
 * If-None-Match, else If-Modified-Since (304 on GET/HEAD, 412 for copy sources).
 */
export function checkConditions(req: SimRequest, version: ObjectVersion, prefix: '' | 'x-amz-copy-source-'): void {
  const ifMatch = header(req, `${prefix}if-match`);
  const ifNoneMatch = header(req, `${prefix}if-none-match`);
  const unmodifiedSince = parseHttpDate(header(req, `${prefix}if-unmodified-since`));
  const modifiedSince = parseHttpDate(header(req, `${prefix}if-modified-since`));
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, version.etag)) throw preconditionFailed(`${prefix}If-Match`);
  } else if (unmodifiedSince && seconds(version.lastModified) > seconds(unmodifiedSince)) {
    throw preconditionFailed(`${prefix}If-Unmodified-Since`);
  }
  const notModified = () =>
    prefix === ''
      ? s3Error('NotModified', 'Not Modified', {}, { etag: version.etag, 'last-modified': version.lastModified.toUTCString() })
      : preconditionFailed(`${prefix}If-None-Match`);
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, version.etag)) throw notModified();
  } else if (modifiedSince && seconds(version.lastModified) <= seconds(modifiedSince)) {
    throw notModified();
  }
}

/** A single `bytes=` range; anything S3 would ignore (malformed, multiple ranges) yields undefined. */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const unsatisfiable = () => s3Error('InvalidRange', 'The requested range is not satisfiable', { RangeRequested: value, ActualObjectSize: size });
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function readObject(call: S3Call, withBody: boolean): SimResponse {
  const bucket = bucketOf(call);
  const key = keyOf(call);
  const version = resolveVersion(bucket, key, call.query.get('versionId') ?? undefined);
  if (ARCHIVED_CLASSES.has(version.attributes.storageClass) && withBody) {
    throw s3Error('InvalidObjectState', "The operation is not valid for the object's storage class", { StorageClass: version.attributes.storageClass });
  }
  checkConditions(call.req, version, '');
  const size = version.content.size;
  const rangeHeader = header(call.req, 'range');
  const partParam = call.query.get('partNumber');
  if (rangeHeader !== undefined && partParam !== null) throw s3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  let range = parseRange(rangeHeader, size);
  const extra: Record<string, string> = {};
  if (partParam !== null) {
    const partNumber = Number(partParam);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
      throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', partParam);
    const parts = version.parts ?? [{ size }];
    const part = parts[partNumber - 1];
    if (!part)
      throw s3Error('InvalidPartNumber', 'The requested partnumber is not satisfiable', { PartNumberRequested: partNumber, ActualPartCount: parts.length });
    const start = parts.slice(0, partNumber - 1).reduce((sum, p) => sum + p.size, 0);
    range = { start, end: start + part.size - 1 };
    if (version.parts) extra['x-amz-mp-parts-count'] = String(version.parts.length);
  }
  const wholeObject = range === undefined;
  // S3 returns the stored checksum only for whole-object reads; a range has no stored checksum.
  const checksums = wholeObject && (header(call.req, 'x-amz-checksum-mode') ?? '').toUpperCase() === 'ENABLED';
  const headers: Record<string, string> = { ...objectHeaders(bucket, version, { checksums }), ...extra };
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = call.query.get(param);
    if (value !== null) headers[name] = value;
  }
  const start = range?.start ?? 0;
  const end = range ? range.end + 1 : size;
  headers['content-length'] = String(end - start);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  const status = range ? 206 : 200;
  if (!withBody) return { status, headers, body: '' };
  const content = range ? sliceContent(version.content, start, end) : version.content;
  return { status, headers, body: contentStream(content) };
}

export const readHandlers: Record<string, S3Handler> = {
  GetObject: (call) => readObject(call, true),
  HeadObject: (call) => readObject(call, false),
};
