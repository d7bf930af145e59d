import { retryableIfTransient } from '../../src/core/s3-json.ts';

/**
 * A Lambda entry point whose production dependencies (env, clients, log) are built once per container,
 * on the first invocation rather than at import: tests import handler modules without an environment,
 * and a warm container reuses clients, credentials and connections across invocations.
 */
export function lazyHandler<Args extends unknown[], Result>(build: () => (...args: Args) => Promise<Result>): (...args: Args) => Promise<Result> {
  let production: ((...args: Args) => Promise<Result>) | undefined;
  return transientsRetryable((...args) => {
    production ??= build();
    return production(...args);
  });
}

/**
 * Throttling, a 5xx or a network error that outlived the SDK's own attempts leaves the function as
 * RetryableAwsError, the name the state machine's Retry waits on (longer than the SDK does), whichever
 * call raised it. Every other error keeps its name for the Catch that routes it.
 */
export function transientsRetryable<Args extends unknown[], Result>(fn: (...args: Args) => Promise<Result>): (...args: Args) => Promise<Result> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw retryableIfTransient(error, 'an AWS call failed after the SDK retried it');
    }
  };
}
