/**
 * Decision races on the approval page, run for real: concurrent POSTs over HTTP to the approval web
 * handler, SendTaskSuccess against task tokens that answer TaskTimedOut once used, and the decision
 * record's conditional writes in the simulated S3. A sweep is decided once, and a refused token never
 * turns a delivered decision into "expired, nothing approved".
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import { layout } from '../../src/core/layout.ts';
import { createHandler } from '../../functions/request-approval/handler.ts';
import { decide } from '../../src/cleanup/approval/decide.ts';
import { ApprovalRecordSchema, DecisionRecordSchema, taskOutput, type DecisionRecord } from '../../src/cleanup/approval/store.ts';
import { APPROVERS, BUCKET, MEMBER, REGION, auditEvents, readObject, startCleanupEnv, type CleanupEnv } from './actions-fixtures.ts';

let env: CleanupEnv;
let sweepCounter = 0;

beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

async function requested(names = ['ep-a', 'ep-b']) {
  const sweepId = `sweep-race-${++sweepCounter}`;
  const executionArn = `arn:aws:states:${REGION}:111111111111:execution:sweep:${sweepId}`;
  const taskToken = env.tokens.create(executionArn, 'RequestApproval');
  const arns = names.map((name) => `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/${name}`);
  const candidates = names.map((name, i) => ({
    sweepId,
    accountId: MEMBER,
    region: REGION,
    endpointName: name,
    endpointArn: arns[i]!,
    endpointType: 'real-time' as const,
    instanceType: 'ml.g4dn.xlarge',
    instanceCount: 1,
    monthlyCostUsd: 100,
    idleSince: '2026-01-01',
    detectedAt: env.clock.now().toISOString(),
  }));
  const before = snsOutbox(env.world).messages.length;
  await createHandler(env.deps)({ taskToken, sweepId, candidates, approvers: APPROVERS, timeoutSeconds: 3600, requestedBy: 'platform-team' });
  const mails = snsOutbox(env.world).messages.slice(before);
  const linkOf = (approver: string) => /(http:\/\/\S+\/approvals\/\S+)/.exec(mails.find((m) => m.endpoint === approver)!.message)![1]!;
  const record = async () => {
    const text = (await readObject(env.s3, layout.approval(sweepId)))!;
    return { value: ApprovalRecordSchema.parse(JSON.parse(text)), etag: '' };
  };
  return { sweepId, executionArn, taskToken, arns, linkOf, record };
}

/** Submits the approval form the way the page's buttons do. */
async function click(link: string, action: 'approve' | 'reject-all' | 'retry', endpoints: string[] = []) {
  const url = new URL(link);
  const body = new URLSearchParams({
    approver: url.searchParams.get('approver')!,
    expires: url.searchParams.get('expires')!,
    sig: url.searchParams.get('sig')!,
    action,
  });
  for (const arn of endpoints) body.append('endpoint', arn);
  const response = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: env.sim.url, 'sec-fetch-site': 'same-origin' },
  });
  return { status: response.status, html: await response.text() };
}

const rawDecision = (sweepId: string) => readObject(env.s3, layout.decision(sweepId));
const decisionOf = async (sweepId: string) => DecisionRecordSchema.parse(JSON.parse((await rawDecision(sweepId))!));
const sweepEvents = (sweepId: string, type: string) =>
  auditEvents(env.s3, layout.sweepAuditPrefix(sweepId)).then((events) => events.filter((e) => e.type === type));
const sends = () => env.sim.ledger.count({ service: 'states', operation: 'SendTaskSuccess' });

describe('concurrent decisions', () => {
  it('two approvers clicking at once: exactly one decision reaches the workflow and is recorded delivered', async () => {
    for (let round = 0; round < 4; round++) {
      const sweep = await requested();
      const sendsBefore = sends();
      const [alice, bob] = await Promise.all([click(sweep.linkOf(ALICE), 'approve', [sweep.arns[0]!]), click(sweep.linkOf(BOB), 'reject-all')]);
      expect([alice.status, bob.status].sort()).toEqual([200, 409]);
      const decision = await decisionOf(sweep.sweepId);
      const winner = alice.status === 200 ? ALICE : BOB;
      expect(decision).toMatchObject({ status: 'delivered', approver: winner });
      expect(await env.tokens.wait(sweep.taskToken, 1000)).toEqual(taskOutput(decision));
      expect(sends() - sendsBefore).toBe(1);
      expect(await sweepEvents(sweep.sweepId, 'expired')).toEqual([]);
      const decided = [...(await sweepEvents(sweep.sweepId, 'approved')), ...(await sweepEvents(sweep.sweepId, 'rejected'))];
      expect(decided.map((e) => e.actor)).toEqual([winner]);
    }
  });

  it('one approver double-clicking Approve: one delivery, recorded delivered, nothing expired', async () => {
    for (let round = 0; round < 4; round++) {
      const sweep = await requested();
      const link = sweep.linkOf(ALICE);
      const sendsBefore = sends();
      const responses = await Promise.all([click(link, 'approve', [sweep.arns[0]!]), click(link, 'approve', [sweep.arns[0]!])]);
      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      const decision = await decisionOf(sweep.sweepId);
      expect(decision).toMatchObject({ status: 'delivered', approver: ALICE, approved: [sweep.arns[0]], rejected: [sweep.arns[1]] });
      expect(await env.tokens.wait(sweep.taskToken, 1000)).toEqual(taskOutput(decision));
      expect(sends() - sendsBefore).toBe(1);
      expect(await sweepEvents(sweep.sweepId, 'expired')).toEqual([]);
      expect(await sweepEvents(sweep.sweepId, 'approved')).toHaveLength(1);
    }
  });

  it('a second approver clicking after delivery gets 409 and the record stays exactly as it was', async () => {
    const sweep = await requested();
    expect((await click(sweep.linkOf(ALICE), 'approve', [sweep.arns[0]!])).status).toBe(200);
    const before = await rawDecision(sweep.sweepId);
    const sendsBefore = sends();
    const bob = await click(sweep.linkOf(BOB), 'reject-all');
    expect(bob.status).toBe(409);
    expect(bob.html).toContain(`${ALICE} decided at`);
    expect(await rawDecision(sweep.sweepId)).toBe(before);
    expect(sends()).toBe(sendsBefore);
    expect(await sweepEvents(sweep.sweepId, 'expired')).toEqual([]);
  });
});

describe('a refused token after a send that may have been accepted', () => {
  /** Alice's decision reached the workflow, but the `delivered` write never landed (the request died right after sending). */
  async function deliveredButStillPending() {
    const sweep = await requested();
    const decidedAt = env.clock.now().toISOString();
    const pending: DecisionRecord = {
      version: 1,
      sweepId: sweep.sweepId,
      approver: ALICE,
      decidedAt,
      action: 'approve',
      approved: [sweep.arns[0]!],
      rejected: [sweep.arns[1]!],
      status: 'pending',
      source: 'approval-page',
      sendStartedAt: decidedAt,
    };
    await env.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: layout.decision(sweep.sweepId), Body: JSON.stringify(pending), ContentType: 'application/json' }),
    );
    env.tokens.succeed(sweep.taskToken, JSON.stringify(taskOutput(pending)));
    return sweep;
  }

  it("another approver's click does not re-send or rewrite someone else's pending decision", async () => {
    const sweep = await deliveredButStillPending();
    const before = await rawDecision(sweep.sweepId);
    const sendsBefore = sends();
    const bob = await click(sweep.linkOf(BOB), 'approve', sweep.arns);
    expect(bob.status).toBe(409);
    expect(sends()).toBe(sendsBefore);
    expect(await rawDecision(sweep.sweepId)).toBe(before);
    expect(await sweepEvents(sweep.sweepId, 'expired')).toEqual([]);
    expect(await env.tokens.wait(sweep.taskToken, 1000)).toEqual(taskOutput(await decisionOf(sweep.sweepId)));
  });

  it("the approver's own retry, once the first send is over, keeps the decision pending instead of claiming nothing was approved", async () => {
    const sweep = await deliveredButStillPending();
    env.clock.advance(61_000);
    try {
      const retry = await click(sweep.linkOf(ALICE), 'retry');
      expect(retry.status).toBe(503);
    } finally {
      env.clock.advance(-61_000);
    }
    expect(await decisionOf(sweep.sweepId)).toMatchObject({ status: 'pending', approved: [sweep.arns[0]], lastSendError: 'TaskTimedOut', maybeSent: true });
    expect(await sweepEvents(sweep.sweepId, 'expired')).toEqual([]);
  });

  it('closes the window once the approval has really expired, with one expired event', async () => {
    const sweep = await deliveredButStillPending();
    const record = await sweep.record();
    env.clock.advance(3600_000);
    try {
      const outcome = await decide(env.deps, record, ALICE, 'retry', []);
      expect(outcome.kind).toBe('window-closed');
    } finally {
      env.clock.advance(-3600_000);
    }
    expect(await decisionOf(sweep.sweepId)).toMatchObject({ status: 'window-closed', approved: [], requested: { approved: [sweep.arns[0]] } });
    expect(await sweepEvents(sweep.sweepId, 'expired')).toHaveLength(1);
  });
});
