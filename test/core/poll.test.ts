import { describe, expect, it } from 'vitest';
import { advancingSleeper, fixedClock, pollUntil } from '../../src/core/clock.ts';

describe('pollUntil', () => {
  it('answers the first value a look returns, sleeping the interval between looks', async () => {
    const clock = fixedClock(new Date('2026-01-01T00:00:00Z'));
    let looks = 0;
    const polled = await pollUntil({ clock, sleeper: advancingSleeper(clock), intervalMs: 15_000 }, () =>
      Promise.resolve(++looks === 3 ? 'InService' : undefined),
    );
    expect(polled).toEqual({ done: true, value: 'InService' });
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:30.000Z');
  });

  it('gives up once the timeout has passed by the clock, after one last look', async () => {
    const clock = fixedClock(new Date('2026-01-01T00:00:00Z'));
    let looks = 0;
    const polled = await pollUntil({ clock, sleeper: advancingSleeper(clock), intervalMs: 10_000, timeoutMs: 25_000 }, () => {
      looks++;
      return Promise.resolve(undefined);
    });
    expect(polled).toEqual({ done: false });
    expect(looks).toBe(4);
  });
});
