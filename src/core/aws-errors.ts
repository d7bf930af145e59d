import { errorName } from './errors.ts';

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

const TRANSIENT = new Set(['InternalFailure', 'InternalError', 'InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException']);

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'TimeoutError', 'NetworkingError']);

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
