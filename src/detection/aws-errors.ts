import { errorName, errorMessage } from '../core/errors.ts';

/** How detection reads AWS errors; the transient ones are classified once, in src/core. */
export { isThrottling, isTransient } from '../core/aws-errors.ts';

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

/** SageMaker answers a missing resource with ValidationException "Could not find ..." (or ResourceNotFound). */
export function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'ResourceNotFound' || name === 'ResourceNotFoundException') return true;
  return name === 'ValidationException' && /could not find|does not exist|not found/i.test(errorMessage(error));
}

export function describeError(error: unknown): string {
  return `${errorName(error)}: ${errorMessage(error)}`;
}
