import { afterEach, describe, expect, it } from 'vitest';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { ApprovalRecord, GroupDecisionRecord } from '../../src/cleanup/approval/store.ts';
import {
  APPROVERS,
  BUCKET,
  TEAM,
  approvalLink,
  decideOnPage,
  endpointArn,
  endpointEvents,
  json,
  keys,
  liveEndpoints,
  types,
  workflowEnv,
  workflowScenario,
  type WorkflowEnv,
} from './harness.ts';

/**
 * Approver groups with a quorum: idle-a (owner team=search) is decided by the search group, which
 * needs two approvals; the other zombies by the sweep's own approvers (the default group). A link of
 * one group cannot decide the other's endpoints; one rejection keeps an endpoint.
 */

const SEARCH = ['carol@example.com', 'dave@example.com'];
let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function groupsEnv(): Promise<WorkflowEnv> {
  const scenario = workflowScenario();
  for (const endpoint of scenario.endpoints ?? []) if (endpoint.name === 'idle-a') endpoint.tags = { team: 'search' };
  const e = await workflowEnv(scenario);
  const sns = new SNSClient(e.sim.clientConfig());
  for (const a of SEARCH)
    await sns.send(
      new SubscribeCommand({ TopicArn: e.topicArn, Protocol: 'email', Endpoint: a, Attributes: { FilterPolicy: JSON.stringify({ approver: [a] }) } }),
    );
  return e;
}

async function post(url: string, fields: Record<string, string>, endpoints: string[]): Promise<number> {
  const form = new URLSearchParams(fields);
  for (const arn of endpoints) form.append('endpoint', arn);
  return (await fetch(url.split('?')[0]!, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status;
}

describe('approver groups', () => {
  it('routes each endpoint to one group, keeps groups apart, and deletes only with the group quorum; one rejection keeps it', async () => {
    env = await groupsEnv();
    const e = env;
    const groups = [{ name: 'search', approvers: SEARCH, match: { owners: ['Search'] }, requiredApprovals: 2 }];
    const sweep = e.start({ sweepId: 'groups-quorum', mode: 'cleanup', approval: { approvers: APPROVERS, groups } } as never);
    await sweep.approvalRequested;
    const record = await json<ApprovalRecord>(e.s3, 'approvals/groups-quorum/request.json');
    expect(record.groups?.map((g) => [g.name, g.endpoints.map((a) => a.split('/').pop()).sort()])).toEqual([
      ['search', ['idle-a']],
      ['default', ['idle-b', 'idle-c']],
    ]);

    const alice = approvalLink(e.sim, APPROVERS[0]!, 'groups-quorum');
    const alicePage = await (await fetch(alice)).text();
    expect(alicePage).toContain('idle-b');
    expect(alicePage).not.toContain('idle-a');
    const signed = Object.fromEntries(new URL(alice).searchParams);
    // The default group's link cannot decide the search group's endpoint...
    expect(await post(alice, { ...signed, action: 'approve' }, [endpointArn(TEAM, 'idle-a')])).toBe(400);
    // ...nor pass for the search group: the group is signed.
    expect(await post(alice, { ...signed, group: 'search', action: 'approve' }, [endpointArn(TEAM, 'idle-a')])).toBe(403);

    expect((await decideOnPage(alice, {})).status).toBe(200);
    const carol = await decideOnPage(approvalLink(e.sim, SEARCH[0]!, 'groups-quorum'), {});
    expect(carol.text).toContain('Your choice is recorded');
    // One approval of two: nothing is decided yet, for either group.
    expect(await keys(e.s3, 'approvals/groups-quorum/decision.json')).toEqual([]);
    // Carol's link now shows her recorded choice; pressing again counts nothing twice.
    const carolLink = approvalLink(e.sim, SEARCH[0]!, 'groups-quorum');
    expect(await (await fetch(carolLink)).text()).toContain('Your choice is recorded');
    expect(await post(carolLink, { ...Object.fromEntries(new URL(carolLink).searchParams), action: 'approve' }, [endpointArn(TEAM, 'idle-a')])).toBe(409);

    expect((await decideOnPage(approvalLink(e.sim, SEARCH[1]!, 'groups-quorum'), { rejectAll: true })).status).toBe(200);
    const search = await json<GroupDecisionRecord>(e.s3, 'approvals/groups-quorum/groups/search/decision.json');
    expect(search).toMatchObject({ status: 'decided', approved: [], rejected: [endpointArn(TEAM, 'idle-a')] });
    expect(search.approvals.map((v) => v.approver)).toEqual(SEARCH);

    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a']);
    expect(types(await endpointEvents(e.s3, TEAM, 'idle-a'))).toContain('rejected');
  });

  it('deletes a group endpoint once two distinct approvers of its group approved it', async () => {
    env = await groupsEnv();
    const e = env;
    const groups = [{ name: 'search', approvers: SEARCH, match: { accounts: [TEAM] }, requiredApprovals: 2 }];
    const sweep = e.start({ sweepId: 'groups-all', mode: 'cleanup', approval: { approvers: APPROVERS, groups } } as never);
    await sweep.approvalRequested;
    expect((await decideOnPage(approvalLink(e.sim, SEARCH[0]!, 'groups-all'), { keep: ['idle-c'] })).status).toBe(200);
    expect((await decideOnPage(approvalLink(e.sim, SEARCH[1]!, 'groups-all'), {})).status).toBe(200);
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    // idle-c was unticked by carol: a rejection keeps it even though dave approved.
    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-c']);
  });

  it("Delete re-checks the group's own signed record: one altered after the decision keeps its endpoint", async () => {
    env = await groupsEnv();
    const e = env;
    const groups = [{ name: 'search', approvers: SEARCH, match: { accounts: [TEAM] }, requiredApprovals: 2 }];
    const key = 'approvals/groups-altered/groups/search/decision.json';
    // Between ApplyDecision and Delete, someone with write access to the bucket edits the group's record.
    const afterHandlerReturned = async (fn: string) => {
      if (fn !== 'zombie-sweep-apply-decision') return;
      const group = await json<GroupDecisionRecord>(e.s3, key);
      const altered = { ...group, approvals: group.approvals.map((v) => ({ ...v, approver: 'mallory@example.com' })) };
      await e.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(altered), ContentType: 'application/json' }));
    };
    const sweep = e.start({ sweepId: 'groups-altered', mode: 'cleanup', approval: { approvers: APPROVERS, groups } } as never, { afterHandlerReturned });
    await sweep.approvalRequested;
    for (const approver of SEARCH) expect((await decideOnPage(approvalLink(e.sim, approver, 'groups-altered'), {})).status).toBe(200);
    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(e.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a', 'idle-b', 'idle-c']);
    const skipped = (await endpointEvents(e.s3, TEAM, 'idle-a')).find((ev) => ev.type === 'skipped');
    expect(skipped?.reason).toContain('decision record of approver group search is missing, altered or its signature does not verify');
  });

  it('a group naming an OU decides the endpoints of accounts nested below it, not only directly in it', async () => {
    const scenario = workflowScenario();
    // Root > ou-wf12-aaaaaaaa (ml) > ou-wf12-bbbbbbbb (ml-dev) > ml-team account.
    scenario.ous = [
      { id: 'ou-wf12-aaaaaaaa', name: 'ml' },
      { id: 'ou-wf12-bbbbbbbb', name: 'ml-dev', parent: 'ou-wf12-aaaaaaaa' },
    ];
    for (const account of scenario.accounts) if (account.id === TEAM) account.ou = 'ou-wf12-bbbbbbbb';
    env = await workflowEnv(scenario);
    const e = env;
    const sns = new SNSClient(e.sim.clientConfig());
    for (const a of SEARCH)
      await sns.send(
        new SubscribeCommand({ TopicArn: e.topicArn, Protocol: 'email', Endpoint: a, Attributes: { FilterPolicy: JSON.stringify({ approver: [a] }) } }),
      );
    const groups = [{ name: 'ml', approvers: SEARCH, match: { ous: ['ou-wf12-aaaaaaaa'] } }];
    const sweep = e.start({ sweepId: 'groups-nested', mode: 'cleanup', approval: { approvers: APPROVERS, groups } } as never);
    await sweep.approvalRequested;
    const record = await json<ApprovalRecord>(e.s3, 'approvals/groups-nested/request.json');
    expect(record.groups?.map((g) => [g.name, g.endpoints.length])).toEqual([['ml', 3]]);
    expect(record.candidates[0]).toMatchObject({ ouId: 'ou-wf12-bbbbbbbb', ouPath: ['ou-wf12-bbbbbbbb', 'ou-wf12-aaaaaaaa'] });
    // One ListParents per account and per OU on the way up, whatever the number of candidates.
    expect(e.sim.ledger.count({ service: 'organizations', operation: 'ListParents' })).toBe(3);
    expect((await decideOnPage(approvalLink(e.sim, SEARCH[0]!, 'groups-nested'), { rejectAll: true })).status).toBe(200);
    expect((await sweep.done).status).toBe('SUCCEEDED');
  });
});
