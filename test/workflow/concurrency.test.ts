import { afterEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import { TEAM, ZOMBIES, endpointEvents, json, keys, liveEndpoints, sweepEvents, types, workflowEnv, type WorkflowEnv } from './harness.ts';

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const AUTO = { approvers: [], autoApprove: true };

describe('sweeps at the same time', () => {
  it('lets one cleanup sweep act while a second is refused by the lock, and a report sweep runs alongside', async () => {
    env = await workflowEnv();
    const first = env.start({ sweepId: 'both-a', mode: 'cleanup', approval: AUTO });
    const second = env.start({ sweepId: 'both-b', mode: 'cleanup', approval: AUTO });
    const reader = env.start({ sweepId: 'both-r', mode: 'report' });
    const [a, b, r] = await Promise.all([first.done, second.done, reader.done]);

    // Exactly one of the two cleanup sweeps took the lock; the other failed fast, touching nothing.
    const [winner, loser] = a.status === 'SUCCEEDED' ? [a, b] : [b, a];
    expect(winner.status).toBe('SUCCEEDED');
    expect(loser).toMatchObject({ status: 'FAILED', error: 'SweepLockedError' });
    expect(loser.cause).toContain(winner.sweepId);
    expect(r.status).toBe('SUCCEEDED');

    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one']);
    for (const name of ZOMBIES) {
      const events = await endpointEvents(env.s3, TEAM, name);
      // Every action on the endpoint belongs to the winner; the refused sweep never reached it.
      expect(events.filter((e) => e.type !== 'detected').every((e) => e.sweepId === winner.sweepId)).toBe(true);
      expect(events.some((e) => e.sweepId === loser.sweepId)).toBe(false);
      expect(types(events).filter((t) => t === 'deleted')).toHaveLength(1);
    }
    expect(types(await sweepEvents(env.s3, loser.sweepId!))).toEqual(['sweep-failed']);
    // Only its claim on the sweep id remains (sweep ids are never reused).
    expect(await keys(env.s3, `sweeps/${loser.sweepId}/`)).toEqual([`sweeps/${loser.sweepId}/sweep.json`]);
    // The report sweep kept to its own files, and the lock is free again.
    const report = await json<SweepReport>(env.s3, 'sweeps/both-r/report.json');
    expect(report.summary.zombies).toBe(3);
    expect(await keys(env.s3, 'locks/')).toEqual([]);
  });

  it('never reuses a sweep id, and fails fast naming the field on bad input', async () => {
    env = await workflowEnv();
    expect((await env.start({ sweepId: 'once', mode: 'report' }).done).status).toBe('SUCCEEDED');
    const again = await env.start({ sweepId: 'once', mode: 'report' }, { executionName: 'once-again' }).done;
    expect(again).toMatchObject({ status: 'FAILED', error: 'InputValidationError' });
    expect(again.cause).toMatch(/sweepId: sweep once already exists/);
    expect((await json<SweepReport>(env.s3, 'sweeps/once/report.json')).status).toBe('completed');

    const bad = await env.start({ sweepId: 'bad-input', mode: 'report', detection: { lookbackDays: 9999 } }).done;
    expect(bad).toMatchObject({ status: 'FAILED', error: 'InputValidationError' });
    expect(bad.cause).toContain('detection.lookbackDays');
    const noApprover = await env.start({ sweepId: 'no-approver', mode: 'cleanup', approval: { approvers: [] } }).done;
    expect(noApprover.cause).toContain('approval.approvers');
    expect(await keys(env.s3, 'sweeps/bad-input/')).toEqual([]);
    expect(types(await sweepEvents(env.s3, 'bad-input'))).toEqual(['sweep-failed']);
  });
});
