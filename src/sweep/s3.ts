import { DeleteObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { readJsonObject, retryableIfTransient, writeJsonObject, type WriteCondition } from '../core/s3-json.ts';

/** Small JSON-in-S3 helpers for the sweep steps (the archive bucket is their database). */

export async function getJson(s3: S3Client, bucket: string, key: string): Promise<{ value: unknown; etag: string } | undefined> {
  return readJsonObject(s3, bucket, key);
}

/** Writes JSON. With a condition, a lost race returns `false` instead of overwriting someone else's object. */
export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown, condition?: WriteCondition): Promise<boolean> {
  return (await writeJsonObject(s3, bucket, key, value, { condition })).written;
}

export async function deleteKey(s3: S3Client, bucket: string, key: string): Promise<void> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    throw retryableIfTransient(error, `deleting s3://${bucket}/${key}`);
  }
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    }
  } catch (error) {
    throw retryableIfTransient(error, `listing s3://${bucket}/${prefix}`);
  }
  return keys;
}
