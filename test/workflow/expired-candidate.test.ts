/**
 * detection.expiredAction through the real state machine: `candidate` puts an endpoint whose
 * auto-delete-after passed through snapshot, tag and approval like a zombie, and the approval page says
 * it is expired; `report` (the default) only reports it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import { APPROVERS, TEAM, approvalLink, json, sagemakerAs, tagsOf, workflowEnv, workflowScenario, type WorkflowEnv } from './harness.ts';

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const EXPIRED = {
  account: TEAM,
  region: 'us-east-1',
  name: 'demo-expired',
  createdDaysAgo: 200,
  tags: { team: 'growth', 'auto-delete-after': '2020-01-01' },
  variants: [{ instanceType: 'ml.m5.large', model: { artifact: { uri: `s3://models-${TEAM}/demo/model.tar.gz`, size: 2048, exists: true } } }],
};

describe('expired endpoints', () => {
  it('with expiredAction candidate: archived and tagged like a zombie', async () => {
    env = await workflowEnv(workflowScenario({ endpoints: [EXPIRED] }));
    const sweep = env.start({ sweepId: 'expired-cand', mode: 'tag', detection: { expiredAction: 'candidate' } });
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const sagemaker = await sagemakerAs(env.sim, TEAM);
    expect(await tagsOf(sagemaker, TEAM, 'demo-expired')).toMatchObject({ zombie: 'confirmed', 'zombie-sweep-id': 'expired-cand' });
    const report = await json<SweepReport>(env.s3, 'sweeps/expired-cand/report.json');
    expect(report.summary.tagged).toBe(4);
  });

  it('the approval page names an expired candidate as such', async () => {
    env = await workflowEnv(workflowScenario({ endpoints: [EXPIRED] }));
    const sweep = env.start({ sweepId: 'expired-page', mode: 'cleanup', detection: { expiredAction: 'candidate' } });
    await sweep.approvalRequested;
    const page = await (await fetch(approvalLink(env.sim, APPROVERS[0]!, 'expired-page'))).text();
    const row = page.slice(page.indexOf('demo-expired</label>'));
    expect(row.slice(0, row.indexOf('</th>'))).toContain('EXPIRED: its owner');
    expect(page.match(/EXPIRED: its owner/g)).toHaveLength(1);
  });

  it('by default (report) an expired endpoint is reported, never tagged', async () => {
    env = await workflowEnv(workflowScenario({ endpoints: [EXPIRED] }));
    const result = await env.start({ sweepId: 'expired-report', mode: 'tag' }).done;
    expect(result.status).toBe('SUCCEEDED');
    const sagemaker = await sagemakerAs(env.sim, TEAM);
    expect(await tagsOf(sagemaker, TEAM, 'demo-expired')).not.toHaveProperty('zombie');
    const report = await json<SweepReport>(env.s3, 'sweeps/expired-report/report.json');
    expect(report.findings.find((f) => f.endpointName === 'demo-expired')?.verdict).toBe('expired');
  });
});
