import { describe, expect, it } from 'vitest';
import { AimdLimit, mapAdaptive } from '../../src/core/concurrency.ts';

describe("an account-region's adaptive concurrency", () => {
  it('starts at its initial limit, halves on throttling and never goes under the minimum', () => {
    const limit = new AimdLimit({ initial: 16, min: 2, max: 16, decrease: 0.5 });
    expect(limit.limit).toBe(16);
    limit.throttled(limit.start());
    expect(limit.limit).toBe(8);
    limit.throttled(limit.start());
    limit.throttled(limit.start());
    limit.throttled(limit.start());
    expect(limit.limit).toBe(2);
  });

  it('halves once for a burst of throttled calls that all started under the old limit', () => {
    const limit = new AimdLimit({ initial: 16, min: 1, max: 32, decrease: 0.5 });
    const burst = Array.from({ length: 16 }, () => limit.start());
    for (const started of burst) limit.throttled(started);
    expect(limit.limit).toBe(8);
  });

  it('grows back by about one per round of unthrottled calls, up to the maximum', () => {
    const limit = new AimdLimit({ initial: 4, min: 1, max: 6, decrease: 0.5 });
    for (let i = 0; i < 4; i++) limit.succeeded();
    expect(limit.limit).toBe(4);
    for (let i = 0; i < 2; i++) limit.succeeded();
    expect(limit.limit).toBe(5);
    for (let i = 0; i < 100; i++) limit.succeeded();
    expect(limit.limit).toBe(6);
  });

  it('rejects limits that cannot hold', () => {
    expect(() => new AimdLimit({ initial: 0, min: 1, max: 4, decrease: 0.5 })).toThrow(RangeError);
    expect(() => new AimdLimit({ initial: 8, min: 1, max: 4, decrease: 0.5 })).toThrow(RangeError);
    expect(() => new AimdLimit({ initial: 2, min: 1, max: 4, decrease: 1 })).toThrow(RangeError);
  });

  it('keeps fewer calls in flight after throttling, grows back when calls pass, and keeps results in item order', async () => {
    const limit = new AimdLimit({ initial: 8, min: 1, max: 8, decrease: 0.5 });
    let inFlight = 0;
    const peaks: number[] = [];
    const results = await mapAdaptive(
      Array.from({ length: 40 }, (_, i) => i),
      limit,
      async (item) => {
        inFlight++;
        peaks[item] = inFlight;
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        // The first eight calls are throttled, as a region's burst bucket empties.
        return { value: item * 2, throttled: item < 8 };
      },
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(Math.max(...peaks.slice(0, 8))).toBe(8);
    expect(Math.max(...peaks.slice(8, 16))).toBeLessThanOrEqual(4);
    // Thirty-two unthrottled calls are enough rounds to grow back to the maximum.
    expect(limit.limit).toBe(8);
  });
});
