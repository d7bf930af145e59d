/**
 * detection.expiredAction through the real state machine: `candidate` puts an endpoint whose
 * auto-delete-after passed through snapshot, tag and approval like a zombie, and the approval page says
 * it is expired; `report` (the default) only reports it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import { APPROVERS, TEAM, approvalLink, decideOnPage, json, sagemakerAs, tagsOf, workflowEnv, workflowScenario, type WorkflowEnv } from './harness.ts';

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

/** Its owner's deadline passed, but something still calls it every day. */
const EXPIRED_INVOKED = {
  ...EXPIRED,
  name: 'demo-expired-busy',
  tags: { team: 'growth', 'auto-delete-after': '2021-06-30' },
  variants: [{ ...EXPIRED.variants[0]!, invocations: [{ daysAgo: [0, 59] as [number, number], perDay: 500 }] }],
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

  it('an endpoint still invoked is judged expired too', async () => {
    env = await workflowEnv(workflowScenario({ endpoints: [EXPIRED_INVOKED] }));
    const result = await env.start({ sweepId: 'expired-busy-report', mode: 'report' }).done;
    expect(result.status).toBe('SUCCEEDED');
    const report = await json<SweepReport>(env.s3, 'sweeps/expired-busy-report/report.json');
    const finding = report.findings.find((f) => f.endpointName === 'demo-expired-busy');
    expect(finding?.verdict).toBe('expired');
    expect(finding?.reason).toMatch(/auto-delete-after=2021-06-30 has passed; still invoked: \d+ invocations in the last 30 days/);
  });

  it('protection outranks a passed auto-delete-after: a protected endpoint, idle or still invoked, is never expired nor a candidate', async () => {
    const guarded = (e: typeof EXPIRED, name: string) => ({ ...e, name, tags: { ...e.tags, 'zombie-protected': 'true' } });
    env = await workflowEnv(workflowScenario({ endpoints: [guarded(EXPIRED, 'guarded-idle'), guarded(EXPIRED_INVOKED, 'guarded-busy')] }));
    const result = await env.start({ sweepId: 'expired-protected', mode: 'tag', detection: { expiredAction: 'candidate' } }).done;
    expect(result.status).toBe('SUCCEEDED');
    const report = await json<SweepReport>(env.s3, 'sweeps/expired-protected/report.json');
    const verdict = (name: string) => report.findings.find((f) => f.endpointName === name)?.verdict;
    expect(verdict('guarded-idle')).toBe('exempt');
    expect(verdict('guarded-busy')).toBe('active');
    const sagemaker = await sagemakerAs(env.sim, TEAM);
    for (const name of ['guarded-idle', 'guarded-busy']) expect(await tagsOf(sagemaker, TEAM, name), name).not.toHaveProperty('zombie');
  });

  it('the page says loudly that an expired candidate is still invoked; keeping it moves the date', async () => {
    env = await workflowEnv(workflowScenario({ endpoints: [EXPIRED_INVOKED] }));
    const sweep = env.start({ sweepId: 'expired-busy', mode: 'cleanup', detection: { expiredAction: 'candidate' } });
    await sweep.approvalRequested;
    const link = approvalLink(env.sim, APPROVERS[0]!, 'expired-busy');
    const page = await (await fetch(link)).text();
    const row = page.slice(page.indexOf('demo-expired-busy</label>'));
    expect(row.slice(0, row.indexOf('</th>'))).toMatch(/EXPIRED: its owner.*STILL INVOKED: \d+ invocations in the last 30 days/s);
    // Once in its row, once in the banner above the tables.
    expect(page.match(/STILL INVOKED/g)).toHaveLength(2);
    expect(page).toContain('1 endpoint is STILL INVOKED</strong> although its owner');

    expect((await decideOnPage(link, { keep: ['demo-expired-busy'] })).status).toBe(200);
    expect((await sweep.done).status).toBe('SUCCEEDED');
    const sagemaker = await sagemakerAs(env.sim, TEAM);
    const kept = await tagsOf(sagemaker, TEAM, 'demo-expired-busy');
    expect(kept).toMatchObject({ zombie: 'rejected', 'auto-delete-after': '2021-06-30' });
    expect(Date.parse(kept['zombie-exempt-until']!)).toBeGreaterThan(Date.now() + 80 * 86_400_000);

    // The next sweep sees the moved date: the endpoint is active again, not expired.
    expect((await env.start({ sweepId: 'expired-busy-next', mode: 'report' }).done).status).toBe('SUCCEEDED');
    const next = await json<SweepReport>(env.s3, 'sweeps/expired-busy-next/report.json');
    expect(next.findings.find((f) => f.endpointName === 'demo-expired-busy')?.verdict).toBe('active');
  });
});
