import { RetryableAwsError } from '../core/errors.ts';
import { describeError, isTransient } from '../core/aws-errors.ts';

/**
 * One AWS call inside a target scan. A transient error (throttling or 5xx that outlived the SDK's
 * retries) aborts the target as RetryableAwsError so the state machine retries it; any other error
 * becomes a value the caller turns into a verdict or a status, so one bad endpoint never fails a target.
 */
export type Failed = { failed: string; error: unknown };

export function failed(value: unknown): value is Failed {
  return typeof value === 'object' && value !== null && 'failed' in value;
}

export async function attempt<T>(call: () => Promise<T>): Promise<T | Failed> {
  try {
    return await call();
  } catch (error) {
    if (isTransient(error)) throw new RetryableAwsError(`AWS kept failing after SDK retries: ${describeError(error)}`, { cause: error });
    return { failed: describeError(error), error };
  }
}

/** Runs `call` once per key, sharing the promise (one DescribeEndpointConfig per distinct config). */
export function once<T>(call: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const pending = new Map<string, Promise<T>>();
  return (key) => {
    let promise = pending.get(key);
    if (!promise) pending.set(key, (promise = call(key)));
    return promise;
  };
}
