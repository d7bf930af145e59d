import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import { NO_ROLE, TEAM, ZOMBIES, endpointEvents, json, liveEndpoints, types, workflowEnv, type WorkflowEnv } from './harness.ts';

let env: WorkflowEnv;
beforeAll(async () => {
  env = await workflowEnv();
});
afterAll(async () => {
  await env.stop();
});

describe('a throttled organization', () => {
  it('completes a cleanup sweep with the right verdicts and deletions, retrying throttled calls', async () => {
    // Token buckets well below AWS quotas on the member accounts' APIs...
    const limit = { rate: 20, burst: 8 };
    env.sim.traffic.setThrottling({ enabled: true, limits: { sagemaker: limit, monitoring: limit, organizations: limit } });
    // ...and one call throttled more often than the SDK retries (2 attempts here): the scan step fails
    // with RetryableAwsError and only the state machine's Retry gets it through.
    env.sim.traffic.inject({
      service: 'sagemaker',
      operation: 'DescribeEndpoint',
      accountId: TEAM,
      times: 2,
      error: { code: 'ThrottlingException', message: 'Rate exceeded' },
    });
    const result = await env.start({ sweepId: 'throttled-1', mode: 'cleanup', approval: { approvers: [], autoApprove: true } }, { maxAttempts: 2 }).done;
    env.sim.traffic.setThrottling({ enabled: false });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(
      env.sim.ledger.filter({ service: 'sagemaker', operation: 'DescribeEndpoint', errors: true }).filter((e) => e.errorCode === 'ThrottlingException').length,
    ).toBeGreaterThanOrEqual(2);

    const report = await json<SweepReport>(env.s3, 'sweeps/throttled-1/report.json');
    const verdicts = Object.fromEntries(report.findings.map((f) => [f.endpointName, f.verdict]));
    expect(verdicts).toEqual({ 'idle-a': 'zombie', 'idle-b': 'zombie', 'idle-c': 'zombie', 'busy-api': 'active', 'fresh-one': 'too-new' });
    expect(report.targets.find((t) => t.accountId === TEAM)?.status).toBe('ok');
    expect(report.targets.find((t) => t.accountId === NO_ROLE)?.status).toBe('unreachable');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one']);
    for (const name of ZOMBIES) expect(types(await endpointEvents(env.s3, TEAM, name))).toContain('deleted');
    expect(report.summary).toMatchObject({ zombies: 3, deleted: 3, skipped: [] });
  });
});
