import type { World } from '../../world.ts';
import { bytesContent, contentBytes, contentCrc, contentEtagHex, syntheticContent, type Content } from './blob.ts';
import { crc64Base64 } from './checksums.ts';
import { CRC64NVME } from './crc.ts';
import type { Bucket, ObjectAttributes, ObjectVersion, S3State } from './model.ts';
import { commitVersion, currentVersion, removeKey, sortedKeys } from './versions.ts';

/**
 * The simulated S3's state (one per World, shared by the wire handlers) and `s3Store()`, the
 * in-process API that scenarios and tests use to seed and inspect buckets without going through
 * HTTP. Writes made here follow the same versioning and Object Lock rules as the API's.
 */

export type SyntheticBody = { synthetic: { size: number; seed: number } };

export interface ObjectSummary {
  size: number;
  /** Quoted, exactly as the ETag header and ListObjectsV2 give it. */
  etag: string;
  /** base64, exactly as HeadObject's ChecksumCRC64NVME gives it. */
  crc64nvme: string;
  lastModified: Date;
  metadata: Record<string, string>;
  sseKmsKeyId?: string;
  retainUntil?: Date;
  lockMode?: string;
}

export interface S3Store {
  /** Idempotent for the same owner; throws if another account owns the name. */
  createBucket(name: string, opts: { ownerAccountId: string; region: string; objectLockEnabled?: boolean }): void;
  putObject(
    bucket: string,
    key: string,
    body: Buffer | string | SyntheticBody,
    opts?: { contentType?: string; metadata?: Record<string, string>; sseKmsKeyId?: string },
  ): { etag: string; size: number };
  /** The current version, or undefined when the key is absent or its latest version is a delete marker. */
  head(bucket: string, key: string): ObjectSummary | undefined;
  /** Whole object, for small objects in tests; throws for > 64 MiB. */
  readBytes(bucket: string, key: string): Buffer;
  /** Keys with a current (non-delete-marker) version, in S3's order. */
  listKeys(bucket: string, prefix?: string): string[];
  bucketExists(name: string): boolean;
  /** Test helper: removes every version of the key, bypassing Object Lock. */
  deleteObject(bucket: string, key: string): void;
  /** Every version of a key, newest first (delete markers included). */
  listVersions(bucket: string, key: string): { versionId: string; deleteMarker: boolean; size: number; retainUntil?: Date; lockMode?: string }[];
}

export function s3State(world: World): S3State {
  return world.global<S3State>('s3', () => ({ buckets: new Map() }));
}

/** Bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'Bucket name must be between 3 and 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name))
    return 'Bucket name can only contain lowercase letters, numbers, dots and hyphens, and must begin and end with a letter or number';
  if (name.includes('..')) return 'Bucket name must not contain two adjacent periods';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'Bucket name must not be formatted as an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.endsWith('-s3alias') || name.endsWith('--ol-s3'))
    return 'Bucket name uses a reserved prefix or suffix';
  return undefined;
}

export function kmsKeyArn(keyId: string, region: string, accountId: string): string {
  if (keyId.startsWith('arn:')) return keyId;
  if (keyId.startsWith('alias/')) return `arn:aws:kms:${region}:${accountId}:${keyId}`;
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

/** A new object version's stored fields for `content`, with a real MD5 ETag where the bytes exist. */
export function contentFields(content: Content): Pick<ObjectVersion, 'content' | 'etag' | 'crc64nvme'> {
  const crc = contentCrc(CRC64NVME, content);
  return { content, etag: `"${contentEtagHex(content, crc)}"`, crc64nvme: crc64Base64(crc) };
}

export function s3Store(world: World): S3Store {
  const state = s3State(world);
  const bucketOf = (name: string): Bucket => {
    const bucket = state.buckets.get(name);
    if (!bucket) throw new Error(`s3Store: bucket ${name} does not exist`);
    return bucket;
  };
  const summary = (v: ObjectVersion): ObjectSummary => ({
    size: v.content.size,
    etag: v.etag,
    crc64nvme: v.crc64nvme,
    lastModified: v.lastModified,
    metadata: { ...v.attributes.metadata },
    sseKmsKeyId: v.encryption.algorithm.startsWith('aws:kms') ? v.encryption.kmsKeyId : undefined,
    retainUntil: v.retention?.retainUntil,
    lockMode: v.retention?.mode,
  });
  return {
    createBucket(name, opts) {
      const problem = bucketNameProblem(name);
      if (problem) throw new Error(`s3Store: invalid bucket name ${name}: ${problem}`);
      const existing = state.buckets.get(name);
      if (existing) {
        if (existing.ownerAccountId !== opts.ownerAccountId) throw new Error(`s3Store: bucket ${name} is owned by ${existing.ownerAccountId}`);
        return;
      }
      state.buckets.set(name, {
        name,
        ownerAccountId: opts.ownerAccountId,
        region: opts.region,
        createdAt: world.now(),
        versioning: opts.objectLockEnabled ? 'Enabled' : 'Unversioned',
        objectLockEnabled: opts.objectLockEnabled ?? false,
        encryption: { algorithm: 'AES256' },
        keys: new Map(),
        uploads: new Map(),
      });
    },
    putObject(bucketName, key, body, opts = {}) {
      const bucket = bucketOf(bucketName);
      const content =
        typeof body === 'string'
          ? bytesContent(Buffer.from(body, 'utf8'))
          : Buffer.isBuffer(body)
            ? bytesContent(body)
            : syntheticContent(body.synthetic.seed, body.synthetic.size);
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.metadata ?? {})) metadata[k.toLowerCase()] = v;
      const attributes: ObjectAttributes = { contentType: opts.contentType ?? 'binary/octet-stream', storageClass: 'STANDARD', metadata };
      const version = commitVersion(bucket, {
        key,
        deleteMarker: false,
        lastModified: world.now(),
        ...contentFields(content),
        attributes,
        encryption: opts.sseKmsKeyId
          ? { algorithm: 'aws:kms', kmsKeyId: kmsKeyArn(opts.sseKmsKeyId, bucket.region, bucket.ownerAccountId) }
          : { ...bucket.encryption },
        legalHold: false,
      });
      return { etag: version.etag, size: version.content.size };
    },
    head(bucketName, key) {
      const bucket = state.buckets.get(bucketName);
      const version = bucket && currentVersion(bucket, key);
      return version ? summary(version) : undefined;
    },
    readBytes(bucketName, key) {
      const version = currentVersion(bucketOf(bucketName), key);
      if (!version) throw new Error(`s3Store: s3://${bucketName}/${key} does not exist`);
      return contentBytes(version.content);
    },
    listKeys(bucketName, prefix = '') {
      const bucket = bucketOf(bucketName);
      return sortedKeys(bucket).filter((k) => k.startsWith(prefix) && currentVersion(bucket, k) !== undefined);
    },
    bucketExists: (name) => state.buckets.has(name),
    deleteObject(bucketName, key) {
      removeKey(bucketOf(bucketName), key);
    },
    listVersions(bucketName, key) {
      return (bucketOf(bucketName).keys.get(key) ?? []).map((v) => ({
        versionId: v.versionId,
        deleteMarker: v.deleteMarker,
        size: v.content.size,
        retainUntil: v.retention?.retainUntil,
        lockMode: v.retention?.mode,
      }));
    },
  };
}
