import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { errorMessage, errorName, InputValidationError } from '../../src/core/errors.ts';
import { ArchiveBucketError } from './errors.ts';

/**
 * `--archive-bucket` on every verb: its name is checked by the S3 naming rules before anything runs,
 * and a bucket that does not exist or refuses the caller is reported the same way by every verb,
 * naming the bucket and the flag.
 */

/**
 * S3 general purpose bucket naming rules
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63 characters,
 * lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no two
 * adjacent dots, not an IP address, none of the reserved prefixes and suffixes.
 */
export const BucketNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be an S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit',
  )
  .refine((name) => !name.includes('..'), 'must not contain two adjacent dots')
  .refine((name) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(name), 'must not be formatted as an IP address')
  .refine((name) => !/^(xn--|sthree-|amzn-s3-demo-)/.test(name), 'must not start with xn--, sthree- or amzn-s3-demo-')
  .refine(
    (name) => !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name),
    'must not end with a suffix S3 reserves (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)',
  );

export function requireBucket(value: string | undefined, flag = '--archive-bucket'): string {
  if (value === undefined) throw new InputValidationError(`${flag} is required`, flag);
  return validateBucket(value, flag);
}

export function validateBucket(value: string, flag = '--archive-bucket'): string {
  const parsed = BucketNameSchema.safeParse(value);
  if (!parsed.success) throw new InputValidationError(`invalid ${flag}: ${parsed.error.issues[0]?.message} (got ${JSON.stringify(value)})`, flag);
  return parsed.data;
}

const MISSING = new Set(['NoSuchBucket']);
const DENIED = new Set(['AccessDenied', 'Forbidden', 'AllAccessDisabled']);

/** The one wording of an unusable archive bucket, or undefined when the error is about something else. */
export function archiveBucketProblem(error: unknown, bucket: string, flag = '--archive-bucket'): ArchiveBucketError | undefined {
  if (error instanceof ArchiveBucketError) return error;
  const name = errorName(error);
  if (MISSING.has(name))
    return new ArchiveBucketError(
      `archive bucket ${bucket} (${flag}) does not exist for these credentials and region; check the name, or create it (docs/deploy.md)`,
      { cause: error },
    );
  if (DENIED.has(name))
    return new ArchiveBucketError(
      `archive bucket ${bucket} (${flag}) refused access: ${name}: ${errorMessage(error) || 'no message'}; check the credentials, the bucket policy and its KMS key`,
      { cause: error },
    );
  return undefined;
}

/**
 * HeadBucket before the verb reads or writes: one call, and the verb fails before it changes anything.
 * HeadBucket answers without a body, so the SDK names a 404 NotFound and a 403 Forbidden.
 */
export async function checkArchiveBucket(s3: S3Client, bucket: string, flag = '--archive-bucket'): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || errorName(error) === 'NotFound')
      throw archiveBucketProblem(Object.assign(new Error('not found'), { name: 'NoSuchBucket' }), bucket, flag)!;
    if (status === 403) throw archiveBucketProblem(Object.assign(new Error('HeadBucket was refused'), { name: 'AccessDenied' }), bucket, flag)!;
    throw error;
  }
}

/** Runs `work`, reporting a missing or refused archive bucket in the one wording above. */
export async function withArchiveBucket<T>(bucket: string, work: () => Promise<T>, flag = '--archive-bucket'): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw archiveBucketProblem(error, bucket, flag) ?? error;
  }
}
