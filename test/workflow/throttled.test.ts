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
    // Far below AWS quotas, so nearly every burst of the sweep is throttled somewhere.
    const limit = { rate: 10, burst: 5 };
    env.sim.traffic.setThrottling({ enabled: true, limits: { sagemaker: limit, monitoring: limit, organizations: limit } });
    // Few SDK attempts: throttling that outlives them must be retried by the state machine (RetryableAwsError).
    const result = await env.start({ sweepId: 'throttled-1', mode: 'cleanup', approval: { approvers: [], autoApprove: true } }, { maxAttempts: 2 }).done;
    env.sim.traffic.setThrottling({ enabled: false });
    console.log('DBG', env.sim.traffic.throttledCount, JSON.stringify(env.sim.ledger.byOperation({ errors: true })), env.sim.ledger.count());
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(env.sim.traffic.throttledCount).toBeGreaterThan(0);
    expect(env.sim.ledger.count({ errors: true, service: 'sagemaker' }) + env.sim.ledger.count({ errors: true, service: 'monitoring' })).toBeGreaterThan(0);

    const report = await json<SweepReport>(env.s3, 'sweeps/throttled-1/report.json');
    const verdicts = Object.fromEntries(report.findings.map((f) => [f.endpointName, f.verdict]));
    expect(verdicts).toEqual({ 'idle-a': 'zombie', 'idle-b': 'zombie', 'idle-c': 'zombie', 'busy-api': 'active', 'fresh-one': 'too-new' });
    expect(report.targets.find((t) => t.accountId === NO_ROLE)?.status).toBe('unreachable');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one']);
    for (const name of ZOMBIES) expect(types(await endpointEvents(env.s3, TEAM, name))).toContain('deleted');
    expect(report.summary).toMatchObject({ zombies: 3, deleted: 3, skipped: [] });
  });
});
