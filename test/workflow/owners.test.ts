import { afterEach, describe, expect, it } from 'vitest';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { organizationsAdminStore } from '../../local/sim/services/organizations.ts';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import type { Candidate } from '../../src/core/schemas.ts';
import type { ApprovalRecord } from '../../src/cleanup/approval/store.ts';
import type { LocalSweepOptions } from '../../local/runner/index.ts';
import type { SweepReport } from '../../src/sweep/model.ts';
import { reportText } from '../../src/sweep/text.ts';
import { renderReportHtml } from '../../src/sweep/html.ts';
import {
  APPROVERS,
  TEAM,
  approvalLink,
  decideOnPage,
  endpointArn,
  endpointEvents,
  json,
  liveEndpoints,
  sagemakerAs,
  tagsOf,
  types,
  workflowEnv,
  workflowScenario,
  type WorkflowEnv,
} from './harness.ts';

/**
 * Owners in the loop: each zombie's owner is resolved (an owner tag naming an address, else the
 * account's owner), told before the approvers with a signed veto link, and a veto keeps the endpoint:
 * its zombie tag is removed and nothing deletes it, whether the veto comes during the notice period
 * or while the approvers decide.
 */

const ANA = 'ana@example.com';
const LEAD = 'ml-lead@example.com';

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

/** idle-a is Ana's by its tag; idle-b (team=search, not an address) and idle-c (no tag) fall back to the account's owner. */
async function ownersEnv(): Promise<WorkflowEnv> {
  const scenario = workflowScenario();
  for (const endpoint of scenario.endpoints ?? []) {
    if (endpoint.name === 'idle-a') endpoint.tags = { Owner: ANA };
    if (endpoint.name === 'idle-b') endpoint.tags = { team: 'search' };
  }
  const e = await workflowEnv(scenario);
  const sns = new SNSClient(e.sim.clientConfig());
  for (const owner of [ANA, LEAD]) {
    await sns.send(
      new SubscribeCommand({ TopicArn: e.topicArn, Protocol: 'email', Endpoint: owner, Attributes: { FilterPolicy: JSON.stringify({ owner: [owner] }) } }),
    );
  }
  return e;
}

function vetoLink(e: WorkflowEnv, owner: string, sweepId: string): string {
  const message = snsOutbox(e.sim.world)
    .to(owner)
    .find((m) => m.message.includes(`/approvals/${sweepId}?owner=`));
  const url = message?.message.match(/https?:\/\/\S+\/approvals\/\S+owner=\S+/)?.[0];
  if (!url) throw new Error(`no veto link for ${owner} in sweep ${sweepId}`);
  return url;
}

/** What a browser does: GET the page, press the Keep button of one endpoint (its own form). */
async function veto(url: string, endpoint: string, overrides: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const page = await (await fetch(url)).text();
  const form = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="(owner|expires|sig)" value="([^"]*)"/g))
    if (!form.has(name!)) form.append(name!, value!.replace(/&amp;/g, '&'));
  form.append('action', 'veto');
  form.append('endpoint', endpointArn(TEAM, endpoint));
  for (const [k, v] of Object.entries(overrides)) form.set(k, v);
  const response = await fetch(url.split('?')[0]!, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: response.status, text: await response.text() };
}

const ownerSweep = (sweepId: string, approval: Record<string, unknown> = {}) => ({
  sweepId,
  mode: 'cleanup' as const,
  approval: { approvers: APPROVERS, notifyOwners: true, noticeSeconds: 0, ...approval },
});

describe('owners in the loop', () => {
  it('resolves owners from tags, then the account owner from Organizations; a veto during the notice period keeps the endpoint out of the approval', async () => {
    env = await ownersEnv();
    const e = env;
    organizationsAdminStore(e.sim.world).tagResource(TEAM, { owner: LEAD });
    let scannerSawNothingChange = false;
    // The notice period: the veto happens after NotifyOwners and before the Wait ends (ApplyVetoes).
    const afterHandlerReturned: LocalSweepOptions['afterHandlerReturned'] = async (_fn, event) => {
      if ((event as { step?: string }).step !== 'notify-owners') return;
      const url = vetoLink(e, ANA, 'owners-notice');
      const page = await (await fetch(url)).text();
      expect(page).toContain('idle-a');
      expect(page).not.toContain('idle-b');
      scannerSawNothingChange = (await tagsOf(await sagemakerAs(e.sim, TEAM), TEAM, 'idle-a')).zombie === 'confirmed';
      const vetoed = await veto(url, 'idle-a');
      expect(vetoed.status).toBe(200);
      expect(vetoed.text).toContain('Kept: you vetoed its deletion.');
    };
    const sweep = e.start(ownerSweep('owners-notice', { noticeSeconds: 60 }), {
      afterHandlerReturned,
      waitTimeOverridesMs: { DeleteRecheckWait: 5, OwnerNoticePeriod: 1 },
    });
    await sweep.approvalRequested;

    const candidates = await json<Candidate[]>(e.s3, 'sweeps/owners-notice/candidates.json');
    const ownerOf = Object.fromEntries(candidates.map((c) => [c.endpointName, [c.owner, c.ownerSource]]));
    expect(ownerOf).toEqual({ 'idle-a': [ANA, 'tag'], 'idle-b': [LEAD, 'account'], 'idle-c': [LEAD, 'account'] });
    expect(scannerSawNothingChange).toBe(true);
    const notice = snsOutbox(e.sim.world)
      .to(LEAD)
      .find((m) => m.message.includes('owner='))!;
    expect(notice.message).toContain('idle-b');
    expect(notice.message).toContain('idle-c');
    expect(notice.message).not.toContain('idle-a');

    const record = await json<ApprovalRecord>(e.s3, 'approvals/owners-notice/request.json');
    expect(record.candidates.map((c) => c.endpointName).sort()).toEqual(['idle-b', 'idle-c']);
    expect(await tagsOf(await sagemakerAs(e.sim, TEAM), TEAM, 'idle-a')).not.toHaveProperty('zombie');

    expect((await decideOnPage(approvalLink(e.sim, APPROVERS[0]!, 'owners-notice'), {})).status).toBe(200);
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a']);
    const history = await endpointEvents(e.s3, TEAM, 'idle-a');
    expect(types(history)).toEqual(expect.arrayContaining(['owner-notified', 'vetoed']));
    expect(types(history)).not.toContain('approval-requested');
    const untagged = history.find((ev) => ev.type === 'vetoed' && ev.details?.step === 'untagged')!;
    expect(untagged).toMatchObject({ actor: ANA, tagsBefore: { zombie: 'confirmed' } });
    expect(untagged.tagsAfter).not.toHaveProperty('zombie');

    // The report counts the veto: report.json, its text and its HTML.
    const report = await json<SweepReport>(e.s3, 'sweeps/owners-notice/report.json');
    expect(report.summary.vetoed).toBe(1);
    expect(report.approval?.vetoed).toBe(1);
    expect(report.actions.find((a) => a.endpointName === 'idle-a')).toMatchObject({ decision: 'vetoed' });
    expect(report.summary.skipped.map((k) => k.endpointName)).not.toContain('idle-a');
    expect(reportText(report).body).toContain('Vetoed by owners:    1');
    expect(renderReportHtml(report)).toContain('1 vetoed by its owner (kept)');
  });

  it('a veto while the approvers decide outranks their approval; the configured account owner is told', async () => {
    env = await ownersEnv();
    const e = env;
    const sweep = e.start(ownerSweep('owners-late', { accountOwners: { [TEAM]: LEAD } }));
    await sweep.approvalRequested;
    const vetoed = await veto(vetoLink(e, LEAD, 'owners-late'), 'idle-b');
    expect(vetoed.status).toBe(200);
    // A second press changes nothing more.
    expect((await veto(vetoLink(e, LEAD, 'owners-late'), 'idle-b')).text).toContain('was already kept');

    expect((await decideOnPage(approvalLink(e.sim, APPROVERS[0]!, 'owners-late'), {})).status).toBe(200);
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-b']);
    expect(await tagsOf(await sagemakerAs(e.sim, TEAM), TEAM, 'idle-b')).not.toHaveProperty('zombie');
    expect(types(await endpointEvents(e.s3, TEAM, 'idle-b'))).not.toContain('deleted');
    const report = await json<SweepReport>(e.s3, 'sweeps/owners-late/report.json');
    expect(report.summary).toMatchObject({ vetoed: 1, approved: 2, deleted: 2 });
    expect(report.actions.find((a) => a.endpointName === 'idle-b')).toMatchObject({ decision: 'vetoed' });
  });

  it("a veto link keeps only its owner's endpoints, cannot approve, and a forged one is refused", async () => {
    env = await ownersEnv();
    const e = env;
    const sweep = e.start(ownerSweep('owners-bounds', { accountOwners: { [TEAM]: LEAD } }));
    await sweep.approvalRequested;
    const anas = vetoLink(e, ANA, 'owners-bounds');
    // idle-c is the account owner's, not Ana's.
    expect((await veto(anas, 'idle-c')).status).toBe(400);
    // The owner's signed fields with an approval action: not a decision.
    expect((await veto(anas, 'idle-a', { action: 'approve' })).status).toBe(400);
    const forged = await veto(anas, 'idle-a', { sig: 'A'.repeat(43) });
    expect(forged.status).toBe(403);
    // The same signature presented as an approver's link is not valid either.
    const asApprover = new URL(anas);
    const approverUrl = `${asApprover.origin}${asApprover.pathname}?approver=${encodeURIComponent(ANA)}&expires=${asApprover.searchParams.get('expires')}&sig=${asApprover.searchParams.get('sig')}`;
    expect((await fetch(approverUrl)).status).toBe(403);
    expect(await tagsOf(await sagemakerAs(e.sim, TEAM), TEAM, 'idle-a')).toMatchObject({ zombie: 'confirmed' });

    expect((await decideOnPage(approvalLink(e.sim, APPROVERS[0]!, 'owners-bounds'), { rejectAll: true })).status).toBe(200);
    expect((await sweep.done).status).toBe('SUCCEEDED');
  });

  it("an owner known only by an endpoint tag, without a confirmed subscription, is told through the account's owner, who can keep it", async () => {
    const scenario = workflowScenario();
    for (const endpoint of scenario.endpoints ?? []) if (endpoint.name === 'idle-a') endpoint.tags = { owner: 'new-owner@example.com' };
    env = await workflowEnv(scenario);
    const e = env;
    // Ana, the account's owner, is subscribed (the simulator confirms email subscriptions at once); the tag's address is not.
    await new SNSClient(e.sim.clientConfig()).send(
      new SubscribeCommand({ TopicArn: e.topicArn, Protocol: 'email', Endpoint: ANA, Attributes: { FilterPolicy: JSON.stringify({ owner: [ANA] }) } }),
    );
    const sweep = e.start(ownerSweep('owners-forwarded', { accountOwners: { [TEAM]: ANA } }));
    await sweep.approvalRequested;
    const notified = (name: string) => endpointEvents(e.s3, TEAM, name).then((events) => events.find((ev) => ev.type === 'owner-notified'));
    expect((await notified('idle-a'))?.details).toMatchObject({
      owner: ANA,
      ownerSource: 'account',
      forwardedFrom: 'new-owner@example.com',
      delivery: 'subscribed',
    });
    expect((await notified('idle-b'))?.details).toMatchObject({ owner: ANA, delivery: 'subscribed' });
    expect(snsOutbox(e.sim.world).to('new-owner@example.com')).toEqual([]);
    const anas = snsOutbox(e.sim.world)
      .to(ANA)
      .find((m) => m.message.includes('/approvals/owners-forwarded?owner='));
    expect(anas?.message).toMatch(/idle-a \(account .*owner tag new-owner@example\.com not reachable/);

    // The approvers see who was told about each endpoint.
    const page = await (await fetch(approvalLink(e.sim, APPROVERS[0]!, 'owners-forwarded'))).text();
    expect(page).toContain('Told ana@example.com (account owner; new-owner@example.com cannot be reached)');

    expect((await veto(vetoLink(e, ANA, 'owners-forwarded'), 'idle-a')).status).toBe(200);
    expect((await decideOnPage(approvalLink(e.sim, APPROVERS[0]!, 'owners-forwarded'), {})).status).toBe(200);
    expect((await sweep.done).status).toBe('SUCCEEDED');
    expect(liveEndpoints(e.sim, TEAM)).toContain('idle-a');
  });

  it('an owner nobody can reach, with no subscribed account owner either, is recorded as not reached', async () => {
    const scenario = workflowScenario();
    for (const endpoint of scenario.endpoints ?? []) if (endpoint.name === 'idle-a') endpoint.tags = { owner: 'new-owner@example.com' };
    env = await workflowEnv(scenario);
    const e = env;
    const sweep = e.start(ownerSweep('owners-unreached', { accountOwners: { [TEAM]: ANA } }));
    await sweep.approvalRequested;
    const notified = (name: string) => endpointEvents(e.s3, TEAM, name).then((events) => events.find((ev) => ev.type === 'owner-notified'));
    expect((await notified('idle-a'))?.details).toMatchObject({ owner: 'new-owner@example.com', ownerSource: 'tag', delivery: 'no-subscription' });
    expect((await notified('idle-a'))?.details).not.toHaveProperty('forwardedFrom');
    expect((await notified('idle-b'))?.details).toMatchObject({ owner: ANA, delivery: 'no-subscription' });
    // The approvers are told that nobody could veto these.
    const page = await (await fetch(approvalLink(e.sim, APPROVERS[0]!, 'owners-unreached'))).text();
    expect(page).toContain('<strong>Owner not told:</strong> new-owner@example.com has no confirmed subscription');
    expect(page).toContain('<strong>Owner not told:</strong> ana@example.com has no confirmed subscription');
  });
});
