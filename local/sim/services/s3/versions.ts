import { randomBytes } from 'node:crypto';
import { noSuchKey, preconditionFailed, s3Error } from './errors.ts';
import type { Bucket, ObjectVersion, Retention } from './model.ts';

/**
 * The rules of a bucket's version history: S3's key order, versioning (the 'null' version),
 * conditional writes at commit time, default retention, and what Object Lock allows to be deleted.
 */

export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/** S3 lists in UTF-8 byte order, which differs from JS string order for characters past U+D7FF. */
export const utf8Compare = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export function sortedKeys(bucket: Bucket): string[] {
  if (!bucket.sortedKeys) {
    bucket.sortedKeys = [...bucket.keys.keys()]
      .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
      .map((e) => e.key);
  }
  return bucket.sortedKeys;
}

/** Keeps the sorted key index current without a full re-sort (binary insertion or removal). */
function indexKey(bucket: Bucket, key: string, present: boolean): void {
  const keys = bucket.sortedKeys;
  if (!keys) return;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (utf8Compare(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  const found = keys[lo] === key;
  if (present && !found) keys.splice(lo, 0, key);
  if (!present && found) keys.splice(lo, 1);
}

export function currentVersion(bucket: Bucket, key: string): ObjectVersion | undefined {
  const latest = bucket.keys.get(key)?.[0];
  return latest && !latest.deleteMarker ? latest : undefined;
}

export const unquote = (etag: string) =>
  etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');

export function etagMatches(condition: string, etag: string): boolean {
  return condition
    .split(',')
    .map((c) => c.trim())
    .some((c) => c === '*' || unquote(c) === unquote(etag));
}

export interface WriteConditions {
  ifNoneMatch?: string;
  ifMatch?: string;
}

/** Conditional writes, evaluated against the key's current version at commit time. */
export function checkWriteConditions(bucket: Bucket, key: string, conditions: WriteConditions): void {
  const current = currentVersion(bucket, key);
  if (conditions.ifNoneMatch !== undefined && current) throw preconditionFailed('If-None-Match');
  if (conditions.ifMatch !== undefined) {
    if (!current) throw noSuchKey(key);
    if (!etagMatches(conditions.ifMatch, current.etag)) throw preconditionFailed('If-Match');
  }
}

export function defaultRetention(bucket: Bucket, from: Date): Retention | undefined {
  const rule = bucket.objectLockEnabled ? bucket.defaultRetention : undefined;
  if (!rule) return undefined;
  const until = new Date(from);
  if (rule.days) until.setUTCDate(until.getUTCDate() + rule.days);
  if (rule.years) until.setUTCFullYear(until.getUTCFullYear() + rule.years);
  return { mode: rule.mode, retainUntil: until };
}

/** Adds a version as the key's newest, replacing the 'null' version unless versioning is Enabled. */
export function commitVersion(bucket: Bucket, version: Omit<ObjectVersion, 'versionId'>, conditions: WriteConditions = {}): ObjectVersion {
  checkWriteConditions(bucket, version.key, conditions);
  const committed: ObjectVersion = {
    ...version,
    versionId: bucket.versioning === 'Enabled' ? newVersionId() : 'null',
    retention: version.retention ?? (version.deleteMarker ? undefined : defaultRetention(bucket, version.lastModified)),
  };
  let versions = bucket.keys.get(version.key);
  if (!versions) {
    versions = [];
    bucket.keys.set(version.key, versions);
    indexKey(bucket, version.key, true);
  }
  if (committed.versionId === 'null') {
    const index = versions.findIndex((v) => v.versionId === 'null');
    if (index >= 0) versions.splice(index, 1);
  }
  versions.unshift(committed);
  return committed;
}

/** Why Object Lock forbids deleting (or shortening) this version now, if it does. */
export function lockViolation(version: ObjectVersion, now: Date, bypassGovernance: boolean): string | undefined {
  if (version.legalHold) return 'Access Denied because object protected by object lock.';
  const retention = version.retention;
  if (!retention || retention.retainUntil.getTime() <= now.getTime()) return undefined;
  if (retention.mode === 'GOVERNANCE' && bypassGovernance) return undefined;
  return 'Access Denied because object protected by object lock.';
}

export interface DeleteResult {
  deleteMarker: boolean;
  versionId?: string;
}

/** DeleteObject semantics: a delete marker on versioned buckets, permanent removal of a named version. */
export function deleteFromBucket(
  bucket: Bucket,
  key: string,
  opts: { versionId?: string; bypassGovernance?: boolean; ifMatch?: string; now: Date },
): DeleteResult {
  const versions = bucket.keys.get(key) ?? [];
  if (opts.ifMatch !== undefined) {
    const current = currentVersion(bucket, key);
    if (!current) throw noSuchKey(key);
    if (!etagMatches(opts.ifMatch, current.etag)) throw preconditionFailed('If-Match');
  }
  if (opts.versionId !== undefined) {
    const index = versions.findIndex((v) => v.versionId === opts.versionId);
    if (index < 0) {
      if (bucket.versioning === 'Unversioned' && opts.versionId !== 'null')
        throw s3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: opts.versionId });
      return { deleteMarker: false, versionId: opts.versionId };
    }
    const version = versions[index]!;
    const violation = lockViolation(version, opts.now, opts.bypassGovernance ?? false);
    if (violation) throw s3Error('AccessDenied', violation);
    versions.splice(index, 1);
    if (versions.length === 0) removeKey(bucket, key);
    return { deleteMarker: version.deleteMarker, versionId: version.versionId };
  }
  if (bucket.versioning === 'Unversioned') {
    const version = versions[0];
    if (version) {
      const violation = lockViolation(version, opts.now, opts.bypassGovernance ?? false);
      if (violation) throw s3Error('AccessDenied', violation);
    }
    removeKey(bucket, key);
    return { deleteMarker: false };
  }
  const marker = commitVersion(bucket, {
    key,
    deleteMarker: true,
    lastModified: opts.now,
    content: { segments: [], size: 0 },
    etag: '',
    crc64nvme: '',
    attributes: { contentType: '', storageClass: 'STANDARD', metadata: {} },
    encryption: { algorithm: 'AES256' },
    legalHold: false,
  });
  return { deleteMarker: true, versionId: marker.versionId };
}

export function removeKey(bucket: Bucket, key: string): void {
  if (bucket.keys.delete(key)) indexKey(bucket, key, false);
}
