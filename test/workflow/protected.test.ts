import { afterEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import { REGION, TEAM, endpointEvents, json, liveEndpoints, types, workflowEnv, workflowScenario, type WorkflowEnv } from './harness.ts';

/**
 * The protected list, end to end: an endpoint in a protected account, in an account below a protected
 * OU (nested, which the StackSet cannot subtract), carrying `zombie-protected=true`, or carrying a tag on
 * the list is judged `exempt` with a reason saying why, and a cleanup sweep with auto-approval neither
 * tags nor deletes it, while the other zombies go.
 */

const LISTED = '444444444444';
const NESTED = '555555555555';
const PARENT_OU = 'ou-wf12-parent01';
const NESTED_OU = 'ou-wf12-nested01';

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const idle = (account: string, name: string, tags: Record<string, string> = {}) => ({
  account,
  region: REGION,
  name,
  createdDaysAgo: 200,
  tags,
  variants: [{ instanceType: 'ml.m5.large', model: { artifact: { uri: `s3://models-${account}/${name}/model.tar.gz`, size: 2048 } } }],
});

function protectedScenario() {
  const base = workflowScenario({
    endpoints: [
      idle(TEAM, 'idle-flagged', { 'zombie-protected': 'true' }),
      idle(TEAM, 'idle-regulated', { 'data-class': 'regulated' }),
      idle(LISTED, 'idle-listed'),
      idle(NESTED, 'idle-nested'),
    ],
  });
  return {
    ...base,
    ous: [
      { id: PARENT_OU, name: 'workloads' },
      { id: NESTED_OU, name: 'regulated', parent: PARENT_OU },
    ],
    accounts: [...base.accounts, { id: LISTED, name: 'payments', regions: [REGION] }, { id: NESTED, name: 'clinical', regions: [REGION], ou: NESTED_OU }],
  };
}

describe('the protected list', () => {
  it('judges protected endpoints exempt, saying why, and a cleanup sweep neither tags nor deletes them', async () => {
    env = await workflowEnv(protectedScenario());
    const sweep = env.start({
      sweepId: 'protect-1',
      mode: 'cleanup',
      approval: { approvers: [], autoApprove: true },
      protected: { accountIds: [LISTED], ouIds: [PARENT_OU], tags: { 'data-class': 'regulated' } },
    });
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');

    const report = await json<SweepReport>(env.s3, 'sweeps/protect-1/report.json');
    const finding = (name: string) => report.findings.find((f) => f.endpointName === name);
    expect(finding('idle-flagged')).toMatchObject({ verdict: 'exempt', reason: expect.stringContaining('protected: tag zombie-protected=true') });
    expect(finding('idle-regulated')).toMatchObject({
      verdict: 'exempt',
      reason: expect.stringContaining('protected: tag data-class=regulated is on the protected list'),
    });
    expect(finding('idle-listed')).toMatchObject({ verdict: 'exempt', reason: expect.stringContaining(`account ${LISTED} is on the protected list`) });
    expect(finding('idle-nested')).toMatchObject({
      verdict: 'exempt',
      reason: expect.stringContaining(`account ${NESTED} is under protected OU ${PARENT_OU}`),
    });

    // The unprotected zombies are deleted; every protected one is still there, untouched.
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-flagged', 'idle-regulated']);
    expect(liveEndpoints(env.sim, LISTED)).toEqual(['idle-listed']);
    expect(liveEndpoints(env.sim, NESTED)).toEqual(['idle-nested']);
    for (const [account, name] of [
      [TEAM, 'idle-flagged'],
      [TEAM, 'idle-regulated'],
      [LISTED, 'idle-listed'],
      [NESTED, 'idle-nested'],
    ] as const) {
      const history = types(await endpointEvents(env.s3, account, name));
      expect(
        history.filter((t) => t !== 'detected'),
        name,
      ).toEqual([]);
    }
  });

  it('refuses a protected list naming a bad account or OU, naming the field', async () => {
    env = await workflowEnv();
    const result = await env.start({ sweepId: 'protect-2', mode: 'report', protected: { accountIds: ['12345'], ouIds: [], tags: {} } }).done;
    expect(result.status).toBe('FAILED');
    expect(`${result.error} ${result.cause}`).toMatch(/protected\.accountIds\.0.*12-digit/);
  });
});
