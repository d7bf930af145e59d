import { afterEach, describe, expect, it } from 'vitest';
import { sagemakerSettings, sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { summarize } from '../../src/sweep/summary.ts';
import { reportText } from '../../src/sweep/text.ts';
import type { EndpointAction, SweepReport } from '../../src/sweep/model.ts';
import { REGION, TEAM, endpointEvents, json, liveEndpoints, types, workflowEnv, workflowScenario, type WorkflowEnv } from './harness.ts';

/**
 * The real ASL's DeleteApproved loop: Delete never waits inside the Lambda; it answers `deleting`
 * while an endpoint's inference components (or the endpoint itself) are still going, and the
 * workflow calls it again after a Wait state, a bounded number of rounds, then ends with a reason.
 */

const artifact = (path: string) => ({ uri: `s3://models-${TEAM}/${path}/model.tar.gz`, size: 2048, exists: true });
const IC_ENDPOINT = {
  account: TEAM,
  region: REGION,
  name: 'idle-ic',
  type: 'inference-components' as const,
  createdDaysAgo: 200,
  variants: [{ name: 'main', instanceType: 'ml.g5.2xlarge' }],
  inferenceComponents: [
    { name: 'idle-ic-llm', model: { artifact: artifact('idle-ic-llm') } },
    { name: 'idle-ic-embedder', model: { artifact: artifact('idle-ic-embedder') } },
  ],
};
const AUTO = { approvers: [], autoApprove: true };
// Delete never waits itself and SageMaker's transitions take 200 ms here, so every deletion needs the loop; the Wait itself is 5 ms.
const FAST = { waitTimeOverridesMs: { DeleteRecheckWait: 5 } };

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const actionOf = (report: SweepReport, name: string) => report.actions.find((a) => a.endpointName === name);

describe('DeleteApproved while deletion is still in progress', () => {
  it('calls Delete again until an endpoint whose inference components outlast the wait is deleted', async () => {
    env = await workflowEnv(workflowScenario({ endpoints: [IC_ENDPOINT] }));
    sagemakerSettings(env.sim.world).transitionDelayMs = 200;

    const result = await env.start({ sweepId: 'ic-loop-1', mode: 'cleanup', approval: AUTO }, FAST).done;

    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one']);
    expect(sagemakerStore(env.sim.world, TEAM, REGION).getInferenceComponent('idle-ic-llm')).toBeUndefined();
    // Each irreversible call is issued once, however many rounds it took.
    expect(env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteInferenceComponent', accountId: TEAM })).toBe(2);
    const history = await endpointEvents(env.s3, TEAM, 'idle-ic');
    const timeline = types(history);
    expect(timeline.filter((t) => t === 'components-deleted' || t === 'deleted')).toEqual(['components-deleted', 'deleted']);
    expect(history.find((e) => e.type === 'components-deleted')!.details).toMatchObject({
      inferenceComponentsDeleted: expect.arrayContaining(['idle-ic-llm', 'idle-ic-embedder']),
    });

    const report = await json<SweepReport>(env.s3, 'sweeps/ic-loop-1/report.json');
    expect(actionOf(report, 'idle-ic')).toMatchObject({ deletion: 'deleted' });
    expect(report.summary).toMatchObject({ zombies: 4, deleted: 4, deleting: 0, skipped: [] });
    expect(report.summary.savedMonthlyCostUsd).toBe(report.summary.zombieMonthlyCostUsd);
  });

  it('skips, with the reason, an endpoint whose inference components are still deleting after the last round', async () => {
    env = await workflowEnv(workflowScenario({ endpoints: [IC_ENDPOINT] }));
    const store = sagemakerStore(env.sim.world, TEAM, REGION);
    // These components never finish deleting: the endpoint keeps running (and billing). Transitions settle when a
    // call reads them, so pushing them back before every SageMaker call (on the raw state: reading would settle) holds them.
    const stuck = env.sim.traffic.inject({
      service: 'sagemaker',
      accountId: TEAM,
      before: () => {
        for (const ic of store.state.inferenceComponents.values()) if (ic.status === 'Deleting') ic.transitionAt = Date.now() + 60_000;
      },
    });

    const result = await env.start({ sweepId: 'ic-stuck-1', mode: 'cleanup', approval: AUTO }, { waitTimeOverridesMs: { DeleteRecheckWait: 1 } }).done;
    env.sim.traffic.remove(stuck);

    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-ic']);
    expect(env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteEndpoint', accountId: TEAM })).toBe(3);
    // One call per round (the first and 40 more), each issuing DeleteInferenceComponent at most once overall.
    expect(env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteInferenceComponent', accountId: TEAM })).toBe(2);
    const report = await json<SweepReport>(env.s3, 'sweeps/ic-stuck-1/report.json');
    expect(actionOf(report, 'idle-ic')).toMatchObject({
      deletion: 'skipped',
      reason: expect.stringMatching(/still being deleted after 40 rounds of waiting; DeleteEndpoint was not called; the endpoint is kept/),
    });
    const icCost = actionOf(report, 'idle-ic')!.monthlyCostUsd!;
    expect(icCost).toBeGreaterThan(0);
    expect(report.summary).toMatchObject({ zombies: 4, deleted: 3, deleting: 0 });
    expect(report.summary.skipped.map((s) => s.endpointName)).toEqual(['idle-ic']);
    expect(report.summary.savedMonthlyCostUsd).toBeCloseTo(report.summary.zombieMonthlyCostUsd - icCost, 2);
    // The component deletions are audited even though the endpoint was kept, and the skip says what it lost.
    const history = await endpointEvents(env.s3, TEAM, 'idle-ic');
    expect(types(history)).toContain('components-deleted');
    expect(types(history)).not.toContain('deleted');
    expect(history.find((e) => e.type === 'skipped')!.details).toMatchObject({
      check: 'components-deleting',
      inferenceComponentsDeleted: expect.arrayContaining(['idle-ic-llm', 'idle-ic-embedder']),
    });
  });

  it('ends with deleting, shown as still deleting, when an accepted DeleteEndpoint outlasts every round', async () => {
    env = await workflowEnv(workflowScenario({ endpoints: [] }));
    const store = sagemakerStore(env.sim.world, TEAM, REGION);
    const stuck = env.sim.traffic.inject({
      service: 'sagemaker',
      accountId: TEAM,
      before: () => {
        for (const endpoint of store.state.endpoints.values()) if (endpoint.status === 'Deleting') endpoint.transitionAt = Date.now() + 60_000;
      },
    });

    const result = await env.start({ sweepId: 'ep-stuck-1', mode: 'cleanup', approval: AUTO }, { waitTimeOverridesMs: { DeleteRecheckWait: 1 } }).done;
    env.sim.traffic.remove(stuck);

    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    // Accepted once per endpoint, however many rounds followed.
    expect(env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteEndpoint', accountId: TEAM })).toBe(3);
    const report = await json<SweepReport>(env.s3, 'sweeps/ep-stuck-1/report.json');
    expect(actionOf(report, 'idle-a')).toMatchObject({
      deletion: 'deleting',
      reason: expect.stringMatching(/still being deleted when the sweep ended: DeleteEndpoint accepted/),
    });
    expect(report.summary).toMatchObject({ deleted: 0, deleting: 3 });
    expect(reportText(report).body).toMatch(/Still deleting \(may still exist and bill\):\n {2}\S+ us-east-1 idle-\w: still being deleted/);
    expect(types(await endpointEvents(env.s3, TEAM, 'idle-a'))).toContain('deleted');
  });
});

describe('summarize', () => {
  const action = (name: string, deletion: EndpointAction['deletion'], monthlyCostUsd: number, reason?: string): EndpointAction => ({
    accountId: TEAM,
    region: REGION,
    endpointName: name,
    endpointArn: `arn:aws:sagemaker:${REGION}:${TEAM}:endpoint/${name}`,
    monthlyCostUsd,
    decision: 'approved',
    deletion,
    ...(reason ? { reason } : {}),
  });

  it('counts deleting apart: not deleted, not saved, not skipped', () => {
    const summary = summarize(
      [],
      [],
      [action('a', 'deleted', 100), action('b', 'deleting', 50, 'still being deleted when the sweep ended: x'), action('c', 'skipped', 10, 'invoked')],
    );
    expect(summary).toMatchObject({ deleted: 1, deleting: 1, savedMonthlyCostUsd: 100 });
    expect(summary.skipped.map((s) => s.endpointName)).toEqual(['c']);
  });
});
