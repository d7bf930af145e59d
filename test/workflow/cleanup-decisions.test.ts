import { afterEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import {
  APPROVERS,
  TEAM,
  ZOMBIES,
  approvalLink,
  decideOnPage,
  endpointArn,
  endpointEvents,
  json,
  keys,
  liveEndpoints,
  sagemakerAs,
  sweepEvents,
  tagsOf,
  types,
  workflowEnv,
  type WorkflowEnv,
} from './harness.ts';

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

/** Starts a cleanup sweep and waits until the approvers have their links. */
async function cleanupAwaitingDecision(sweepId: string) {
  env = await workflowEnv();
  const sweep = env.start({ sweepId, mode: 'cleanup' });
  await sweep.approvalRequested;
  return sweep;
}

describe('a cleanup sweep', () => {
  it('archives, tags, asks, and deletes every zombie an approver approves on the page', async () => {
    const sweep = await cleanupAwaitingDecision('clean-all');
    const e = env!;
    // While waiting: every zombie is archived and tagged, nothing deleted yet.
    const sagemaker = await sagemakerAs(e.sim, TEAM);
    for (const name of ZOMBIES) {
      expect(await tagsOf(sagemaker, TEAM, name)).toMatchObject({
        zombie: 'confirmed',
        'zombie-sweep-id': 'clean-all',
        'zombie-snapshot': `s3://zombie-archive/manifests/${TEAM}/us-east-1/${name}/clean-all.json`,
      });
    }
    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a', 'idle-b', 'idle-c']);

    const decided = await decideOnPage(approvalLink(e.sim, APPROVERS[0]!, 'clean-all'), {});
    expect(decided.status).toBe(200);
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');

    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one']);
    for (const name of ZOMBIES) {
      expect(await keys(e.s3, `manifests/${TEAM}/us-east-1/${name}/`)).toEqual([`manifests/${TEAM}/us-east-1/${name}/clean-all.json`]);
      expect((await keys(e.s3, `artifacts/${TEAM}/us-east-1/${name}/clean-all/`)).length).toBeGreaterThan(0);
      const history = types(await endpointEvents(e.s3, TEAM, name));
      for (const step of ['detected', 'snapshotted', 'tagged', 'approval-requested', 'approved', 'deleted']) expect(history, name).toContain(step);
      expect(history.indexOf('deleted')).toBeGreaterThan(history.indexOf('approved'));
    }
    const approved = (await endpointEvents(e.s3, TEAM, 'idle-a')).find((ev) => ev.type === 'approved');
    expect(approved?.actor).toBe(APPROVERS[0]);
    const deleted = (await endpointEvents(e.s3, TEAM, 'idle-a')).find((ev) => ev.type === 'deleted');
    expect(deleted?.tagsBefore).toMatchObject({ zombie: 'confirmed', 'zombie-sweep-id': 'clean-all' });
    // Active and too-new endpoints were never touched.
    expect(await tagsOf(sagemaker, TEAM, 'busy-api')).not.toHaveProperty('zombie');
    expect(await endpointEvents(e.s3, TEAM, 'fresh-one')).toEqual([]);

    const report = await json<SweepReport>(e.s3, 'sweeps/clean-all/report.json');
    expect(report.summary).toMatchObject({ zombies: 3, archived: 3, tagged: 3, approved: 3, deleted: 3, skipped: [] });
    expect(report.summary.savedMonthlyCostUsd).toBe(report.summary.zombieMonthlyCostUsd);
    expect(report.approval).toMatchObject({ outcome: 'decided', approver: APPROVERS[0], approved: 3, rejected: 0 });
    expect(types(await sweepEvents(e.s3, 'clean-all'))).toEqual(expect.arrayContaining(['sweep-started', 'sweep-finished']));
    // The lock was released, and the other approver's link now says who decided.
    expect(await keys(e.s3, 'locks/')).toEqual([]);
    const later = await fetch(approvalLink(e.sim, APPROVERS[1]!, 'clean-all'));
    expect(await later.text()).toContain(APPROVERS[0]);
  });

  it('deletes only the ticked endpoints; the unticked one is kept and exempted', async () => {
    const sweep = await cleanupAwaitingDecision('clean-partial');
    const e = env!;
    await decideOnPage(approvalLink(e.sim, APPROVERS[1]!, 'clean-partial'), { keep: ['idle-b'] });
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-b']);
    const kept = await tagsOf(await sagemakerAs(e.sim, TEAM), TEAM, 'idle-b');
    expect(kept.zombie).toBe('rejected');
    expect(kept['zombie-exempt-until']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Date.parse(kept['zombie-exempt-until']!)).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    expect(types(await endpointEvents(e.s3, TEAM, 'idle-b'))).toContain('rejected');
    // Kept or deleted, every zombie's snapshot stays in the archive.
    expect((await keys(e.s3, 'manifests/')).length).toBe(3);
    expect(types(await endpointEvents(e.s3, TEAM, 'idle-b'))).not.toContain('deleted');
    const report = await json<SweepReport>(e.s3, 'sweeps/clean-partial/report.json');
    expect(report.summary).toMatchObject({ approved: 2, rejected: 1, deleted: 2 });
    expect(report.actions.find((a) => a.endpointArn === endpointArn(TEAM, 'idle-b'))).toMatchObject({ decision: 'rejected', tagged: true });
  });

  it('deletes nothing when every endpoint is rejected', async () => {
    const sweep = await cleanupAwaitingDecision('clean-none');
    const e = env!;
    await decideOnPage(approvalLink(e.sim, APPROVERS[0]!, 'clean-none'), { rejectAll: true });
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a', 'idle-b', 'idle-c']);
    const sagemaker = await sagemakerAs(e.sim, TEAM);
    for (const name of ZOMBIES) {
      expect((await tagsOf(sagemaker, TEAM, name)).zombie).toBe('rejected');
      expect(types(await endpointEvents(e.s3, TEAM, name))).not.toContain('deleted');
    }
    // The snapshots stay: an archive is kept whatever the decision.
    expect((await keys(e.s3, 'manifests/')).length).toBe(3);
    const report = await json<SweepReport>(e.s3, 'sweeps/clean-none/report.json');
    expect(report.summary).toMatchObject({ approved: 0, rejected: 3, deleted: 0 });
    expect(await keys(e.s3, 'sweeps/clean-none/deletions.json')).toEqual(['sweeps/clean-none/deletions.json']);
  });
});
