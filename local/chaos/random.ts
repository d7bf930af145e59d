/**
 * The seeded randomness every chaos decision comes from: the organization, the faults, their timing.
 * One generator per sweep, derived from (run seed, sweep number), so any sweep replays alone.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  chance(probability: number): boolean;
  /** Integer in [low, high]. */
  int(low: number, high: number): number;
  pick<T>(items: readonly T[]): T;
  /** A random subset (each item kept with the given probability). */
  subset<T>(items: readonly T[], probability?: number): T[];
  shuffle<T>(items: readonly T[]): T[];
}

/** mulberry32: tiny, fast, and plenty for test data. */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  const rng: Rng = {
    next,
    chance: (probability) => next() < probability,
    int,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    subset: (items, probability = 0.5) => items.filter(() => next() < probability),
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
  return rng;
}

/** The seed of sweep `sweep` (1-based) of a run: independent of how many sweeps run or in which order. */
export function sweepSeed(runSeed: number, sweep: number): number {
  let h = (Math.imul(runSeed >>> 0, 0x9e3779b1) ^ Math.imul(sweep >>> 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The seed of a sweep's second stream (the choices added later, faults.ts `Extras`): independent of the first. */
export function extrasSeed(runSeed: number, sweep: number): number {
  return sweepSeed(runSeed ^ 0x5bd1e995, sweep + 0x3c6ef372);
}
