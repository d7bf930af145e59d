/**
 * Every notification of a sweep goes through the one Notifier its configuration chooses
 * (src/core/notifier.ts): the owners' notice, the approval request, the final report and the owner
 * digest. A local run without a topic keeps all of them and publishes none; with a topic, the same
 * sweep publishes all of them and keeps none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TEAM, decideOnPage, workflowEnv, type WorkflowEnv } from './harness.ts';

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const OWNER = 'ml-team-lead@example.com';
const sweep = (sweepId: string) => ({
  sweepId,
  mode: 'cleanup' as const,
  digest: true,
  approval: { approvers: ['alice@example.com'], notifyOwners: true, noticeSeconds: 0, accountOwners: { [TEAM]: OWNER } },
});

/** What a notification is for, from its attributes (the ones subscriptions filter on). */
const kindOf = (attributes: Record<string, string>) => attributes.event ?? (attributes.approver ? 'approval-request' : 'other');

async function rejectAll(run: ReturnType<WorkflowEnv['start']>) {
  const request = await run.approvalRequested;
  expect((await decideOnPage(request.links[0]!.url, { rejectAll: true })).status).toBe(200);
  const result = await run.done;
  expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
  return result;
}

describe('notifications chosen by configuration', () => {
  it('without a topic, every notification of a cleanup sweep is kept locally and nothing reaches SNS', async () => {
    env = await workflowEnv();
    const result = await rejectAll(env.start(sweep('kept-locally'), { topicArn: undefined }));

    const kinds = result.notifications.map((n) => kindOf(n.attributes));
    expect(new Set(kinds)).toEqual(new Set(['owner-notice', 'approval-request', 'sweep-finished', 'digest']));
    expect(result.notifications.find((n) => n.attributes.event === 'owner-notice')?.attributes.owner).toBe(OWNER);
    expect(env.sim.ledger.count({ service: 'sns', operation: 'Publish' })).toBe(0);
  });

  it('with a topic, the same sweep publishes every one of them and keeps none', async () => {
    env = await workflowEnv();
    const result = await rejectAll(env.start(sweep('published')));

    expect(result.notifications).toEqual([]);
    const published = env.sim.ledger.count({ service: 'sns', operation: 'Publish' });
    // One owner notice, one approval request, the report, and one digest per owner (at least one).
    expect(published).toBeGreaterThanOrEqual(4);
  });
});
