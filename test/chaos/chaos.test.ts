import { describe, expect, it } from 'vitest';
import { runChaos } from '../../local/chaos/run.ts';

/**
 * CI's guard of the deletion invariant: 25 randomized cleanup sweeps of the real state machine, each
 * on a fresh random organization with a random fault schedule, every safety property checked after
 * each one from the simulator's state and the archive bucket (local/chaos/properties.ts). A failure
 * names the seed, the sweep and the command that replays it.
 */
const SEED = 20261204;

describe('chaos', () => {
  it('keeps every safety property through 25 randomized faulty sweeps', { timeout: 240_000 }, async () => {
    const { summary, outcomes } = await runChaos({ sweeps: 25, seed: SEED, workers: 1, concurrency: 6, hangAfterMs: 120_000 });
    const violations = outcomes.flatMap((o) =>
      o.violations.map(
        (v) =>
          `sweep ${o.sweep} property ${v.property}${v.endpoint ? ` ${v.endpoint}` : ''}: ${v.message} (replay: npm run chaos -- --seed ${SEED} --sweep ${o.sweep})`,
      ),
    );
    expect(violations).toEqual([]);
    expect(summary.sweeps).toBe(25);
    // The fixed seed exercises faults of every kind, not a lucky quiet run.
    const classes = Object.keys(summary.faults);
    const prefixes = ['throttle:', '5xx:', 'lambda-dies-after-side-effect', 'approval:', 'artifact-', 'member-role-', 'owner-', 'invoked-during-approval'];
    // And the features whose safety the checker extends to: approver groups with a quorum, owner vetoes through the notice's link, scale to zero.
    prefixes.push('approval-groups:quorum-2', 'owner-veto-link', 'approval:scale-to-zero-chosen');
    for (const prefix of prefixes) {
      expect(
        classes.some((c) => c.startsWith(prefix)),
        `${prefix} in ${classes.join(', ')}`,
      ).toBe(true);
    }
  });
});
