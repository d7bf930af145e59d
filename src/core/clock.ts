/** Injected everywhere time matters so tests and the simulator can control it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date): Clock & { set(at: Date): void; advance(ms: number): void } {
  let current = new Date(at);
  return {
    now: () => new Date(current),
    set: (next: Date) => {
      current = new Date(next);
    },
    advance: (ms: number) => {
      current = new Date(current.getTime() + ms);
    },
  };
}

/**
 * Waits, injected beside the Clock: the one place code that polls gives up time, so tests and the
 * simulator can wait without real sleeps. (Workflow steps never wait: the state machine's Wait does.)
 */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
}

export const systemSleeper: Sleeper = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** A sleeper that moves a controllable clock forward instead of waiting. */
export function advancingSleeper(clock: { advance(ms: number): void }): Sleeper {
  return {
    sleep: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
  };
}

export interface PollOptions {
  clock: Clock;
  sleeper: Sleeper;
  intervalMs: number;
  /** Give up once this much time, by the clock, has passed; omit to poll until `look` answers. */
  timeoutMs?: number;
}

/**
 * Calls `look` until it answers something other than undefined, sleeping `intervalMs` between looks.
 * Returns `{ done: false }` when the timeout passed first (after one last look).
 */
export async function pollUntil<T>(options: PollOptions, look: () => Promise<T | undefined>): Promise<{ done: true; value: T } | { done: false }> {
  const deadline = options.timeoutMs === undefined ? undefined : options.clock.now().getTime() + options.timeoutMs;
  for (;;) {
    const value = await look();
    if (value !== undefined) return { done: true, value };
    if (deadline !== undefined && options.clock.now().getTime() > deadline) return { done: false };
    await options.sleeper.sleep(options.intervalMs);
  }
}

export const DAY_MS = 86_400_000;

export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
