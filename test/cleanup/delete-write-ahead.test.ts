import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { scalingStore } from '../../local/sim/services/autoscaling.ts';
import { unresolvedIntents, type AuditEvent } from '../../src/audit/events.ts';
import { formatTimeline } from '../../src/audit/query.ts';
import { layout } from '../../src/core/layout.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { deleteEndpoint, type DeleteResult } from '../../src/cleanup/delete.ts';
import {
  MEMBER,
  REGION,
  auditEvents,
  candidateFor,
  putManifest,
  recordApproval,
  seedEndpoint,
  startCleanupEnv,
  type CleanupEnv,
  type EndpointKind,
} from './actions-fixtures.ts';

/**
 * Write-ahead audit of the delete step: a failure at ANY S3 write or ANY destructive SageMaker or
 * Application Auto Scaling call (a crash, S3 answering 503) must never leave something deleted that
 * no event names. The retry (the workflow's Retry) then finishes the deletion and records it as this
 * sweep's, never as "deleted outside this step".
 */

let env: CleanupEnv;
let counter = 0;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const sm = () => sagemakerStore(env.world, MEMBER, REGION);
const HOUR = 3_600_000;
const DELETION = { deleteEndpointConfig: true, deleteModels: true };
/** Every call of the delete step whose failure could separate a change from its record. */
const WATCHED = new Set(['PutObject', 'DeleteInferenceComponent', 'DeleteEndpoint', 'DeleteEndpointConfig', 'DeleteModel', 'DeregisterScalableTarget']);

async function approvedZombie(kind: EndpointKind) {
  const sweepId = `sweep-wal-${++counter}`;
  const seeded = seedEndpoint(env.world, `wal-${counter}-${kind}`, kind);
  const scaling = scalingStore(env.world, MEMBER, REGION);
  for (const variant of seeded.variants)
    scaling.register({
      ServiceNamespace: 'sagemaker',
      ResourceId: `endpoint/${seeded.name}/variant/${variant}`,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
  for (const ic of seeded.components)
    scaling.register({
      ServiceNamespace: 'sagemaker',
      ResourceId: `inference-component/${ic}`,
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      MinCapacity: 1,
      MaxCapacity: 3,
    });
  const candidate = candidateFor(seeded, sweepId, new Date(env.clock.now().getTime() - 48 * HOUR), kind);
  await putManifest(env.s3, sweepId, seeded.name);
  await tagEndpoint(env.deps, { candidate, requestedBy: 'platform-team', deletion: DELETION });
  await recordApproval(env, sweepId, { approved: [seeded.arn] });
  return { sweepId, seeded, candidate };
}

const historyOf = async (name: string, sweepId: string) =>
  (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, name))).filter((e) => e.sweepId === sweepId);
const names = (events: AuditEvent[], key: 'resources' | 'inferenceComponentsDeleted') =>
  events.flatMap((e) => (Array.isArray(e.details?.[key]) ? (e.details[key] as string[]) : []));

/** What is gone must be named by an event: the endpoint by `deleted` or its intent, each child by an intent or an outcome. */
async function expectEverythingGoneIsNamed(seeded: Awaited<ReturnType<typeof approvedZombie>>['seeded'], sweepId: string, where: string) {
  const history = await historyOf(seeded.name, sweepId);
  const intents = history.filter((e) => e.type === 'intent');
  if (!sm().getEndpoint(seeded.name)) {
    const named = history.some((e) => e.type === 'deleted') || intents.some((e) => e.details?.action === 'delete-endpoint');
    expect(named, `${where}: endpoint ${seeded.name} is gone without a deleted or intent event`).toBe(true);
  }
  for (const ic of seeded.components) {
    if (sm().getInferenceComponent(ic)?.status === 'InService') continue;
    expect([...names(intents, 'resources'), ...names(history, 'inferenceComponentsDeleted')], `${where}: component ${ic}`).toContain(ic);
  }
  const scaling = scalingStore(env.world, MEMBER, REGION);
  const registered = new Set(scaling.describe({ serviceNamespace: 'sagemaker' }).map((t) => t.ResourceId));
  const targetIds = [...seeded.variants.map((v) => `endpoint/${seeded.name}/variant/${v}`), ...seeded.components.map((ic) => `inference-component/${ic}`)];
  for (const id of targetIds)
    if (!registered.has(id))
      expect(
        names(intents, 'resources').some((r) => r.startsWith(`${id} `)),
        `${where}: scaling target ${id}`,
      ).toBe(true);
  for (const model of seeded.models)
    if (!sm().state.models.has(model.toLowerCase()) && seeded.components.length === 0)
      expect(names(intents, 'resources'), `${where}: model ${model}`).toContain(model);
  if (!sm().state.endpointConfigs.has(seeded.configName.toLowerCase()))
    expect(names(intents, 'resources'), `${where}: config ${seeded.configName}`).toContain(seeded.configName);
}

/** As the workflow would: retry a failed call, call again while deleting. */
async function settle(input: unknown): Promise<DeleteResult> {
  for (let round = 0; round < 6; round++) {
    const result = await deleteEndpoint(env.deps, input);
    if (result.status !== 'deleting') return result;
  }
  throw new Error('still deleting after 6 rounds');
}

describe.each(['inference-components', 'real-time'] as const)('write-ahead audit of deleting a %s endpoint', (kind) => {
  it("a failure at any S3 write or destructive call never leaves a deletion unrecorded, and the retry records it as this sweep's", async () => {
    const noRetries = env.depsWith({ maxAttempts: 1 });
    let failurePoints = 0;
    for (let k = 0; ; k++) {
      const { sweepId, seeded, candidate } = await approvedZombie(kind);
      let seen = 0;
      const fault = env.sim.traffic.inject({
        when: (ctx) => WATCHED.has(ctx.operation) && seen++ === k,
        error: { code: 'ServiceUnavailable', message: 'injected failure', status: 503 },
      });
      let failed = false;
      try {
        await deleteEndpoint(noRetries, { candidate, deletion: DELETION });
      } catch {
        failed = true;
      } finally {
        env.sim.traffic.remove(fault);
      }
      const where = `failure at watched call #${k}`;
      await expectEverythingGoneIsNamed(seeded, sweepId, where);
      const result = await settle({ candidate, deletion: DELETION });
      expect(result.status, where).toBe('deleted');
      const history = await historyOf(seeded.name, sweepId);
      expect(
        history.filter((e) => e.type === 'skipped'),
        where,
      ).toEqual([]);
      expect(
        history.some((e) => e.type === 'deleted' && e.details?.step === 'remove-config-and-models'),
        where,
      ).toBe(true);
      expect(unresolvedIntents(history), where).toEqual([]);
      if (!failed) break;
      failurePoints++;
    }
    // Enough points to cover every write and call (the tag step's writes are before the fault is armed).
    expect(failurePoints).toBeGreaterThan(kind === 'inference-components' ? 12 : 6);
  });
});

describe('the audit timeline of an interrupted deletion', () => {
  it('shows an intent without outcome as attempted, outcome unknown; the retry settles it as deleted by this sweep', async () => {
    const { sweepId, seeded, candidate } = await approvedZombie('real-time');
    // S3 fails every write right after DeleteEndpoint is accepted: the endpoint is gone, only the intent is on record.
    let accepted = false;
    const after = env.sim.traffic.inject({ operation: 'DeleteEndpoint', before: () => void (accepted = true) });
    const s3Down = env.sim.traffic.inject({
      operation: 'PutObject',
      when: () => accepted,
      error: { code: 'ServiceUnavailable', message: 'injected failure', status: 503 },
    });
    await expect(deleteEndpoint(env.depsWith({ maxAttempts: 1 }), { candidate, deletion: DELETION })).rejects.toBeDefined();
    env.sim.traffic.remove(after);
    env.sim.traffic.remove(s3Down);
    expect(sm().getEndpoint(seeded.name)).toBeUndefined();
    const interrupted = await historyOf(seeded.name, sweepId);
    expect(interrupted.map((e) => e.type)).not.toContain('deleted');
    const text = formatTimeline(interrupted, { name: seeded.name, arn: seeded.arn });
    expect(text).toContain('delete-endpoint: attempted, outcome unknown');
    expect(text).toContain(`deletion attempted at`);

    expect(await settle({ candidate, deletion: DELETION })).toMatchObject({ status: 'deleted' });
    const settled = await historyOf(seeded.name, sweepId);
    const deleted = settled.find((e) => e.type === 'deleted' && e.details?.recoveredFromIntent);
    expect(deleted).toMatchObject({ actor: 'alice@example.com', sweepId });
    expect(settled.filter((e) => e.type === 'skipped')).toEqual([]);
    expect(formatTimeline(settled, { name: seeded.name, arn: seeded.arn })).toMatch(/\d+ events, deleted at/);
  });
});
