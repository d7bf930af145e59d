import { DeleteTagsCommand } from '@aws-sdk/client-sagemaker';
import { afterEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import { metricStore } from '../../local/sim/services/cloudwatch/store.ts';
import {
  APPROVERS,
  REGION,
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
  tagsOf,
  types,
  workflowEnv,
  workflowScenario,
  type WorkflowEnv,
} from './harness.ts';

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const actionOf = (report: SweepReport, name: string) => report.actions.find((a) => a.endpointArn === endpointArn(TEAM, name));

describe('cleanup safety', () => {
  it('deletes nothing when nobody decides in time, and a late decision changes nothing', async () => {
    env = await workflowEnv();
    const sweep = env.start({ sweepId: 'expire-1', mode: 'cleanup' }, { approvalTimeoutMs: 300 });
    const link = new URL((await sweep.approvalRequested, approvalLink(env.sim, APPROVERS[0]!, 'expire-1')));
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a', 'idle-b', 'idle-c']);
    const sagemaker = await sagemakerAs(env.sim, TEAM);
    for (const name of ZOMBIES) {
      // Still marked (and archived) for a later sweep; never deleted.
      expect((await tagsOf(sagemaker, TEAM, name)).zombie).toBe('confirmed');
      const history = types(await endpointEvents(env.s3, TEAM, name));
      expect(history).toContain('expired');
      expect(history).not.toContain('deleted');
    }
    expect((await keys(env.s3, 'manifests/')).length).toBe(3);
    expect(await json<{ status: string; approved: string[] }>(env.s3, 'approvals/expire-1/decision.json')).toMatchObject({
      status: 'window-closed',
      approved: [],
    });
    const report = await json<SweepReport>(env.s3, 'sweeps/expire-1/report.json');
    expect(report.approval).toMatchObject({ outcome: 'expired', approved: 0 });
    expect(report.summary.deleted).toBe(0);
    expect(actionOf(report, 'idle-a')).toMatchObject({ decision: 'expired', reason: expect.stringMatching(/not deleted/) });

    // An approver clicking after the window closed is told so, and nothing happens.
    const form = new URLSearchParams({
      approver: link.searchParams.get('approver')!,
      expires: link.searchParams.get('expires')!,
      sig: link.searchParams.get('sig')!,
      action: 'approve',
    });
    for (const name of ZOMBIES) form.append('endpoint', endpointArn(TEAM, name));
    const late = await fetch(`${link.origin}${link.pathname}`, {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(late.status).toBe(410);
    expect(await late.text()).toContain('The approval window has closed');
    expect((await fetch(link)).status).toBe(410);
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a', 'idle-b', 'idle-c']);
  });

  it('skips an endpoint whose snapshot fails (never tagged, never deleted) and goes on with the rest', async () => {
    env = await workflowEnv(
      workflowScenario({
        endpoints: [
          {
            account: TEAM,
            region: REGION,
            name: 'lost-artifact',
            createdDaysAgo: 200,
            variants: [{ instanceType: 'ml.m5.large', model: { artifact: { uri: `s3://models-${TEAM}/gone/model.tar.gz`, size: 10, exists: false } } }],
          },
        ],
      }),
    );
    const result = await env.start({ sweepId: 'snapfail-1', mode: 'cleanup', approval: { approvers: [], autoApprove: true } }).done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'lost-artifact']);
    expect((await tagsOf(await sagemakerAs(env.sim, TEAM), TEAM, 'lost-artifact')).zombie).toBeUndefined();
    const history = types(await endpointEvents(env.s3, TEAM, 'lost-artifact'));
    expect(history).toContain('snapshot-failed');
    expect(history).not.toContain('tagged');
    expect(history).not.toContain('deleted');
    expect(await keys(env.s3, `manifests/${TEAM}/${REGION}/lost-artifact/`)).toEqual([]);
    const report = await json<SweepReport>(env.s3, 'sweeps/snapfail-1/report.json');
    expect(actionOf(report, 'lost-artifact')).toMatchObject({ snapshot: 'failed', tagged: false, reason: expect.stringMatching(/snapshot/) });
    expect(report.summary).toMatchObject({ zombies: 4, archived: 3, deleted: 3 });
    expect(report.summary.skipped.map((s) => s.endpointName)).toEqual(['lost-artifact']);
    // --auto-approve is recorded as such: in the decision and as the approver of each deletion.
    expect(report.approval).toMatchObject({ outcome: 'decided', autoApproved: true, approver: 'auto-approve', approved: 3 });
    const approved = (await endpointEvents(env.s3, TEAM, 'idle-a')).find((e) => e.type === 'approved');
    expect(approved?.actor).toBe('auto-approve');
    expect(await json<{ source: string }>(env.s3, 'approvals/snapfail-1/decision.json')).toMatchObject({ source: 'auto-approve', approver: 'auto-approve' });
  });

  it('keeps an endpoint that was invoked while the approval waited', async () => {
    env = await workflowEnv();
    const sweep = env.start({ sweepId: 'invoked-1', mode: 'cleanup' });
    await sweep.approvalRequested;
    metricStore(env.sim.world, TEAM, REGION).put(
      'AWS/SageMaker',
      'Invocations',
      [
        { Name: 'EndpointName', Value: 'idle-a' },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
      new Date(),
      7,
    );
    await decideOnPage(approvalLink(env.sim, APPROVERS[0]!, 'invoked-1'), {});
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a']);
    const skipped = (await endpointEvents(env.s3, TEAM, 'idle-a')).find((e) => e.type === 'skipped');
    expect(skipped?.reason).toMatch(/invo/i);
    expect(types(await endpointEvents(env.s3, TEAM, 'idle-a'))).not.toContain('deleted');
    expect((await tagsOf(await sagemakerAs(env.sim, TEAM), TEAM, 'idle-a')).zombie).toBe('confirmed');
    expect(await keys(env.s3, `manifests/${TEAM}/${REGION}/idle-a/`)).toEqual([`manifests/${TEAM}/${REGION}/idle-a/invoked-1.json`]);
    const report = await json<SweepReport>(env.s3, 'sweeps/invoked-1/report.json');
    expect(actionOf(report, 'idle-a')).toMatchObject({ decision: 'approved', deletion: 'skipped', reason: expect.stringMatching(/re-verification/) });
    expect(report.summary.deleted).toBe(2);
  });

  it('honours an owner removing the zombie tag during the wait: that endpoint is not deleted', async () => {
    env = await workflowEnv();
    const sweep = env.start({ sweepId: 'untag-1', mode: 'cleanup' });
    await sweep.approvalRequested;
    const owner = await sagemakerAs(env.sim, TEAM);
    await owner.send(new DeleteTagsCommand({ ResourceArn: endpointArn(TEAM, 'idle-c'), TagKeys: ['zombie'] }));
    await decideOnPage(approvalLink(env.sim, APPROVERS[1]!, 'untag-1'), {});
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-c']);
    const skipped = (await endpointEvents(env.s3, TEAM, 'idle-c')).find((e) => e.type === 'skipped');
    expect(skipped?.reason).toMatch(/tag/i);
    expect((await tagsOf(owner, TEAM, 'idle-c')).zombie).toBeUndefined();
    expect((await keys(env.s3, `artifacts/${TEAM}/${REGION}/idle-c/untag-1/`)).length).toBeGreaterThan(0);
    const report = await json<SweepReport>(env.s3, 'sweeps/untag-1/report.json');
    expect(report.summary.skipped.map((s) => s.endpointName)).toEqual(['idle-c']);
  });
});
