import { errorMessage, errorName, RetryableAwsError, SnapshotFailedError } from '../../core/errors.ts';
import { isTransient } from '../../core/aws-errors.ts';
import { s3HttpStatus as httpStatus } from '../../core/s3-json.ts';

export { httpStatus };
export { isS3NotFound as isNotFound } from '../../core/s3-json.ts';

export function isPreconditionFailed(error: unknown): boolean {
  return errorName(error) === 'PreconditionFailed' || httpStatus(error) === 412;
}

/** SageMaker's answer for a missing endpoint/model/config is a ValidationException "Could not find ...". */
export function isSageMakerNotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === 'ResourceNotFound' || (name === 'ValidationException' && /could not find/i.test(errorMessage(error)));
}

/** The service does not implement the operation (older partitions, S3-compatible stores, the simulator). */
export function isUnsupportedOperation(error: unknown): boolean {
  return ['UnknownOperationException', 'InvalidAction', 'NotImplemented', 'UnrecognizedClientException'].includes(errorName(error));
}

export { isTransient };

const PERMANENT_NAMES = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden', 'NoSuchBucket', 'InvalidObjectState', 'KMS.DisabledException', 'KMS.NotFoundException', 'KMS.KMSInvalidStateException']);

/**
 * Maps an error during a snapshot to what the state machine should do: retry (RetryableAwsError),
 * give up on this endpoint (SnapshotFailedError: it can never succeed as things stand), or the error
 * itself (already typed, or unknown: the per-item Catch skips the endpoint).
 */
export function classifySnapshotError(error: unknown, what: string): Error {
  if (error instanceof SnapshotFailedError || error instanceof RetryableAwsError) return error;
  const detail = `${what}: ${errorName(error)}: ${errorMessage(error)}`;
  if (isTransient(error)) return new RetryableAwsError(detail, { cause: error });
  const status = httpStatus(error);
  if (PERMANENT_NAMES.has(errorName(error)) || status === 403 || /kms/i.test(errorName(error))) return new SnapshotFailedError(detail, { cause: error });
  return error instanceof Error ? error : new Error(detail);
}
