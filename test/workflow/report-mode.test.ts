import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import {
  BUCKET,
  MGMT,
  NO_ROLE,
  TEAM,
  ZOMBIES,
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

let env: WorkflowEnv;
beforeAll(async () => {
  env = await workflowEnv();
});
afterAll(async () => {
  await env.stop();
});

describe('a report-mode sweep', () => {
  it('scans every reachable target, reports the unreachable one, and changes nothing', async () => {
    const result = await env.start({ sweepId: 'report-1', mode: 'report' }).done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const report = await json<SweepReport>(env.s3, 'sweeps/report-1/report.json');
    expect(report).toMatchObject({ sweepId: 'report-1', mode: 'report', status: 'completed', archiveBucket: BUCKET });
    const verdicts = Object.fromEntries(report.findings.map((f) => [f.endpointName, f.verdict]));
    expect(verdicts).toEqual({ 'idle-a': 'zombie', 'idle-b': 'zombie', 'idle-c': 'zombie', 'busy-api': 'active', 'fresh-one': 'too-new' });
    expect(report.summary.zombies).toBe(3);
    expect(report.summary.zombieMonthlyCostUsd).toBeGreaterThan(0);
    // The account without the member role is a reported target, not a failed sweep.
    const noRole = report.targets.find((t) => t.accountId === NO_ROLE);
    expect(noRole).toMatchObject({ status: 'unreachable', endpoints: 0 });
    expect(noRole?.reason).toMatch(/AccessDenied|assume/i);
    expect(report.targets.find((t) => t.accountId === TEAM)?.status).toBe('ok');

    // Nothing changed: endpoints all there, untagged, nothing archived, nothing approved.
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a', 'idle-b', 'idle-c']);
    const sagemaker = await sagemakerAs(env.sim, TEAM);
    for (const name of ZOMBIES) expect((await tagsOf(sagemaker, TEAM, name)).zombie).toBeUndefined();
    expect(await keys(env.s3, 'manifests/')).toEqual([]);
    expect(await keys(env.s3, 'artifacts/')).toEqual([]);
    expect(await keys(env.s3, 'approvals/')).toEqual([]);
    expect(await keys(env.s3, 'sweeps/report-1/')).toEqual(
      expect.arrayContaining(['sweeps/report-1/targets.json', 'sweeps/report-1/candidates.json', `sweeps/report-1/findings/${TEAM}/us-east-1.json`]),
    );

    // Audit: the sweep started and finished; each zombie was detected, and nothing else happened to it.
    expect(types(await sweepEvents(env.s3, 'report-1'))).toEqual(['sweep-started', 'sweep-finished']);
    for (const name of ZOMBIES) expect(types(await endpointEvents(env.s3, TEAM, name))).toEqual(['detected']);
    expect(await endpointEvents(env.s3, TEAM, 'busy-api')).toEqual([]);
    // Report mode takes no lock.
    expect(await keys(env.s3, 'locks/')).toEqual([]);
    expect(result.output).toMatchObject({ sweepId: 'report-1', status: 'completed', summary: { zombies: 3 } });
    expect(MGMT).toBe(env.sim.world.managementAccountId);
  });
});
