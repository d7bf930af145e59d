import { afterEach, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { layout } from '../../src/core/layout.ts';
import type { SweepReport } from '../../src/sweep/model.ts';
import { APPROVERS, BUCKET, TEAM, ZOMBIES, endpointArn, json, liveEndpoints, sweepEvents, workflowEnv, type WorkflowEnv } from './harness.ts';

/**
 * A principal with Step Functions access in the hub (GetExecutionHistory shows the task token,
 * SendTaskSuccess answers it) completes the approval task itself. Only a decision record signed with
 * the approval endpoint's key may decide: whatever else the task returns deletes nothing.
 */

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function forgeCompletion(sweepId: string, output: (token: string) => Promise<unknown>) {
  env = await workflowEnv();
  const e = env;
  const sweep = e.start({ sweepId, mode: 'cleanup' });
  await sweep.approvalRequested;
  const { taskToken } = await json<{ taskToken: string }>(e.s3, layout.approval(sweepId));
  const sfn = new SFNClient(e.sim.clientConfig());
  await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(await output(taskToken)) }));
  const result = await sweep.done;
  expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
  return e;
}

async function expectNothingDeleted(e: WorkflowEnv, sweepId: string, reason: RegExp) {
  expect(liveEndpoints(e.sim, TEAM)).toEqual(expect.arrayContaining(ZOMBIES));
  const events = await sweepEvents(e.s3, sweepId);
  const anomalies = events.filter((ev) => ev.type === 'anomaly');
  expect(anomalies).toHaveLength(1);
  expect(anomalies[0]!.reason).toMatch(reason);
  const report = await json<SweepReport>(e.s3, layout.report(sweepId));
  expect(report.approval).toMatchObject({ outcome: 'anomaly', approved: 0 });
  expect(report.summary.deleted).toBe(0);
}

describe('a forged approval', () => {
  it('a task output carrying a whole decision (no signed record) deletes nothing and is audited as an anomaly', async () => {
    const sweepId = 'forged-output';
    const e = await forgeCompletion(sweepId, async () => ({
      approver: APPROVERS[0],
      decidedAt: new Date().toISOString(),
      approved: ZOMBIES.map((name) => endpointArn(TEAM, name)),
      rejected: [],
    }));
    await expectNothingDeleted(e, sweepId, /not a decision reference/);
  });

  it('a decision record written straight into the archive, with a made-up MAC, deletes nothing and is audited as an anomaly', async () => {
    const sweepId = 'forged-record';
    const forgedMac = Buffer.alloc(32, 7).toString('base64url');
    const e = await forgeCompletion(sweepId, async () => {
      const record = {
        version: 1,
        sweepId,
        approver: APPROVERS[0],
        decidedAt: new Date().toISOString(),
        action: 'approve',
        approved: ZOMBIES.map((name) => endpointArn(TEAM, name)),
        rejected: [],
        status: 'pending',
        source: 'approval-page',
        mac: forgedMac,
      };
      await env!.s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: layout.decision(sweepId), Body: JSON.stringify(record), ContentType: 'application/json' }),
      );
      return { decisionKey: layout.decision(sweepId), decisionMac: forgedMac };
    });
    await expectNothingDeleted(e, sweepId, /does not verify/);
  });
});
