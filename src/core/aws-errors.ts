import { errorMessage, errorName } from './errors.ts';

/**
 * The one vocabulary for AWS errors: what a failed call means, named by service where services
 * disagree (a missing S3 object is a 404, a missing SageMaker resource a ValidationException).
 */

/**
 * Errors that say nothing lasting about the request: throttling, 5xx and network failures that
 * outlived the SDK's own retries. Every step hands these to the state machine as RetryableAwsError
 * instead of treating them as an answer (unreachable target, failed snapshot, idle endpoint).
 */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

const TRANSIENT = new Set([
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'TimeoutError', 'NetworkingError']);

interface AwsErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

function shape(error: unknown): AwsErrorShape {
  return error && typeof error === 'object' ? error : {};
}

export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(errorName(error)) || shape(error).$retryable?.throttling === true;
}

export function isTransient(error: unknown): boolean {
  const e = shape(error);
  if (isThrottling(error) || TRANSIENT.has(errorName(error))) return true;
  if (e.code && NETWORK.has(e.code)) return true;
  if (NETWORK.has(errorName(error))) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export function awsHttpStatus(error: unknown): number | undefined {
  return shape(error).$metadata?.httpStatusCode;
}

/** A missing key: HEAD answers a bare 404 (`NotFound`), GET `NoSuchKey`. A missing bucket is not "no object": it stays an error. */
export function isS3NotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NotFound' || name === 'NoSuchKey' || (awsHttpStatus(error) === 404 && name !== 'NoSuchBucket');
}

/** A conditional write lost: If-None-Match found an object, or If-Match found another version. */
export function isConditionFailed(error: unknown): boolean {
  return errorName(error) === 'PreconditionFailed' || awsHttpStatus(error) === 412;
}

/** SageMaker answers a missing endpoint, config, model, tag target or inference component with ValidationException "Could not find ..." (or ResourceNotFound). */
export function isSageMakerNotFound(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'ResourceNotFound' || name === 'ResourceNotFoundException') return true;
  return name === 'ValidationException' && /could not find|does not exist|not found/i.test(errorMessage(error));
}

/** IAM refused the call (in a member account: a resource without the tag the policy requires). */
export function isAccessDenied(error: unknown): boolean {
  const name = errorName(error);
  return name === 'AccessDeniedException' || name === 'AccessDenied';
}

/** Errors meaning "this account/region will not let us in", not "something broke". */
const UNREACHABLE = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AuthFailure',
  'OptInRequired',
  'SubscriptionRequiredException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
]);

export function isUnreachable(error: unknown): boolean {
  return UNREACHABLE.has(errorName(error));
}

/** The service does not implement the operation (older partitions, S3-compatible stores, the simulator). */
export function isUnsupportedOperation(error: unknown): boolean {
  return ['UnknownOperationException', 'InvalidAction', 'NotImplemented', 'UnrecognizedClientException'].includes(errorName(error));
}

export function describeError(error: unknown): string {
  return `${errorName(error)}: ${errorMessage(error)}`;
}

/** The answer of a SageMaker read, or undefined when the resource does not exist (any other error stays an error). */
export async function unlessSageMakerNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isSageMakerNotFound(error)) return undefined;
    throw error;
  }
}
