/**
 * Scale to zero through the real state machine (statemachine/sweep.asl.json on the local runner): an
 * approver ticks "scale to zero" for an asynchronous zombie; the others are deleted; it stays, at zero
 * instances, tagged, audited, counted as saved in the report and the savings file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import type { SweepSavings } from '../../src/savings/model.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import {
  APPROVERS,
  TEAM,
  approvalLink,
  endpointArn,
  endpointEvents,
  json,
  liveEndpoints,
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

const QUEUE = 'idle-queue';

/** The page's form as a browser submits it: every box ticked, and scale to zero ticked for `zero`. */
async function decideWithScaleToZero(url: string, zero: string[]): Promise<number> {
  const page = await (await fetch(url)).text();
  const form = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.append(name!, value!.replace(/&amp;/g, '&'));
  for (const [, value] of page.matchAll(/<input type="checkbox"[^>]*name="endpoint" value="([^"]+)"/g)) form.append('endpoint', value!);
  const offered = [...page.matchAll(/<input type="checkbox"[^>]*name="scaleToZero" value="([^"]+)"/g)].map((m) => m[1]!);
  for (const arn of offered) if (zero.some((name) => arn.endsWith(`/${name}`))) form.append('scaleToZero', arn);
  form.append('action', 'approve');
  const response = await fetch(url.split('?')[0]!, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return response.status;
}

describe('a cleanup sweep with scale to zero', () => {
  it('scales the chosen asynchronous zombie to zero, deletes the others, and counts both as saved', async () => {
    const scenario = workflowScenario({
      endpoints: [
        {
          account: TEAM,
          region: 'us-east-1',
          name: QUEUE,
          type: 'async',
          createdDaysAgo: 200,
          variants: [{ instanceType: 'ml.g4dn.xlarge', model: { artifact: { uri: `s3://models-${TEAM}/queue/model.tar.gz`, size: 2048, exists: true } } }],
        },
      ],
    });
    env = await workflowEnv(scenario);
    const sweep = env.start({ sweepId: 'clean-zero', mode: 'cleanup' });
    await sweep.approvalRequested;

    expect(await decideWithScaleToZero(approvalLink(env.sim, APPROVERS[0]!, 'clean-zero'), [QUEUE])).toBe(200);
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');

    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', QUEUE]);
    const sm = sagemakerStore(env.sim.world, TEAM, 'us-east-1');
    expect(sm.getEndpoint(QUEUE)!.variants.map((v) => v.desiredInstanceCount)).toEqual([0]);
    expect(sm.tagsOf(endpointArn(TEAM, QUEUE))).toMatchObject({
      zombie: 'scaled-to-zero',
      'zombie-sweep-id': 'clean-zero',
      'zombie-approved-by': APPROVERS[0],
    });
    const history = types(await endpointEvents(env.s3, TEAM, QUEUE));
    expect(history).toEqual(expect.arrayContaining(['snapshotted', 'tagged', 'approved', 'intent', 'scaled-to-zero']));
    expect(history).not.toContain('deleted');

    const report = await json<SweepReport>(env.s3, 'sweeps/clean-zero/report.json');
    expect(report.summary).toMatchObject({ zombies: 4, deleted: 3, scaledToZero: 1, skipped: [] });
    expect(report.summary.savedMonthlyCostUsd).toBe(report.summary.zombieMonthlyCostUsd);
    const savings = await json<SweepSavings>(env.s3, 'sweeps/clean-zero/savings.json');
    expect(savings.realized.find((r) => r.endpointName === QUEUE)).toMatchObject({ action: 'scaled-to-zero' });
  });
});
