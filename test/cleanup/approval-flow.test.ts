import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import { layout } from '../../src/core/layout.ts';
import { requestApproval } from '../../src/cleanup/approval/request.ts';
import { createHandler } from '../../functions/request-approval/handler.ts';
import { signLink, approvalUrl } from '../../src/cleanup/approval/links.ts';
import { DecisionRecordSchema, ApprovalRecordSchema, type ApprovalCandidate } from '../../src/cleanup/approval/store.ts';
import { APPROVERS, MEMBER, REGION, auditEvents, readObject, startCleanupEnv, type CleanupEnv } from './actions-fixtures.ts';

let env: CleanupEnv;
let sweepCounter = 0;

beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

function candidates(sweepId: string, names: string[]): ApprovalCandidate[] {
  return names.map((name, i) => ({
    sweepId,
    accountId: MEMBER,
    region: REGION,
    endpointName: name,
    endpointArn: `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/${name}`,
    endpointType: 'real-time',
    instanceType: 'ml.g4dn.xlarge',
    instanceCount: 1,
    monthlyCostUsd: 100 + i,
    idleSince: '2026-01-01',
    detectedAt: env.clock.now().toISOString(),
  }));
}

/** A fresh sweep waiting for approval: its task token, candidates and the links mailed to each approver. */
async function requested(names = ['ep-a', 'ep-b', 'ep-c']) {
  const sweepId = `sweep-approval-${++sweepCounter}`;
  const taskToken = env.tokens.create(`arn:aws:states:${REGION}:111111111111:execution:sweep:${sweepId}`, 'RequestApproval');
  const list = candidates(sweepId, names);
  const before = snsOutbox(env.world).messages.length;
  const result = await createHandler(env.deps)({
    taskToken,
    sweepId,
    candidates: list,
    approvers: APPROVERS,
    timeoutSeconds: 3600,
    requestedBy: 'platform-team',
  });
  const mails = snsOutbox(env.world).messages.slice(before);
  const linkOf = (approver: string) => {
    const mail = mails.find((m) => m.endpoint === approver);
    return /(http:\/\/\S+\/approvals\/\S+)/.exec(mail?.message ?? '')![1]!;
  };
  return { sweepId, taskToken, list, result, mails, linkOf };
}

function signedFields(link: string): { approver: string; expires: string; sig: string } {
  const url = new URL(link);
  return { approver: url.searchParams.get('approver')!, expires: url.searchParams.get('expires')!, sig: url.searchParams.get('sig')! };
}

async function post(link: string, fields: Record<string, string>, endpoints: string[], headers: Record<string, string> = {}) {
  const body = new URLSearchParams(fields);
  for (const arn of endpoints) body.append('endpoint', arn);
  const response = await fetch(link.split('?')[0]!, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: env.sim.url, 'sec-fetch-site': 'same-origin', ...headers },
  });
  return { status: response.status, html: await response.text() };
}

const decisionOf = async (sweepId: string) => {
  const text = await readObject(env.s3, layout.decision(sweepId));
  return text === undefined ? undefined : DecisionRecordSchema.parse(JSON.parse(text));
};
const sendCount = () => env.sim.ledger.count({ service: 'states', operation: 'SendTaskSuccess' });

describe('approval request', () => {
  it('stores one record and mails each approver a link signed for them only', async () => {
    const { sweepId, mails, linkOf, result, list } = await requested();
    expect(result).toMatchObject({ status: 'requested', candidates: 3, approvers: 2 });
    expect(mails.map((m) => m.endpoint).sort()).toEqual(APPROVERS);
    const alice = mails.find((m) => m.endpoint === 'alice@example.com')!;
    expect(alice.subject).toBe('zombie-sweep: 3 idle SageMaker endpoints, $303.00/month: decision needed');
    expect(alice.attributes.approver).toEqual({ Type: 'String', Value: 'alice@example.com' });
    expect(signedFields(linkOf('alice@example.com')).approver).toBe('alice@example.com');
    expect(signedFields(linkOf('bob@example.com')).approver).toBe('bob@example.com');

    const record = ApprovalRecordSchema.parse(JSON.parse((await readObject(env.s3, layout.approval(sweepId)))!));
    expect(record.candidates.map((c) => c.manifestUri)).toEqual(
      list.map((c) => `s3://zombie-sweep-archive/manifests/${MEMBER}/${REGION}/${c.endpointName}/${sweepId}.json`),
    );
    expect(record.notifiedAt).toBeDefined();

    const events = await auditEvents(env.s3);
    const requestedEvents = events.filter((e) => e.type === 'approval-requested' && e.sweepId === sweepId);
    expect(requestedEvents.map((e) => e.endpointName ?? '(sweep)').sort()).toEqual(['(sweep)', 'ep-a', 'ep-b', 'ep-c']);
  });

  it('does not mail twice when the same request is retried', async () => {
    const { sweepId, taskToken, list } = await requested(['ep-retry']);
    const before = snsOutbox(env.world).messages.length;
    const again = await requestApproval(env.deps, { taskToken, sweepId, candidates: list, approvers: APPROVERS, timeoutSeconds: 3600 });
    expect(again.status).toBe('already-requested');
    expect(snsOutbox(env.world).messages.length).toBe(before);
  });

  it('names the field when the input is wrong', async () => {
    await expect(requestApproval(env.deps, { taskToken: 't', sweepId: 'sweep-x', candidates: [], approvers: ['not-an-email'] })).rejects.toMatchObject({
      name: 'InputValidationError',
      field: 'approvers.0',
    });
  });
});

describe('approval page', () => {
  it('GET renders the candidates and changes nothing', async () => {
    const { sweepId, linkOf } = await requested();
    const writesBefore = env.sim.ledger
      .filter({ service: 's3' })
      .filter((e) => e.operation !== 'GetObject' && e.operation !== 'HeadObject' && e.operation !== 'ListObjectsV2').length;
    const sendsBefore = sendCount();
    for (let i = 0; i < 3; i++) {
      const response = await fetch(linkOf('alice@example.com'));
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await response.text();
      expect(html).toContain('ep-a');
      expect(html.match(/ checked>/g)).toHaveLength(3);
    }
    const writesAfter = env.sim.ledger
      .filter({ service: 's3' })
      .filter((e) => e.operation !== 'GetObject' && e.operation !== 'HeadObject' && e.operation !== 'ListObjectsV2').length;
    expect(writesAfter).toBe(writesBefore);
    expect(sendCount()).toBe(sendsBefore);
    expect(await decisionOf(sweepId)).toBeUndefined();
  });

  it('a partial approval sends the ticked endpoints as approved and the rest as rejected, once', async () => {
    const { sweepId, taskToken, list, linkOf } = await requested();
    const link = linkOf('alice@example.com');
    const { status, html } = await post(link, { ...signedFields(link), action: 'approve' }, [list[0]!.endpointArn, list[2]!.endpointArn]);
    expect(status).toBe(200);
    expect(html).toContain('You approved deletion of 2 endpoints; 1 endpoint is kept.');
    const output = await env.tokens.wait(taskToken, 1000);
    // The workflow gets only a reference to the signed record: the decision itself stays in the archive.
    expect(output).toEqual({ decisionKey: layout.decision(sweepId), decisionMac: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(await decisionOf(sweepId)).toMatchObject({
      status: 'delivered',
      approver: 'alice@example.com',
      source: 'approval-page',
      approved: [list[0]!.endpointArn, list[2]!.endpointArn],
      rejected: [list[1]!.endpointArn],
      mac: (output as { decisionMac: string }).decisionMac,
    });
    const sweepEvents = (await auditEvents(env.s3, layout.sweepAuditPrefix(sweepId))).filter((e) => e.type === 'approved');
    expect(sweepEvents).toHaveLength(1);
    expect(sweepEvents[0]!.actor).toBe('alice@example.com');
  });

  it('a second submission, by anyone, shows who decided and changes nothing', async () => {
    const { sweepId, list, linkOf } = await requested();
    const alice = linkOf('alice@example.com');
    expect((await post(alice, { ...signedFields(alice), action: 'approve' }, [list[0]!.endpointArn])).status).toBe(200);
    const sends = sendCount();
    const bob = linkOf('bob@example.com');
    const second = await post(bob, { ...signedFields(bob), action: 'reject-all' }, []);
    expect(second.status).toBe(409);
    expect(second.html).toContain('alice@example.com decided at');
    const replay = await post(
      alice,
      { ...signedFields(alice), action: 'approve' },
      list.map((c) => c.endpointArn),
    );
    expect(replay.status).toBe(409);
    expect(sendCount()).toBe(sends);
    expect((await decisionOf(sweepId))!.approved).toEqual([list[0]!.endpointArn]);
    const get = await fetch(bob);
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('alice@example.com decided at');
  });

  it('reject-all is a decision: nothing approved, everything rejected', async () => {
    const { sweepId, taskToken, list, linkOf } = await requested();
    const link = linkOf('bob@example.com');
    expect(
      (
        await post(
          link,
          { ...signedFields(link), action: 'reject-all' },
          list.map((c) => c.endpointArn),
        )
      ).status,
    ).toBe(200);
    expect(await env.tokens.wait(taskToken, 1000)).toMatchObject({ decisionKey: layout.decision(sweepId) });
    expect(await decisionOf(sweepId)).toMatchObject({ approver: 'bob@example.com', approved: [], rejected: list.map((c) => c.endpointArn) });
  });

  it('approving with nothing ticked asks again instead of deciding', async () => {
    const { sweepId, linkOf } = await requested();
    const link = linkOf('alice@example.com');
    const response = await post(link, { ...signedFields(link), action: 'approve' }, []);
    expect(response.status).toBe(400);
    expect(await decisionOf(sweepId)).toBeUndefined();
  });

  it('over-long or non-canonical link fields get 400 (never 500) and decide nothing', async () => {
    const { sweepId, list, linkOf } = await requested();
    const link = linkOf('alice@example.com');
    const fields = signedFields(link);
    const cases = [
      { ...fields, approver: `${'a'.repeat(5000)}@example.com` },
      { ...fields, expires: `0${fields.expires}` },
      { ...fields, expires: `${fields.expires}.0` },
      { ...fields, sig: `${fields.sig}=` },
    ];
    for (const bad of cases) {
      expect((await post(link, { ...bad, action: 'approve' }, [list[0]!.endpointArn])).status).toBe(400);
      expect((await fetch(`${link.split('?')[0]}?${new URLSearchParams(bad).toString()}`)).status).toBe(400);
    }
    expect(await decisionOf(sweepId)).toBeUndefined();
  });

  it('forged and tampered links get 403 and decide nothing', async () => {
    const { sweepId, list, linkOf } = await requested();
    const link = linkOf('alice@example.com');
    const fields = signedFields(link);
    const flipped = Buffer.from(fields.sig, 'base64url');
    flipped[5] = flipped[5]! ^ 0xff;
    const forged = { ...fields, sig: flipped.toString('base64url') };
    const tampered = { ...fields, approver: 'mallory@example.com' };
    const getForged = await fetch(`${link.split('?')[0]}?${new URLSearchParams(forged)}`);
    expect(getForged.status).toBe(403);
    expect(await getForged.text()).toContain('This link is not valid');
    expect((await post(link, { ...forged, action: 'approve' }, [list[0]!.endpointArn])).status).toBe(403);
    expect((await post(link, { ...tampered, action: 'approve' }, [list[0]!.endpointArn])).status).toBe(403);
    expect((await post(link, { action: 'approve' }, [list[0]!.endpointArn])).status).toBe(403);
    expect(await decisionOf(sweepId)).toBeUndefined();
  });

  it('replayed links (another sweep, an earlier request) get 403; a genuine link for an unknown sweep gets 404', async () => {
    const first = await requested();
    const second = await requested();
    const fromFirst = signedFields(first.linkOf('alice@example.com'));
    const onSecond = await fetch(`${env.sim.url}/approvals/${second.sweepId}?${new URLSearchParams(fromFirst)}`);
    expect(onSecond.status).toBe(403);

    const earlier = await signLink(env.deps.signer, second.sweepId, 'alice@example.com', Number(signedFields(second.linkOf('alice@example.com')).expires) - 60);
    expect((await fetch(approvalUrl(env.sim.url, second.sweepId, earlier))).status).toBe(403);

    const unknown = await signLink(env.deps.signer, 'sweep-never-requested', 'alice@example.com', Number(fromFirst.expires));
    const notFound = await fetch(approvalUrl(env.sim.url, 'sweep-never-requested', unknown));
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).toContain('Unknown sweep');
  });

  it('expired links get 403 and say so', async () => {
    const { sweepId, list, linkOf } = await requested();
    const link = linkOf('alice@example.com');
    env.clock.advance(3601_000);
    try {
      const response = await fetch(link);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('This link has expired');
      expect((await post(link, { ...signedFields(link), action: 'approve' }, [list[0]!.endpointArn])).status).toBe(403);
    } finally {
      env.clock.advance(-3601_000);
    }
    expect(await decisionOf(sweepId)).toBeUndefined();
  });

  it('refuses cross-site posts even with a valid link', async () => {
    const { sweepId, list, linkOf } = await requested();
    const link = linkOf('alice@example.com');
    const response = await post(link, { ...signedFields(link), action: 'approve' }, [list[0]!.endpointArn], {
      origin: 'https://evil.example.net',
      'sec-fetch-site': 'cross-site',
    });
    expect(response.status).toBe(403);
    expect(await decisionOf(sweepId)).toBeUndefined();
  });

  it('a token Step Functions no longer accepts gets 410 and the record approves nothing', async () => {
    const { sweepId, list, linkOf } = await requested();
    env.tokens.closeExecution(`arn:aws:states:${REGION}:111111111111:execution:sweep:${sweepId}`);
    const link = linkOf('alice@example.com');
    const response = await post(link, { ...signedFields(link), action: 'approve' }, [list[0]!.endpointArn]);
    expect(response.status).toBe(410);
    expect(response.html).toContain('nothing will be deleted');
    const decision = await decisionOf(sweepId);
    expect(decision).toMatchObject({ status: 'window-closed', approved: [], rejected: [], requested: { approved: [list[0]!.endpointArn] } });
    const expired = (await auditEvents(env.s3, layout.sweepAuditPrefix(sweepId))).filter((e) => e.type === 'expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]!.reason).toContain('TaskTimedOut');
  });

  it('a token Step Functions does not know (TaskDoesNotExist) also closes the window', async () => {
    const sweepId = `sweep-approval-${++sweepCounter}`;
    const list = candidates(sweepId, ['ep-x']);
    const before = snsOutbox(env.world).messages.length;
    await requestApproval(env.deps, { taskToken: 'AQnever-issued-token', sweepId, candidates: list, approvers: APPROVERS, timeoutSeconds: 3600 });
    const mail = snsOutbox(env.world)
      .messages.slice(before)
      .find((m) => m.endpoint === 'bob@example.com')!;
    const link = /(http:\/\/\S+)/.exec(mail.message)![1]!;
    const response = await post(link, { ...signedFields(link), action: 'approve' }, [list[0]!.endpointArn]);
    expect(response.status).toBe(410);
    expect(await decisionOf(sweepId)).toMatchObject({ status: 'window-closed', approved: [], closedReason: expect.stringContaining('TaskDoesNotExist') });
  });

  it('a decision that could not be delivered is kept pending and re-sent as recorded', async () => {
    const { sweepId, taskToken, list, linkOf } = await requested();
    const fault = env.sim.traffic.inject({
      service: 'states',
      operation: 'SendTaskSuccess',
      times: 1,
      error: { code: 'ServiceUnavailable', message: 'try later', status: 503 },
    });
    const noRetries = env.depsWith({ maxAttempts: 1 });
    const { handleApprovalHttp } = await import('../../src/cleanup/approval/web.ts');
    const link = linkOf('alice@example.com');
    const body = new URLSearchParams({ ...signedFields(link), action: 'approve', endpoint: list[1]!.endpointArn }).toString();
    const event = {
      httpMethod: 'POST',
      path: `/approvals/${sweepId}`,
      pathParameters: { sweepId },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      isBase64Encoded: false,
    } as never;
    const first = await handleApprovalHttp(noRetries, event);
    env.sim.traffic.remove(fault);
    expect(first.statusCode).toBe(503);
    expect(await decisionOf(sweepId)).toMatchObject({ status: 'pending', approved: [list[1]!.endpointArn] });
    const retry = await handleApprovalHttp(noRetries, {
      ...(event as object),
      body: new URLSearchParams({ ...signedFields(link), action: 'retry' }).toString(),
    } as never);
    expect(retry.statusCode).toBe(200);
    expect(await env.tokens.wait(taskToken, 1000)).toMatchObject({ decisionKey: layout.decision(sweepId) });
    expect(await decisionOf(sweepId)).toMatchObject({ status: 'delivered', approved: [list[1]!.endpointArn] });
  });

  it('answers unknown paths and methods with pages, never a stack trace', async () => {
    expect((await fetch(`${env.sim.url}/approvals/`)).status).toBe(404);
    const put = await fetch(`${env.sim.url}/approvals/sweep-1`, { method: 'PUT' });
    expect(put.status).toBe(405);
    const bad = await fetch(`${env.sim.url}/approvals/..%2F..`);
    expect(bad.status).toBe(404);
    expect(await bad.text()).not.toMatch(/at .*\.ts:\d+/);
  });
});
