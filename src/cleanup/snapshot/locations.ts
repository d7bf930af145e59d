/**
 * Where an artifact lives, parsed from the forms SageMaker accepts. ModelDataUrl's pattern is
 * `^(https|s3)://([^/]+)/?(.*)$` (SageMaker API reference, ContainerDefinition), so besides `s3://`
 * the virtual-hosted and path-style HTTPS URLs of S3 must be understood too.
 */
export interface S3Location {
  bucket: string;
  key: string;
}

const VIRTUAL_HOSTED = /^https:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\/(.*)$/;
const PATH_STYLE = /^https:\/\/s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/;
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/;

/** Parses an artifact URI; returns undefined for anything that is not an S3 location. */
export function parseArtifactUri(uri: string): S3Location | undefined {
  for (const pattern of [S3_URI, VIRTUAL_HOSTED, PATH_STYLE]) {
    const match = pattern.exec(uri);
    if (match) {
      const key = pattern === S3_URI ? match[2]! : safeDecode(match[2]!);
      return key === undefined ? undefined : { bucket: match[1]!, key };
    }
  }
  return undefined;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Buckets that AWS owns and keeps (JumpStart's public and gated model caches). Their content is
 * published by AWS, immutable per version and not ours to copy (gated models are licensed per
 * account), so artifacts there are recorded by reference. Private hub buckets
 * (`sagemaker-hubs-<region>-<account>`) belong to the customer and ARE copied.
 */
export const AWS_OWNED_BUCKET_PATTERNS: readonly RegExp[] = [/^jumpstart-cache-prod-[a-z0-9-]+$/, /^jumpstart-private-cache-prod-[a-z0-9-]+$/];

export function isAwsOwnedBucket(bucket: string, extraPatterns: readonly RegExp[] = []): boolean {
  return [...AWS_OWNED_BUCKET_PATTERNS, ...extraPatterns].some((pattern) => pattern.test(bucket));
}

/** Model packages owned by AWS Marketplace sellers carry `aws` as the account in their ARN. */
export function isAwsOwnedModelPackage(nameOrArn: string): boolean {
  return /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:aws:model-package\//.test(nameOrArn);
}

export function s3UriOf(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** The value S3 expects in x-amz-copy-source: `bucket/key`, the key URL-encoded but its slashes kept. */
export function copySourceOf(location: S3Location): string {
  return `${location.bucket}/${location.key.split('/').map(encodeURIComponent).join('/')}`;
}

/** S3 object keys are at most 1,024 bytes of UTF-8 (S3 User Guide, "Naming Amazon S3 objects"). */
export const MAX_KEY_BYTES = 1024;

/**
 * The archive key of a source object: the artifact prefix, then the source bucket and key. Bucket
 * names are globally unique and keys unique per bucket, so two sources never share an archive key,
 * and a prefix tree keeps its shape (an archived S3Prefix is the archive prefix of its source prefix).
 */
export function archiveKeyOf(artifactPrefix: string, source: S3Location): string {
  return `${artifactPrefix}${source.bucket}/${source.key}`;
}
