/** Runs `fn` over `items` with at most `limit` in flight, preserving order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Like mapLimit over items that are still arriving (pages of a listing): work on the first items
 * starts while later ones are being fetched. Results come back in arrival order.
 */
export async function mapLimitStream<T, R>(items: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const running = new Set<Promise<void>>();
  let index = 0;
  for await (const item of items) {
    const position = index++;
    const task = fn(item, position).then((result) => {
      results[position] = result;
    });
    const tracked = task.finally(() => running.delete(tracked));
    running.add(tracked);
    if (running.size >= Math.max(1, limit)) await Promise.race(running);
  }
  await Promise.all(running);
  return results;
}

/**
 * Concurrency that finds an account-region's limit on its own, AIMD as in TCP: start high, add one
 * call in flight per full round of unthrottled calls, halve on throttling. A burst of throttled calls
 * that were all sent at the old limit halves it once, not once per call (a call only counts against
 * the limit it was started under), so one congested moment does not collapse the limit to the floor.
 */
export interface AimdSettings {
  initial: number;
  min: number;
  max: number;
  /** Factor the limit is multiplied by on throttling. */
  decrease: number;
}

export const DEFAULT_AIMD: AimdSettings = { initial: 16, min: 1, max: 32, decrease: 0.5 };

export class AimdLimit {
  private value: number;
  private generation = 0;

  constructor(private readonly settings: AimdSettings = DEFAULT_AIMD) {
    if (!(settings.min >= 1 && settings.min <= settings.initial && settings.initial <= settings.max))
      throw new RangeError('AIMD limits must satisfy 1 <= min <= initial <= max');
    if (!(settings.decrease > 0 && settings.decrease < 1)) throw new RangeError('AIMD decrease must be between 0 and 1');
    this.value = settings.initial;
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return Math.floor(this.value);
  }

  /** The generation a call starts under; pass it back with its outcome. */
  start(): number {
    return this.generation;
  }

  succeeded(): void {
    this.value = Math.min(this.settings.max, this.value + 1 / this.value);
  }

  throttled(startedIn: number): void {
    if (startedIn !== this.generation) return;
    this.generation++;
    this.value = Math.max(this.settings.min, this.value * this.settings.decrease);
  }
}

/**
 * mapLimit under an AimdLimit: `fn` says whether its call met throttling (the SDK retried it, or it
 * failed throttled), and the number of calls started next follows the limit. Results keep item order.
 */
export async function mapAdaptive<T, R>(
  items: readonly T[],
  limit: AimdLimit,
  fn: (item: T, index: number) => Promise<{ value: R; throttled: boolean }>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const running = new Set<Promise<void>>();
  let next = 0;
  while (next < items.length || running.size > 0) {
    while (next < items.length && running.size < Math.max(1, limit.limit)) {
      const index = next++;
      const generation = limit.start();
      const task = fn(items[index]!, index).then(({ value, throttled }) => {
        results[index] = value;
        if (throttled) limit.throttled(generation);
        else limit.succeeded();
      });
      const tracked: Promise<void> = task.finally(() => running.delete(tracked));
      running.add(tracked);
    }
    await Promise.race(running);
  }
  return results;
}
