import { errorName, errorMessage } from '../core/errors.ts';

/**
 * How detection reads AWS errors. The SDK has already retried what it could (adaptive retry), so
 * anything that still looks transient is handed to the state machine as RetryableAwsError.
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

const TRANSIENT = new Set(['InternalFailure', 'InternalError', 'InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException']);

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'TimeoutError', 'NetworkingError']);

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

interface AwsErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

function shape(error: unknown): AwsErrorShape {
  return error && typeof error === 'object' ? (error as AwsErrorShape) : {};
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

export function isUnreachable(error: unknown): boolean {
  return UNREACHABLE.has(errorName(error));
}

/** SageMaker answers a missing resource with ValidationException "Could not find ..." (or ResourceNotFound). */
export function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'ResourceNotFound' || name === 'ResourceNotFoundException') return true;
  return name === 'ValidationException' && /could not find|does not exist|not found/i.test(errorMessage(error));
}

export function describeError(error: unknown): string {
  return `${errorName(error)}: ${errorMessage(error)}`;
}
