import { errorMessage, errorName, RetryableAwsError, SnapshotFailedError } from '../../core/errors.ts';
import { awsHttpStatus, isTransient } from '../../core/aws-errors.ts';

const PERMANENT_NAMES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'Forbidden',
  'NoSuchBucket',
  'InvalidObjectState',
  'KMS.DisabledException',
  'KMS.NotFoundException',
  'KMS.KMSInvalidStateException',
]);

/**
 * Maps an error during a snapshot to what the state machine should do: retry (RetryableAwsError),
 * give up on this endpoint (SnapshotFailedError: it can never succeed as things stand), or the error
 * itself (already typed, or unknown: the per-item Catch skips the endpoint).
 */
export function classifySnapshotError(error: unknown, what: string): Error {
  if (error instanceof SnapshotFailedError || error instanceof RetryableAwsError) return error;
  const detail = `${what}: ${errorName(error)}: ${errorMessage(error)}`;
  if (isTransient(error)) return new RetryableAwsError(detail, { cause: error });
  const status = awsHttpStatus(error);
  if (PERMANENT_NAMES.has(errorName(error)) || status === 403 || /kms/i.test(errorName(error))) return new SnapshotFailedError(detail, { cause: error });
  return error instanceof Error ? error : new Error(detail);
}
