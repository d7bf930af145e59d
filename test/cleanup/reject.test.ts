import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { layout } from '../../src/core/layout.ts';
import { DAY_MS, isoDate } from '../../src/core/clock.ts';
import { DecisionRefSchema, signDecision } from '../../src/cleanup/approval/signature.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { requestApproval } from '../../src/cleanup/approval/request.ts';
import { decide } from '../../src/cleanup/approval/decide.ts';
import { DecisionRecordSchema, readApprovalRecord, taskOutput, writeJson } from '../../src/cleanup/approval/store.ts';
import { applyDecision } from '../../src/cleanup/decision.ts';
import { createHandler } from '../../functions/apply-decision/handler.ts';
import {
  APPROVERS,
  BUCKET,
  MEMBER,
  REGION,
  auditEvents,
  candidateFor,
  putManifest,
  readObject,
  seedEndpoint,
  startCleanupEnv,
  type CleanupEnv,
} from './actions-fixtures.ts';

let env: CleanupEnv;
let counter = 0;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const tagsOf = (arn: string) => sagemakerStore(env.world, MEMBER, REGION).tagsOf(arn);
const addTagsCalls = () => env.sim.ledger.count({ service: 'sagemaker', operation: 'AddTags', accountId: MEMBER });

/** Three tagged zombies of a fresh sweep, waiting for approval. */
async function waitingSweep(rejectExemptDays = 90) {
  const sweepId = `sweep-reject-${++counter}`;
  const seeded = ['a', 'b', 'c'].map((s) => seedEndpoint(env.world, `${sweepId}-${s}`, 'real-time'));
  const tagged = [];
  for (const s of seeded) {
    await putManifest(env.s3, sweepId, s.name);
    tagged.push(await tagEndpoint(env.deps, { candidate: candidateFor(s, sweepId, env.clock.now()), requestedBy: 'platform-team' }));
  }
  const taskToken = env.tokens.create(`arn:aws:states:${REGION}:111111111111:execution:sweep:${sweepId}`, 'RequestApproval');
  // Tag results go straight in: only tagged ones become candidates.
  await requestApproval(env.deps, {
    taskToken,
    sweepId,
    candidates: tagged,
    approvers: APPROVERS,
    timeoutSeconds: 3600,
    requestedBy: 'platform-team',
    rejectExemptDays,
  });
  const record = (await readApprovalRecord(env.s3, 'zombie-sweep-archive', sweepId))!;
  return { sweepId, seeded, taskToken, record };
}

/** Decides through the approval page's domain code and returns what the workflow received. */
async function decided(sweep: Awaited<ReturnType<typeof waitingSweep>>, approved: string[], approver = 'alice@example.com') {
  const outcome = await decide(env.deps, sweep.record, approver, approved.length > 0 ? 'approve' : 'reject-all', approved);
  expect(outcome.kind).toBe('decided');
  return DecisionRefSchema.parse(await env.tokens.wait(sweep.taskToken, 1000));
}

const recordOf = async (sweepId: string) => DecisionRecordSchema.parse(JSON.parse((await readObject(env.s3, layout.decision(sweepId)))!));
const anomaliesOf = async (sweepId: string) => (await auditEvents(env.s3, layout.sweepAuditPrefix(sweepId))).filter((e) => e.type === 'anomaly');

describe('apply decision', () => {
  it('tags rejected endpoints zombie=rejected with an exemption, approved ones with who approved, and lists only approved ones for deletion', async () => {
    const sweep = await waitingSweep();
    const [a, b, c] = sweep.seeded as [(typeof sweep.seeded)[0], (typeof sweep.seeded)[0], (typeof sweep.seeded)[0]];
    const decision = await decided(sweep, [a.arn]);

    const result = await createHandler(env.deps)({ sweepId: sweep.sweepId, decision });

    expect(result).toMatchObject({
      outcome: 'applied',
      count: 1,
      approved: 1,
      rejected: 2,
      undecided: 0,
      failures: [],
      deletionsKey: layout.sweepFile(sweep.sweepId, 'deletions.json'),
    });
    const { decidedAt } = await recordOf(sweep.sweepId);
    const exemptUntil = isoDate(new Date(Date.parse(decidedAt) + 90 * DAY_MS));
    for (const kept of [b, c])
      expect(tagsOf(kept.arn)).toMatchObject({ zombie: 'rejected', 'zombie-exempt-until': exemptUntil, 'zombie-sweep-id': sweep.sweepId });
    expect(tagsOf(a.arn)).toMatchObject({ zombie: 'confirmed', 'zombie-approved-by': 'alice@example.com', 'zombie-approved-at': decidedAt });

    const deletions = JSON.parse((await readObject(env.s3, result.deletionsKey))!);
    expect(deletions).toEqual([
      { candidate: expect.objectContaining({ endpointArn: a.arn, manifestUri: expect.stringContaining(`/${a.name}/`) }), action: 'delete' },
    ]);

    const rejectedEvent = (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, b.name))).find((e) => e.type === 'rejected')!;
    expect(rejectedEvent).toMatchObject({
      actor: 'alice@example.com',
      sweepId: sweep.sweepId,
      tagsBefore: { zombie: 'confirmed' },
      tagsAfter: { zombie: 'rejected', 'zombie-exempt-until': exemptUntil },
    });
    const approvedEvent = (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, a.name))).find((e) => e.type === 'approved')!;
    expect(approvedEvent).toMatchObject({ actor: 'alice@example.com', tagsAfter: { 'zombie-approved-by': 'alice@example.com' } });
  });

  it('is idempotent: applying the same decision again changes no tag and writes no event', async () => {
    const sweep = await waitingSweep();
    const decision = await decided(sweep, [sweep.seeded[0]!.arn]);
    await applyDecision(env.deps, { sweepId: sweep.sweepId, decision });
    const calls = addTagsCalls();
    const events = (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, sweep.seeded[1]!.name))).length;
    await applyDecision(env.deps, { sweepId: sweep.sweepId, decision });
    expect(addTagsCalls()).toBe(calls);
    expect((await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, sweep.seeded[1]!.name))).length).toBe(events);
  });

  it('reject-all keeps every endpoint for the configured exemption and deletes nothing', async () => {
    const sweep = await waitingSweep(30);
    const decision = await decided(sweep, [], 'bob@example.com');
    const result = await applyDecision(env.deps, { sweepId: sweep.sweepId, decision });
    expect(result).toMatchObject({ count: 0, rejected: 3 });
    const exemptUntil = isoDate(new Date(Date.parse((await recordOf(sweep.sweepId)).decidedAt) + 30 * DAY_MS));
    for (const s of sweep.seeded) expect(tagsOf(s.arn)).toMatchObject({ zombie: 'rejected', 'zombie-exempt-until': exemptUntil });
    expect(JSON.parse((await readObject(env.s3, result.deletionsKey))!)).toEqual([]);
  });

  it('refuses a task output that is not the signed record, and a record altered after signing: nothing tagged, an anomaly audited', async () => {
    const sweep = await waitingSweep();
    const decision = await decided(sweep, [sweep.seeded[0]!.arn]);
    const calls = addTagsCalls();
    // Someone with SendTaskSuccess completes the task with a full decision instead of a reference.
    const forgedOutput = { approver: 'mallory@example.com', decidedAt: env.clock.now().toISOString(), approved: sweep.seeded.map((s) => s.arn), rejected: [] };
    const refused = await applyDecision(env.deps, { sweepId: sweep.sweepId, decision: forgedOutput });
    expect(refused).toMatchObject({ outcome: 'anomaly', count: 0 });
    expect(JSON.parse((await readObject(env.s3, refused.deletionsKey))!)).toEqual([]);
    // Someone with write access to the archive rewrites the signed record to approve everything.
    const record = await recordOf(sweep.sweepId);
    await writeJson(env.s3, BUCKET, layout.decision(sweep.sweepId), { ...record, approved: sweep.seeded.map((s) => s.arn), rejected: [] });
    const altered = await applyDecision(env.deps, { sweepId: sweep.sweepId, decision });
    expect(altered).toMatchObject({ outcome: 'anomaly', count: 0, reason: expect.stringMatching(/does not verify|MAC differs/) });
    expect(addTagsCalls()).toBe(calls);
    const reasons = (await anomaliesOf(sweep.sweepId)).map((e) => e.reason);
    expect(reasons).toHaveLength(2);
    expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/not a decision reference/), expect.stringMatching(/does not verify|MAC differs/)]));
  });

  it('ignores endpoints the decision names that were never candidates', async () => {
    const sweep = await waitingSweep();
    const stranger = `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/not-a-candidate`;
    const autoApproved = await signDecision(env.deps.decisionSigner!, {
      version: 1,
      sweepId: sweep.sweepId,
      approver: 'auto-approve',
      decidedAt: env.clock.now().toISOString(),
      action: 'approve',
      approved: [sweep.seeded[0]!.arn, stranger],
      rejected: [],
      status: 'pending',
      source: 'auto-approve',
    });
    await writeJson(env.s3, BUCKET, layout.decision(sweep.sweepId), autoApproved);
    const result = await applyDecision(env.deps, { sweepId: sweep.sweepId, decision: taskOutput(autoApproved) });
    expect(result).toMatchObject({ outcome: 'applied', autoApproved: true, count: 1, approved: 1, rejected: 0, undecided: 2 });
    expect(JSON.parse((await readObject(env.s3, result.deletionsKey))!).map((d: { candidate: { endpointArn: string } }) => d.candidate.endpointArn)).toEqual([
      sweep.seeded[0]!.arn,
    ]);
    expect(JSON.parse((await readObject(env.s3, layout.decision(sweep.sweepId)))!)).toMatchObject({ status: 'delivered', source: 'auto-approve' });
    expect(tagsOf(sweep.seeded[0]!.arn)).toMatchObject({ 'zombie-approved-by': 'auto-approve' });
    // Undecided endpoints are neither exempted nor deleted.
    expect(tagsOf(sweep.seeded[1]!.arn)).toMatchObject({ zombie: 'confirmed' });
  });

  it('an expired approval records expired events, closes the decision and deletes nothing', async () => {
    const sweep = await waitingSweep();
    const calls = addTagsCalls();
    const result = await applyDecision(env.deps, { sweepId: sweep.sweepId, expired: true });
    expect(result).toMatchObject({ outcome: 'expired', count: 0 });
    expect(addTagsCalls()).toBe(calls);
    expect(JSON.parse((await readObject(env.s3, result.deletionsKey))!)).toEqual([]);
    expect(JSON.parse((await readObject(env.s3, layout.decision(sweep.sweepId)))!)).toMatchObject({ status: 'window-closed', source: 'timeout', approved: [] });
    for (const s of sweep.seeded) {
      const events = await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, s.name));
      expect(events.filter((e) => e.type === 'expired')).toHaveLength(1);
      expect(tagsOf(s.arn)).toMatchObject({ zombie: 'confirmed' });
    }
    // A late click finds the sweep closed.
    const late = await decide(env.deps, sweep.record, 'alice@example.com', 'approve', [sweep.seeded[0]!.arn]);
    expect(late.kind).toBe('already-decided');
  });

  it("retags the rejected endpoint's marked components, config and models zombie=rejected, and leaves the approved one's marked", async () => {
    const sweepId = `sweep-reject-${++counter}`;
    const deletion = { deleteEndpointConfig: true, deleteModels: true };
    const kept = seedEndpoint(env.world, `${sweepId}-kept`, 'inference-components');
    const keptConfig = seedEndpoint(env.world, `${sweepId}-cfg`, 'real-time');
    const gone = seedEndpoint(env.world, `${sweepId}-gone`, 'inference-components');
    const tagged = [];
    for (const [s, kind] of [
      [kept, 'inference-components'],
      [keptConfig, 'real-time'],
      [gone, 'inference-components'],
    ] as const) {
      await putManifest(env.s3, sweepId, s.name);
      tagged.push(await tagEndpoint(env.deps, { candidate: candidateFor(s, sweepId, env.clock.now(), kind), deletion }));
    }
    const taskToken = env.tokens.create(`arn:aws:states:${REGION}:111111111111:execution:sweep:${sweepId}`, 'RequestApproval');
    await requestApproval(env.deps, { taskToken, sweepId, candidates: tagged, approvers: APPROVERS, timeoutSeconds: 3600 });
    const record = (await readApprovalRecord(env.s3, 'zombie-sweep-archive', sweepId))!;
    const decision = await decided({ sweepId, seeded: [kept, keptConfig, gone], taskToken, record }, [gone.arn]);

    await applyDecision(env.deps, { sweepId, decision });

    const arn = (kind: string, name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:${kind}/${name.toLowerCase()}`;
    const rejectedChildren = [
      ...kept.components.map((c) => arn('inference-component', c)),
      arn('endpoint-config', kept.configName),
      arn('endpoint-config', keptConfig.configName),
      arn('model', keptConfig.models[0]!),
    ];
    for (const child of rejectedChildren) expect(tagsOf(child)).toEqual({ zombie: 'rejected', 'zombie-sweep-id': sweepId });
    for (const c of gone.components) expect(tagsOf(arn('inference-component', c))).toEqual({ zombie: 'confirmed', 'zombie-sweep-id': sweepId });
    const event = (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, kept.name))).find((e) => e.type === 'rejected')!;
    expect(event.details!.children).toEqual([
      ...kept.components.map((name) => ({ kind: 'inference-component', name, arn: arn('inference-component', name), status: 'tagged' })),
      { kind: 'endpoint-config', name: kept.configName, arn: arn('endpoint-config', kept.configName), status: 'tagged' },
    ]);

    // Applying again (a retried step) writes nothing more.
    const calls = addTagsCalls();
    await applyDecision(env.deps, { sweepId, decision });
    expect(addTagsCalls()).toBe(calls);
  });

  it('names the field of a bad input', async () => {
    await expect(applyDecision(env.deps, { sweepId: 'sweep-x' })).rejects.toMatchObject({ name: 'InputValidationError', field: 'decision' });
  });
});
