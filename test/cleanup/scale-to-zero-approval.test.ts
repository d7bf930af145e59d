/**
 * Choosing scale to zero on the approval page, over HTTP against the simulator: only for ticked
 * endpoints of a kind that can, recorded in the signed decision, and refused (nothing decided) otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import { layout } from '../../src/core/layout.ts';
import { createHandler } from '../../functions/request-approval/handler.ts';
import { readSignedDecision } from '../../src/cleanup/approval/signature.ts';
import type { ApprovalCandidate } from '../../src/cleanup/approval/store.ts';
import type { EndpointType } from '../../src/core/schemas.ts';
import { APPROVERS, BUCKET, MEMBER, REGION, readObject, startCleanupEnv, type CleanupEnv } from './actions-fixtures.ts';

let env: CleanupEnv;
let counter = 0;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const arnOf = (name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/${name}`;

async function requested(kinds: Record<string, EndpointType>) {
  const sweepId = `sweep-s2z-approval-${++counter}`;
  const taskToken = env.tokens.create(`arn:aws:states:${REGION}:111111111111:execution:sweep:${sweepId}`, 'RequestApproval');
  const candidates: ApprovalCandidate[] = Object.entries(kinds).map(([name, endpointType]) => ({
    sweepId,
    accountId: MEMBER,
    region: REGION,
    endpointName: name,
    endpointArn: arnOf(name),
    endpointType,
    instanceType: 'ml.g4dn.xlarge',
    instanceCount: 1,
    monthlyCostUsd: 500,
    idleSince: '2026-01-01',
    detectedAt: env.clock.now().toISOString(),
  }));
  const before = snsOutbox(env.world).messages.length;
  await createHandler(env.deps)({ taskToken, sweepId, candidates, approvers: APPROVERS, timeoutSeconds: 3600, requestedBy: 'platform-team' });
  const mail = snsOutbox(env.world)
    .messages.slice(before)
    .find((m) => m.endpoint === 'alice@example.com')!;
  const link = /(http:\/\/\S+\/approvals\/\S+)/.exec(mail.message)![1]!;
  return { sweepId, link };
}

async function post(link: string, action: string, endpoints: string[], scaleToZero: string[]) {
  const url = new URL(link);
  const body = new URLSearchParams({
    approver: url.searchParams.get('approver')!,
    expires: url.searchParams.get('expires')!,
    sig: url.searchParams.get('sig')!,
    action,
  });
  for (const arn of endpoints) body.append('endpoint', arn);
  for (const arn of scaleToZero) body.append('scaleToZero', arn);
  const response = await fetch(link.split('?')[0]!, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: env.sim.url, 'sec-fetch-site': 'same-origin' },
  });
  return { status: response.status, html: await response.text() };
}

describe('choosing scale to zero', () => {
  it('records the choice in the signed decision, apart from the deletions', async () => {
    const { sweepId, link } = await requested({ 'queue-worker': 'async', 'fraud-v1': 'real-time' });
    const review = await post(link, 'review', [arnOf('queue-worker'), arnOf('fraud-v1')], [arnOf('queue-worker')]);
    expect(review.status).toBe(200);
    expect(review.html).toContain('<h2>Scale to zero</h2>');

    const decided = await post(link, 'approve', [arnOf('queue-worker'), arnOf('fraud-v1')], [arnOf('queue-worker')]);
    expect(decided.status).toBe(200);
    const signed = await readSignedDecision(env.s3, BUCKET, env.deps.decisionSigner, sweepId);
    expect(signed.ok).toBe(true);
    expect(signed.ok && signed.stored.value).toMatchObject({ approved: [arnOf('queue-worker'), arnOf('fraud-v1')], scaleToZero: [arnOf('queue-worker')] });
  });

  it('refuses, deciding nothing, scale to zero for a kind that cannot or for an endpoint that is not ticked', async () => {
    const { sweepId, link } = await requested({ 'queue-worker': 'async', 'fraud-v1': 'real-time' });
    const realTime = await post(link, 'approve', [arnOf('fraud-v1')], [arnOf('fraud-v1')]);
    expect(realTime.status).toBe(400);
    expect(realTime.html).toContain('cannot be scaled to zero');
    const unticked = await post(link, 'approve', [arnOf('fraud-v1')], [arnOf('queue-worker')]);
    expect(unticked.status).toBe(400);
    expect(unticked.html).toContain('not ticked');
    expect(await readObject(env.s3, layout.decision(sweepId))).toBeUndefined();
  });

  it('leaves a decision without scale to zero exactly as before (no scaleToZero field)', async () => {
    const { sweepId, link } = await requested({ 'queue-worker': 'async' });
    expect((await post(link, 'approve', [arnOf('queue-worker')], [])).status).toBe(200);
    const stored = JSON.parse((await readObject(env.s3, layout.decision(sweepId)))!) as Record<string, unknown>;
    expect(stored).not.toHaveProperty('scaleToZero');
  });
});
