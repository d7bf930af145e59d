/**
 * A Lambda run's time budget. Work is started in units: an object is dispatched, and its copy (or each
 * part of a multipart copy) is a "leaf" that moves bytes. Nothing new starts once less than `marginMs`
 * remain, except that every run may start one leaf, so each run makes progress even when the margin is
 * mis-sized and the state machine's loop always ends. Objects whose copy already verifies are skipped
 * without a leaf, so a resumed run passes over finished work quickly.
 */
export class RunBudget {
  private leafStarted = false;

  constructor(
    private readonly remainingMs: () => number,
    private readonly marginMs: number,
  ) {}

  private timeLeft(): boolean {
    return this.remainingMs() >= this.marginMs;
  }

  /** May another object be looked at? */
  allow(): boolean {
    return !this.leafStarted || this.timeLeft();
  }

  /** Claims the right to start one copy (or part copy). */
  claimLeaf(): boolean {
    if (this.leafStarted && !this.timeLeft()) return false;
    this.leafStarted = true;
    return true;
  }

  exhausted(): boolean {
    return !this.timeLeft();
  }
}

export const unlimitedBudget = (): RunBudget => new RunBudget(() => Number.POSITIVE_INFINITY, 0);

/**
 * Runs `fn` over `items` in order with at most `limit` in flight, starting each item only if `allow()`
 * says so. Once one fails or `allow()` refuses, nothing new starts; in-flight items finish, then the
 * first error (if any) is thrown. `results[i]` is undefined for items never started.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  allow: () => boolean,
  fn: (item: T, index: number) => Promise<R>,
): Promise<(R | undefined)[]> {
  const results = new Array<R | undefined>(items.length).fill(undefined);
  let next = 0;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!stopped && next < items.length) {
      if (!allow()) {
        stopped = true;
        return;
      }
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        stopped = true;
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** How many leading results satisfy `done` (work is resumed after the last of them). */
export function completedPrefix<R>(results: readonly (R | undefined)[], done: (result: R) => boolean): number {
  let count = 0;
  while (count < results.length && results[count] !== undefined && done(results[count]!)) count++;
  return count;
}
