import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { sagemakerSettings, sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { metricStore } from '../../local/sim/services/cloudwatch/store.ts';
import { scalingStore } from '../../local/sim/services/autoscaling.ts';
import { layout } from '../../src/core/layout.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { deleteEndpoint } from '../../src/cleanup/delete.ts';
import { createHandler } from '../../functions/delete/handler.ts';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import { requestApproval } from '../../src/cleanup/approval/request.ts';
import { applyDecision } from '../../src/cleanup/decision.ts';
import {
  recordApproval,
  BUCKET,
  MEMBER,
  REGION,
  auditEvents,
  readObject,
  candidateFor,
  putManifest,
  seedEndpoint,
  startCleanupEnv,
  type CleanupEnv,
  type EndpointKind,
  type SeededEndpoint,
} from './actions-fixtures.ts';

let env: CleanupEnv;
let counter = 0;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const sm = () => sagemakerStore(env.world, MEMBER, REGION);
const icArn = (name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:inference-component/${name.toLowerCase()}`;
const HOUR = 3_600_000;

/** Seeded, snapshotted, tagged by `sweepId`, detected two days ago and approved by alice. */
async function approvedZombie(kind: EndpointKind, options: { approve?: boolean; deletion?: { deleteEndpointConfig: boolean; deleteModels: boolean } } = {}) {
  const sweepId = `sweep-del-${++counter}`;
  const seeded = seedEndpoint(env.world, `del-${counter}-${kind}`, kind);
  const candidate = candidateFor(seeded, sweepId, new Date(env.clock.now().getTime() - 48 * HOUR), kind);
  await putManifest(env.s3, sweepId, seeded.name);
  await tagEndpoint(env.deps, { candidate, requestedBy: 'platform-team', deletion: options.deletion });
  await recordApproval(env, sweepId, { approved: options.approve === false ? [] : [seeded.arn], rejected: options.approve === false ? [seeded.arn] : [] });
  return { sweepId, seeded, candidate };
}

function invoke(metric: 'Invocations' | 'InvocationsProcessed', dimensions: { Name: string; Value: string }[], at: Date, count = 3) {
  metricStore(env.world, MEMBER, REGION).put('AWS/SageMaker', metric, dimensions, at, count);
}
const variantDims = (s: SeededEndpoint, variant = s.variants[0]!) => [
  { Name: 'EndpointName', Value: s.name },
  { Name: 'VariantName', Value: variant },
];

const destructiveCalls = () =>
  env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteEndpoint', accountId: MEMBER }) +
  env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteInferenceComponent', accountId: MEMBER }) +
  env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteEndpointConfig', accountId: MEMBER }) +
  env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteModel', accountId: MEMBER }) +
  env.sim.ledger.count({ service: 'application-autoscaling', operation: 'DeregisterScalableTarget', accountId: MEMBER });

const events = async (name: string, sweepId: string) =>
  (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, name))).filter((e) => e.sweepId === sweepId);

describe('delete after re-verification', () => {
  const kinds: EndpointKind[] = ['real-time', 'multi-variant', 'serverless', 'async', 'inference-components'];
  for (const kind of kinds) {
    it(`deletes an approved, still idle ${kind} endpoint and keeps its config and models`, async () => {
      const { sweepId, seeded, candidate } = await approvedZombie(kind);
      // Traffic before detection does not count: the endpoint was idle when detected.
      invoke('Invocations', variantDims(seeded), new Date(Date.parse(candidate.detectedAt) - 10 * 24 * HOUR));

      const result = await createHandler(env.deps)({ candidate });

      expect(result).toMatchObject({ status: 'deleted', endpointArn: seeded.arn });
      expect(sm().getEndpoint(seeded.name)).toBeUndefined();
      expect(sm().getEndpointConfig(seeded.configName)).toBeDefined();
      for (const model of seeded.models) expect(sm().getModel(model)).toBeDefined();
      const deleted = (await events(seeded.name, sweepId)).filter((e) => e.type === 'deleted');
      expect(deleted).toHaveLength(1);
      expect(deleted[0]).toMatchObject({ actor: 'alice@example.com', tagsBefore: { zombie: 'confirmed', 'zombie-sweep-id': sweepId }, tagsAfter: {} });
    });
  }

  it('removes inference components first, with their scaling targets, then the variant targets, then the endpoint', async () => {
    const { seeded, candidate } = await approvedZombie('inference-components');
    const scaling = scalingStore(env.world, MEMBER, REGION);
    scaling.register({
      ServiceNamespace: 'sagemaker',
      ResourceId: `endpoint/${seeded.name}/variant/main`,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    for (const ic of seeded.components) {
      scaling.register({
        ServiceNamespace: 'sagemaker',
        ResourceId: `inference-component/${ic}`,
        ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
        MinCapacity: 1,
        MaxCapacity: 3,
      });
    }
    const from = env.sim.ledger.entries.length;

    expect((await deleteEndpoint(env.deps, { candidate })).status).toBe('deleted');

    const calls = env.sim.ledger.entries.slice(from).filter((e) => e.accountId === MEMBER && /^(Delete|Deregister)/.test(e.operation));
    const order = calls.map((e) => e.operation);
    expect(order.filter((o) => o === 'DeleteInferenceComponent')).toHaveLength(2);
    expect(order.lastIndexOf('DeleteInferenceComponent')).toBeLessThan(order.indexOf('DeleteEndpoint'));
    expect(order.lastIndexOf('DeregisterScalableTarget')).toBeLessThan(order.indexOf('DeleteEndpoint'));
    expect(scaling.describe({ serviceNamespace: 'sagemaker' }).filter((t) => t.ResourceId.includes(seeded.name))).toEqual([]);
    for (const ic of seeded.components) expect(sm().getInferenceComponent(ic)).toBeUndefined();
  });

  it('deregisters the auto-scaling targets of an autoscaled endpoint', async () => {
    const { seeded, sweepId, candidate } = await approvedZombie('multi-variant');
    const scaling = scalingStore(env.world, MEMBER, REGION);
    for (const variant of seeded.variants)
      scaling.register({
        ServiceNamespace: 'sagemaker',
        ResourceId: `endpoint/${seeded.name}/variant/${variant}`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 1,
        MaxCapacity: 4,
      });
    expect((await deleteEndpoint(env.deps, { candidate })).status).toBe('deleted');
    expect(scaling.describe({ serviceNamespace: 'sagemaker', resourceIds: seeded.variants.map((v) => `endpoint/${seeded.name}/variant/${v}`) })).toEqual([]);
    const [deleted] = (await events(seeded.name, sweepId)).filter((e) => e.type === 'deleted');
    expect(deleted!.details!.deregisteredScalableTargets).toEqual(
      seeded.variants.map((v) => `endpoint/${seeded.name}/variant/${v} sagemaker:variant:DesiredInstanceCount`),
    );
  });

  type Veto = {
    name: string;
    kind?: EndpointKind;
    check: string;
    reason: RegExp;
    veto: (z: Awaited<ReturnType<typeof approvedZombie>>) => Promise<void> | void;
    approve?: boolean;
  };
  const vetoes: Veto[] = [
    {
      name: 'invoked since detection',
      check: 'invocations',
      reason: /invoked 3 time/,
      veto: ({ seeded }) => invoke('Invocations', variantDims(seeded), new Date(Date.now() - HOUR)),
    },
    {
      name: 'invoked on its second variant only',
      kind: 'multi-variant',
      check: 'invocations',
      reason: /invoked/,
      veto: ({ seeded }) => invoke('Invocations', variantDims(seeded, 'green'), new Date(Date.now() - HOUR)),
    },
    {
      name: 'invoked through an inference component',
      kind: 'inference-components',
      check: 'invocations',
      reason: /invoked/,
      veto: ({ seeded }) => invoke('Invocations', [{ Name: 'InferenceComponentName', Value: seeded.components[1]! }], new Date(Date.now() - HOUR)),
    },
    {
      name: 'async requests processed since detection',
      kind: 'async',
      check: 'invocations',
      reason: /invoked/,
      veto: ({ seeded }) => invoke('InvocationsProcessed', variantDims(seeded), new Date(Date.now() - HOUR)),
    },
    { name: 'zombie tag removed', check: 'tags', reason: /zombie tag was removed/, veto: ({ seeded }) => sm().deleteTags(seeded.arn, ['zombie']) },
    {
      name: 'sweep id changed',
      check: 'tags',
      reason: /zombie-sweep-id/,
      veto: ({ seeded }) => void sm().addTags(seeded.arn, [{ Key: 'zombie-sweep-id', Value: 'another-sweep' }]),
    },
    {
      name: 'owner protected it',
      check: 'protected',
      reason: /protected: tag zombie-protected=true/,
      veto: ({ seeded }) => void sm().addTags(seeded.arn, [{ Key: 'zombie-protected', Value: 'true' }]),
    },
    {
      name: 'owner exempted it',
      check: 'exempt',
      reason: /zombie-exempt/,
      veto: ({ seeded }) => void sm().addTags(seeded.arn, [{ Key: 'zombie-exempt', Value: 'true' }]),
    },
    {
      name: 'manifest missing',
      check: 'manifest',
      reason: /no verified snapshot manifest/,
      veto: async ({ sweepId, seeded }) =>
        void (await env.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: layout.manifest(MEMBER, REGION, seeded.name, sweepId) }))),
    },
    { name: 'not approved', check: 'approved', reason: /not approved by alice/, veto: () => {}, approve: false },
    {
      name: 'no decision recorded',
      check: 'approved',
      reason: /no decision/,
      veto: async ({ sweepId }) => void (await env.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: layout.decision(sweepId) }))),
    },
    {
      name: 'an inference component lost its zombie tag',
      kind: 'inference-components',
      check: 'component-tags',
      reason: /-embedder do not carry zombie=confirmed/,
      veto: ({ seeded }) => sm().deleteTags(icArn(seeded.components[1]!), ['zombie']),
    },
    {
      name: 'an inference component carries another sweep id',
      kind: 'inference-components',
      check: 'component-tags',
      reason: /-llm do not carry/,
      veto: ({ seeded }) => void sm().addTags(icArn(seeded.components[0]!), [{ Key: 'zombie-sweep-id', Value: 'another-sweep' }]),
    },
    {
      name: 'an inference component was added after tagging',
      kind: 'inference-components',
      check: 'component-tags',
      reason: /-late do not carry/,
      veto: ({ seeded }) =>
        void sm().createInferenceComponent(
          {
            InferenceComponentName: `${seeded.name}-late`,
            EndpointName: seeded.name,
            Specification: { ModelName: seeded.models[0]! },
            RuntimeConfig: { CopyCount: 1 },
          },
          { status: 'InService' },
        ),
    },
    {
      name: 'detection time lies in the future (clock skew)',
      check: 'invocations',
      reason: /after now/,
      veto: (z) => {
        z.candidate.detectedAt = new Date(Date.now() + 24 * HOUR).toISOString();
      },
    },
    {
      name: 'not InService',
      check: 'in-service',
      reason: /Updating, not InService/,
      veto: ({ seeded }) => {
        sm().getEndpoint(seeded.name)!.status = 'Updating';
      },
    },
    {
      name: 'updated after detection',
      check: 'unchanged',
      reason: /updated at .* after detection/,
      veto: ({ seeded }) => {
        sm().getEndpoint(seeded.name)!.lastModifiedTime = new Date(Date.now() - HOUR);
      },
    },
  ];
  for (const v of vetoes) {
    it(`skips, changing nothing, when ${v.name}`, async () => {
      const zombie = await approvedZombie(v.kind ?? 'real-time', { approve: v.approve });
      await v.veto(zombie);
      const tagsBefore = sm().tagsOf(zombie.seeded.arn);
      const destructive = destructiveCalls();

      const result = await deleteEndpoint(env.deps, { candidate: zombie.candidate });

      expect(result).toMatchObject({ status: 'skipped', check: v.check });
      expect(result.reason).toMatch(v.reason);
      expect(destructiveCalls()).toBe(destructive);
      expect(sm().getEndpoint(zombie.seeded.name)).toBeDefined();
      for (const ic of zombie.seeded.components) expect(sm().getInferenceComponent(ic)?.status).toBe('InService');
      expect(sm().tagsOf(zombie.seeded.arn)).toEqual(tagsBefore);
      const skipped = (await events(zombie.seeded.name, zombie.sweepId)).filter((e) => e.type === 'skipped');
      expect(skipped).toHaveLength(1);
      expect(skipped[0]!.reason).toMatch(v.reason);
    });
  }

  it('counts an endpoint already gone as done, and a re-run after deletion as deleted once', async () => {
    const { seeded, sweepId, candidate } = await approvedZombie('real-time');
    expect((await deleteEndpoint(env.deps, { candidate })).status).toBe('deleted');
    const destructive = destructiveCalls();
    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'deleted', reason: 'deleted by an earlier attempt' });
    expect(destructiveCalls()).toBe(destructive);
    expect((await events(seeded.name, sweepId)).filter((e) => e.type === 'deleted')).toHaveLength(1);

    const other = await approvedZombie('real-time');
    sm().state.endpoints.delete(other.seeded.name.toLowerCase());
    expect(await deleteEndpoint(env.deps, { candidate: other.candidate })).toMatchObject({ status: 'already-gone' });
  });

  it('reports deleting when the endpoint outlasts the wait, and finishes on the next call', async () => {
    const { seeded, sweepId, candidate } = await approvedZombie('real-time');
    sagemakerSettings(env.world).transitionDelayMs = 60_000;
    try {
      expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'deleting' });
    } finally {
      sagemakerSettings(env.world).transitionDelayMs = 0;
    }
    expect(sm().getEndpoint(seeded.name)!.status).toBe('Deleting');
    sm().getEndpoint(seeded.name)!.transitionAt = Date.now();
    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'deleted' });
    expect((await events(seeded.name, sweepId)).filter((e) => e.type === 'deleted')).toHaveLength(1);
  });

  it('removes the config and models only when asked, and never ones another endpoint uses', async () => {
    const removal = { deleteEndpointConfig: true, deleteModels: true };
    const { seeded, candidate } = await approvedZombie('real-time', { deletion: removal });
    sm().createEndpoint({ EndpointName: `${seeded.name}-twin`, EndpointConfigName: seeded.configName }, { status: 'InService' });
    const result = await deleteEndpoint(env.deps, { candidate, deletion: removal });
    expect(result.status).toBe('deleted');
    expect(sm().getEndpointConfig(seeded.configName)).toBeDefined();
    expect(sm().getModel(seeded.models[0]!)).toBeDefined();

    const alone = await approvedZombie('multi-variant', { deletion: removal });
    expect((await deleteEndpoint(env.deps, { candidate: alone.candidate, deletion: removal })).status).toBe('deleted');
    expect(sm().getEndpointConfig(alone.seeded.configName)).toBeUndefined();
    for (const model of alone.seeded.models) expect(sm().getModel(model)).toBeUndefined();
  });

  it('keeps a config or model the tag step did not mark, even when removal is asked at delete time', async () => {
    const { seeded, sweepId, candidate } = await approvedZombie('multi-variant');
    expect((await deleteEndpoint(env.deps, { candidate, deletion: { deleteEndpointConfig: true, deleteModels: true } })).status).toBe('deleted');
    expect(sm().getEndpointConfig(seeded.configName)).toBeDefined();
    for (const model of seeded.models) expect(sm().getModel(model)).toBeDefined();
    const deleted = (await events(seeded.name, sweepId)).filter((e) => e.type === 'deleted');
    // One event when DeleteEndpoint is accepted, one for the config and model removal once the endpoint is gone.
    expect(deleted.map((e) => e.details!.status).sort()).toEqual(['accepted', 'deleted']);
    expect(deleted.find((e) => e.details!.removed)!.details!.removed).toEqual({
      models: [],
      kept: [...seeded.models.map((m) => `model ${m}`), `endpoint config ${seeded.configName}`].map(
        (what) => `${what} (not tagged zombie=confirmed by sweep ${sweepId})`,
      ),
    });
  });

  it('keeps everything when its owner removes the zombie tag after re-verification, before the first component is deleted', async () => {
    const { seeded, sweepId, candidate } = await approvedZombie('inference-components');
    const destructive = destructiveCalls();
    let lists = 0;
    // Re-verification lists the components once; the delete step lists them again right before deleting.
    const veto = env.sim.traffic.inject({
      service: 'sagemaker',
      operation: 'ListInferenceComponents',
      accountId: MEMBER,
      when: () => ++lists === 2,
      before: () => sm().deleteTags(seeded.arn, ['zombie']),
    });
    try {
      expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({
        status: 'skipped',
        check: 'tags',
        reason: expect.stringContaining('nothing was deleted'),
      });
    } finally {
      env.sim.traffic.remove(veto);
    }
    expect(destructiveCalls()).toBe(destructive);
    for (const ic of seeded.components) expect(sm().getInferenceComponent(ic)!.status).toBe('InService');
    expect((await events(seeded.name, sweepId)).filter((e) => e.type === 'skipped')).toHaveLength(1);
  });

  it('end to end: tag, mail, partial approval on the page, apply, delete exactly the ticked endpoints', async () => {
    const sweepId = `sweep-del-e2e-${++counter}`;
    const detectedAt = new Date(env.clock.now().getTime() - 48 * HOUR);
    const kinds: EndpointKind[] = ['real-time', 'inference-components', 'async'];
    const seeded = kinds.map((kind, i) => ({ kind, s: seedEndpoint(env.world, `${sweepId}-${i}`, kind) }));
    const tagged = [];
    for (const { kind, s } of seeded) {
      await putManifest(env.s3, sweepId, s.name);
      tagged.push(await tagEndpoint(env.deps, { candidate: candidateFor(s, sweepId, detectedAt, kind), requestedBy: 'platform-team' }));
    }
    // The test clock stands still unless moved: move it so the timeline has an order.
    env.clock.advance(1000);
    const taskToken = env.tokens.create(`arn:aws:states:${REGION}:111111111111:execution:sweep:${sweepId}`, 'RequestApproval');
    const before = snsOutbox(env.world).messages.length;
    await requestApproval(env.deps, { taskToken, sweepId, candidates: tagged, approvers: ['alice@example.com'], timeoutSeconds: 7200 });
    const mail = snsOutbox(env.world)
      .messages.slice(before)
      .find((m) => m.endpoint === 'alice@example.com')!;
    const link = new URL(/(http:\/\/\S+)/.exec(mail.message)![1]!);

    const keep = seeded[1]!.s;
    const form = new URLSearchParams({
      approver: link.searchParams.get('approver')!,
      expires: link.searchParams.get('expires')!,
      sig: link.searchParams.get('sig')!,
      action: 'approve',
    });
    for (const { s } of seeded) if (s !== keep) form.append('endpoint', s.arn);
    const posted = await fetch(`${link.origin}${link.pathname}`, {
      method: 'POST',
      body: form,
      headers: { origin: link.origin, 'sec-fetch-site': 'same-origin' },
    });
    expect(posted.status).toBe(200);

    const decision = await env.tokens.wait(taskToken, 1000);
    env.clock.advance(1000);
    const applied = await applyDecision(env.deps, { sweepId, decision });
    const items = JSON.parse((await readObject(env.s3, applied.deletionsKey))!) as { candidate: unknown }[];
    env.clock.advance(1000);
    const results = [];
    for (const item of items) results.push(await createHandler(env.deps)({ ...item }));

    expect(results.map((r) => [r.endpointName, r.status]).sort()).toEqual(
      seeded
        .filter(({ s }) => s !== keep)
        .map(({ s }) => [s.name, 'deleted'])
        .sort(),
    );
    expect(sm().getEndpoint(keep.name)).toBeDefined();
    expect(sm().tagsOf(keep.arn)).toMatchObject({ zombie: 'rejected', 'zombie-exempt-until': expect.any(String) });
    for (const { s } of seeded) if (s !== keep) expect(sm().getEndpoint(s.name)).toBeUndefined();
    const history = await events(seeded[0]!.s.name, sweepId);
    const timeline = history.map((e) => e.type);
    // Write-ahead: the intents (tagging, recording the approval, deleting) are on record too (same instant as the outcomes under this fixed clock).
    expect(timeline.filter((t) => t !== 'intent')).toEqual(['tagged', 'approval-requested', 'approved', 'deleted']);
    expect(
      history
        .filter((e) => e.type === 'intent')
        .map((e) => `${String(e.details?.step)}:${String(e.details?.action)}`)
        .sort(),
    ).toEqual(['approve:change-tags', 'delete:delete-endpoint', 'tag:change-tags']);
  });

  it('audits the inference components it deleted before answering deleting, and deletes the endpoint when called again', async () => {
    const { seeded, sweepId, candidate } = await approvedZombie('inference-components');
    const scaling = scalingStore(env.world, MEMBER, REGION);
    for (const ic of seeded.components) {
      scaling.register({
        ServiceNamespace: 'sagemaker',
        ResourceId: `inference-component/${ic}`,
        ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
        MinCapacity: 1,
        MaxCapacity: 3,
      });
    }
    sagemakerSettings(env.world).transitionDelayMs = 60_000;
    try {
      expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({
        status: 'deleting',
        reason: expect.stringContaining('inference components are still being deleted'),
      });
    } finally {
      sagemakerSettings(env.world).transitionDelayMs = 0;
    }
    // The components are going, the endpoint (still billing) is not: that is on record before any wait ends.
    expect(sm().getEndpoint(seeded.name)!.status).toBe('InService');
    for (const ic of seeded.components) expect(sm().getInferenceComponent(ic)!.status).toBe('Deleting');
    const [components] = (await events(seeded.name, sweepId)).filter((e) => e.type === 'components-deleted');
    expect(components).toMatchObject({ actor: 'alice@example.com', details: { inferenceComponentsDeleted: seeded.components } });
    expect([...(components!.details!.deregisteredScalableTargets as string[])].sort()).toEqual(
      seeded.components.map((ic) => `inference-component/${ic} sagemaker:inference-component:DesiredCopyCount`).sort(),
    );
    expect((await events(seeded.name, sweepId)).filter((e) => e.type === 'deleted')).toEqual([]);

    sm().completePendingTransitions();
    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'deleted' });
    expect(sm().getEndpoint(seeded.name)).toBeUndefined();
    const timeline = (await events(seeded.name, sweepId)).map((e) => e.type);
    expect(timeline.filter((t) => t === 'components-deleted' || t === 'deleted').sort()).toEqual(['components-deleted', 'deleted']);
  });

  it('finishes, as deleted, an endpoint whose deletion it started before a transient error, config and models included', async () => {
    const removal = { deleteEndpointConfig: true, deleteModels: true };
    const { seeded, sweepId, candidate } = await approvedZombie('multi-variant', { deletion: removal });
    let accepted = false;
    const mark = env.sim.traffic.inject({ service: 'sagemaker', operation: 'DeleteEndpoint', accountId: MEMBER, before: () => void (accepted = true) });
    // Every SDK attempt of the first describe after DeleteEndpoint fails: the step throws and is retried.
    const fault = env.sim.traffic.inject({
      service: 'sagemaker',
      operation: 'DescribeEndpoint',
      accountId: MEMBER,
      when: () => accepted,
      times: 3,
      error: { code: 'ServiceUnavailable', message: 'try later', status: 503 },
    });
    try {
      await expect(deleteEndpoint(env.deps, { candidate, deletion: removal })).rejects.toMatchObject({ name: 'RetryableAwsError' });
    } finally {
      env.sim.traffic.remove(fault);
      env.sim.traffic.remove(mark);
    }
    sm().completePendingTransitions();
    expect(sm().getEndpoint(seeded.name)).toBeUndefined();

    expect(await deleteEndpoint(env.deps, { candidate, deletion: removal })).toMatchObject({ status: 'deleted' });
    const history = await events(seeded.name, sweepId);
    expect(history.filter((e) => e.type === 'skipped')).toEqual([]);
    expect(
      history
        .filter((e) => e.type === 'deleted')
        .map((e) => e.details!.status)
        .sort(),
    ).toEqual(['accepted', 'deleted']);
    expect(sm().getEndpointConfig(seeded.configName)).toBeUndefined();
    for (const model of seeded.models) expect(sm().getModel(model)).toBeUndefined();
    // A third run changes nothing and records nothing.
    expect(await deleteEndpoint(env.deps, { candidate, deletion: removal })).toMatchObject({ status: 'deleted', reason: 'deleted by an earlier attempt' });
    expect(await events(seeded.name, sweepId)).toHaveLength(history.length);
  });

  it('keeps the endpoint when its owner removes the zombie tag while inference components are being deleted, listing what it lost', async () => {
    const { seeded, sweepId, candidate } = await approvedZombie('inference-components');
    const scaling = scalingStore(env.world, MEMBER, REGION);
    const target = `inference-component/${seeded.components[0]!}`;
    scaling.register({
      ServiceNamespace: 'sagemaker',
      ResourceId: target,
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      MinCapacity: 1,
      MaxCapacity: 3,
    });
    const deletes = env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteEndpoint', accountId: MEMBER });
    const veto = env.sim.traffic.inject({
      service: 'sagemaker',
      operation: 'DeleteInferenceComponent',
      accountId: MEMBER,
      times: 1,
      before: () => sm().deleteTags(seeded.arn, ['zombie']),
    });
    try {
      expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'skipped', check: 'tags' });
    } finally {
      env.sim.traffic.remove(veto);
    }
    expect(sm().getEndpoint(seeded.name)!.status).toBe('InService');
    expect(env.sim.ledger.count({ service: 'sagemaker', operation: 'DeleteEndpoint', accountId: MEMBER })).toBe(deletes);
    const [skipped] = (await events(seeded.name, sweepId)).filter((e) => e.type === 'skipped');
    expect(skipped!.details).toMatchObject({
      check: 'tags',
      inferenceComponentsDeleted: seeded.components,
      deregisteredScalableTargets: [`${target} sagemaker:inference-component:DesiredCopyCount`],
    });
    // Restore refuses while the endpoint exists: the reason must not promise it.
    expect(skipped!.reason).toMatch(/nothing re-creates them on the kept endpoint/);
    expect(skipped!.reason).not.toMatch(/restorable|recreates/);
  });

  it('skips when the member role refuses DeleteEndpoint at the last moment, recording the scaling targets already deregistered', async () => {
    const { seeded, sweepId, candidate } = await approvedZombie('real-time');
    scalingStore(env.world, MEMBER, REGION).register({
      ServiceNamespace: 'sagemaker',
      ResourceId: `endpoint/${seeded.name}/variant/AllTraffic`,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    const fault = env.sim.traffic.inject({
      service: 'sagemaker',
      operation: 'DeleteEndpoint',
      accountId: MEMBER,
      times: 1,
      error: { code: 'AccessDeniedException', message: 'not authorized: aws:ResourceTag/zombie', status: 400 },
    });
    try {
      expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'skipped', check: 'delete-permission' });
    } finally {
      env.sim.traffic.remove(fault);
    }
    expect(sm().getEndpoint(seeded.name)!.status).toBe('InService');
    const [skipped] = (await events(seeded.name, sweepId)).filter((e) => e.type === 'skipped');
    expect(skipped!.details).toMatchObject({
      check: 'delete-permission',
      inferenceComponentsDeleted: [],
      deregisteredScalableTargets: [`endpoint/${seeded.name}/variant/AllTraffic sagemaker:variant:DesiredInstanceCount`],
    });
    expect(skipped!.reason).toMatch(/without auto-scaling target\(s\) endpoint\/.*\/variant\/AllTraffic/);
  });
});
