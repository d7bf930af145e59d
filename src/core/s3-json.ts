import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { awsHttpStatus, isConditionFailed, isS3NotFound, isTransient } from './aws-errors.ts';
import { InputValidationError, RetryableAwsError, errorMessage, errorName } from './errors.ts';

/**
 * JSON documents in the archive bucket: the workflow's database (approval and decision records,
 * locks, snapshot state, manifests, reports). Conditional writes make "written once" hold under
 * concurrency: a lost race is an answer (`written: false`), not an error.
 */

/** S3 answers 409 ConditionalRequestConflict while another conditional write to the key is in flight: retry it. */
function isConditionalConflict(error: unknown): boolean {
  return errorName(error) === 'ConditionalRequestConflict' || awsHttpStatus(error) === 409;
}
const CONFLICT_ATTEMPTS = 4;

/**
 * Throttling (SlowDown) or a 5xx that outlived the SDK's attempts is worth a state-machine retry: the
 * ASL's Retry matches RetryableAwsError, not S3's own error names, so without this one throttled
 * write of a record failed the whole sweep (found by the chaos harness).
 */
export function retryableIfTransient(error: unknown, doing: string): unknown {
  if (error instanceof RetryableAwsError || !isTransient(error)) return error;
  return new RetryableAwsError(`${doing}: ${errorName(error)}: ${errorMessage(error)}`, { cause: error });
}

/**
 * Reads a JSON object; undefined when the key does not exist. With a schema, the value is checked
 * (and transformed) by it, and a document that does not follow it is an InputValidationError naming
 * the object and the first field at fault.
 */
export async function readJsonObject(s3: S3Client, bucket: string, key: string): Promise<{ value: unknown; etag: string } | undefined>;
export async function readJsonObject<S extends z.ZodType>(
  s3: S3Client,
  bucket: string,
  key: string,
  schema: S,
): Promise<{ value: z.output<S>; etag: string } | undefined>;
export async function readJsonObject(s3: S3Client, bucket: string, key: string, schema?: z.ZodType): Promise<{ value: unknown; etag: string } | undefined> {
  let text: string;
  let etag: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await out.Body?.transformToString('utf-8')) ?? '';
    etag = out.ETag ?? '';
  } catch (error) {
    if (isS3NotFound(error)) return undefined;
    throw retryableIfTransient(error, `reading s3://${bucket}/${key}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new InputValidationError(`s3://${bucket}/${key} is not valid JSON`, key);
  }
  if (!schema) return { value, etag };
  const parsed = schema.safeParse(value);
  if (parsed.success) return { value: parsed.data, etag };
  const first = parsed.error.issues[0];
  const field = first?.path.join('.') ?? '';
  throw new InputValidationError(`s3://${bucket}/${key}${field ? ` field ${field}` : ''}: ${first?.message ?? 'invalid'}`, key);
}

export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export interface WriteOptions {
  /** A lost race returns `written: false` instead of overwriting someone else's object. */
  condition?: WriteCondition;
  kmsKeyId?: string;
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainUntil: Date };
}

export async function writeJsonObject(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
  options: WriteOptions = {},
): Promise<{ written: true; etag: string } | { written: false }> {
  const { condition, kmsKeyId, objectLock } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(value, null, 2),
          ContentType: 'application/json',
          IfNoneMatch: condition && 'ifNoneMatch' in condition ? condition.ifNoneMatch : undefined,
          IfMatch: condition && 'ifMatch' in condition ? condition.ifMatch : undefined,
          ...(kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: kmsKeyId } : {}),
          ...(objectLock ? { ObjectLockMode: objectLock.mode, ObjectLockRetainUntilDate: objectLock.retainUntil } : {}),
        }),
      );
      return { written: true, etag: out.ETag ?? '' };
    } catch (error) {
      if (condition && isConditionFailed(error)) return { written: false };
      if (condition && isConditionalConflict(error) && attempt < CONFLICT_ATTEMPTS) continue;
      throw retryableIfTransient(error, `writing s3://${bucket}/${key}`);
    }
  }
}

/** writeJsonObject for callers that only need to know whether it was written. */
export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown, options: WriteOptions = {}): Promise<boolean> {
  return (await writeJsonObject(s3, bucket, key, value, options)).written;
}

export async function deleteKey(s3: S3Client, bucket: string, key: string): Promise<void> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    throw retryableIfTransient(error, `deleting s3://${bucket}/${key}`);
  }
}

/** For working state only: a leftover is harmless and expires with the bucket's lifecycle rules. */
export async function deleteQuietly(s3: S3Client, bucket: string, key: string): Promise<void> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch {
    // See above: nothing depends on the delete.
  }
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified?: Date;
}

/** Every object under a prefix, page by page (ListObjectsV2 returns at most 1,000 keys per call). */
export async function* listObjects(s3: S3Client, bucket: string, prefix: string, startAfter?: string): AsyncGenerator<ListedObject[]> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix, StartAfter: startAfter })) {
    yield (page.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified }));
  }
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  try {
    for await (const page of listObjects(s3, bucket, prefix)) keys.push(...page.map((o) => o.key));
  } catch (error) {
    throw retryableIfTransient(error, `listing s3://${bucket}/${prefix}`);
  }
  return keys;
}
