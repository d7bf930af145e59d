import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { InputValidationError, errorName } from '../core/errors.ts';

/** Small JSON-in-S3 helpers for the sweep steps (the archive bucket is their database). */

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(error) === 404;
}

/** A conditional write lost (If-None-Match found an object, If-Match another version). */
export function isConditionFailed(error: unknown): boolean {
  const name = errorName(error);
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || httpStatus(error) === 412 || httpStatus(error) === 409;
}

export async function getJson(s3: S3Client, bucket: string, key: string): Promise<{ value: unknown; etag: string } | undefined> {
  let text: string;
  let etag: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await out.Body?.transformToString('utf-8')) ?? '';
    etag = out.ETag ?? '';
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  try {
    return { value: JSON.parse(text) as unknown, etag };
  } catch {
    throw new InputValidationError(`s3://${bucket}/${key} is not valid JSON`, key);
  }
}

export type Condition = { ifNoneMatch: '*' } | { ifMatch: string };

/** Writes JSON. With a condition, a lost race returns `false` instead of overwriting someone else's object. */
export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown, condition?: Condition): Promise<boolean> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(value, null, 2),
        ContentType: 'application/json',
        IfNoneMatch: condition && 'ifNoneMatch' in condition ? condition.ifNoneMatch : undefined,
        IfMatch: condition && 'ifMatch' in condition ? condition.ifMatch : undefined,
      }),
    );
    return true;
  } catch (error) {
    if (condition && isConditionFailed(error)) return false;
    throw error;
  }
}

export async function deleteKey(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
  }
  return keys;
}
