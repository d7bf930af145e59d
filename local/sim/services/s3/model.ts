import type { Content } from './blob.ts';
import type { ChecksumAlgorithm, ChecksumType, StoredChecksum } from './checksums.ts';

/** The simulated S3's data model, kept in `world.global('s3')`. */

export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';
export type VersioningStatus = 'Unversioned' | 'Enabled' | 'Suspended';
export type SseAlgorithm = 'AES256' | 'aws:kms' | 'aws:kms:dsse';

export interface Encryption {
  algorithm: SseAlgorithm;
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
}

/** Headers stored with an object and returned on GET/HEAD. */
export interface ObjectAttributes {
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  websiteRedirectLocation?: string;
  storageClass: string;
  metadata: Record<string, string>;
}

export interface Retention {
  mode: LockMode;
  retainUntil: Date;
}

export interface ObjectVersion {
  key: string;
  /** 'null' for versions written while the bucket was unversioned or suspended. */
  versionId: string;
  deleteMarker: boolean;
  lastModified: Date;
  content: Content;
  /** Quoted, as on the wire. */
  etag: string;
  /** base64 full-object CRC-64/NVME; every object has one. */
  crc64nvme: string;
  /** The checksum the writer chose (CRC32 by SDK default), when it is not just the CRC-64/NVME. */
  checksum?: StoredChecksum;
  attributes: ObjectAttributes;
  encryption: Encryption;
  retention?: Retention;
  legalHold: boolean;
  /** Part sizes (and part checksums) of a multipart object. */
  parts?: { size: number; checksum?: string }[];
}

export interface UploadedPart {
  partNumber: number;
  content: Content;
  etag: string;
  lastModified: Date;
  /** Raw digest in the upload's algorithm (when it has one). */
  checksum?: Buffer;
  crc64: bigint;
}

export interface MultipartUpload {
  uploadId: string;
  key: string;
  initiated: Date;
  initiatorArn: string;
  attributes: ObjectAttributes;
  encryption: Encryption;
  retention?: Retention;
  legalHold: boolean;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  parts: Map<number, UploadedPart>;
}

export interface DefaultRetention {
  mode: LockMode;
  days?: number;
  years?: number;
}

export interface Bucket {
  name: string;
  ownerAccountId: string;
  region: string;
  createdAt: Date;
  versioning: VersioningStatus;
  objectLockEnabled: boolean;
  defaultRetention?: DefaultRetention;
  encryption: Encryption;
  /** Versions of each key, newest first. */
  keys: Map<string, ObjectVersion[]>;
  uploads: Map<string, MultipartUpload>;
  /** Keys in UTF-8 binary order, rebuilt after a key is added or removed. */
  sortedKeys?: string[];
}

export interface S3State {
  buckets: Map<string, Bucket>;
}
