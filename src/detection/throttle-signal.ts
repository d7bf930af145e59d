import { AsyncLocalStorage } from 'node:async_hooks';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { isThrottling } from '../core/aws-errors.ts';

/**
 * Whether AWS throttled any attempt of the calls made inside `fn`, including attempts the SDK then
 * retried successfully: that is the signal an account-region's AIMD limit backs off on, and it is
 * invisible in the calls' results. Per call chain (AsyncLocalStorage), so concurrent calls on the
 * same client are told apart.
 */
const current = new AsyncLocalStorage<{ throttled: boolean }>();
const observed = new WeakSet<object>();

export async function throttleSignal<R>(fn: () => Promise<R>): Promise<{ value: R; throttled: boolean }> {
  const state = { throttled: false };
  const value = await current.run(state, fn);
  return { value, throttled: state.throttled };
}

/** Adds, once per client, the middleware that sees every attempt's error below the SDK's retries. */
export function observeThrottling(client: SageMakerClient): void {
  if (observed.has(client) || !client.middlewareStack) return;
  observed.add(client);
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const state = current.getStore();
        if (state && isThrottling(error)) state.throttled = true;
        throw error;
      }
    },
    // Deserialize runs per attempt, inside the retry middleware; high priority sees the parsed error.
    { step: 'deserialize', priority: 'high', name: 'zombieSweepThrottleSignal' },
  );
}
