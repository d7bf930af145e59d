import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

export async function readJsonObject(s3: S3Client, bucket: string, key: string): Promise<{ value: unknown; etag: string } | undefined> {
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
  try {
    return { value: JSON.parse(text) as unknown, etag };
  } catch {
    throw new InputValidationError(`s3://${bucket}/${key} is not valid JSON`, key);
  }
}

export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export async function writeJsonObject(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
  options: { condition?: WriteCondition; kmsKeyId?: string; objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainUntil: Date } } = {},
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
