import { DeleteObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { readJsonObject, writeJsonObject } from '../../core/s3-json.ts';

/** Small JSON documents in the archive bucket (state, manifests, audit events). */
export async function getJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  return (await readJsonObject(s3, bucket, key))?.value;
}

/** Writes JSON; with `create: true` only if the key is new (If-None-Match: *). Returns false when it already existed. */
export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown, options: { create?: boolean; kmsKeyId?: string } = {}): Promise<boolean> {
  const written = await writeJsonObject(s3, bucket, key, value, { condition: options.create ? { ifNoneMatch: '*' } : undefined, kmsKeyId: options.kmsKeyId });
  return written.written;
}

export async function deleteQuietly(s3: S3Client, bucket: string, key: string): Promise<void> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch {
    // Working state only: a leftover is harmless and expires with the bucket's lifecycle rules.
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
