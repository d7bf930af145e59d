import type { DecisionRecord } from '../../src/cleanup/approval/store.ts';
/**
 * Scale to zero instead of delete, against the simulator: eligibility per kind, the re-verification it
 * shares with deletion, the capacity recorded before the change, write-ahead audit, the tag, restore.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { scalingStore } from '../../local/sim/services/autoscaling.ts';
import { metricStore } from '../../local/sim/services/cloudwatch/store.ts';
import { layout } from '../../src/core/layout.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { deleteEndpoint } from '../../src/cleanup/delete.ts';
import { decisionMessage } from '../../src/cleanup/approval/signature.ts';
import { restoreCapacity, scaleToZeroOffer } from '../../src/cleanup/scale-to-zero.ts';
import { readPreviousCapacity, scaleEndpointToZero } from '../../src/cleanup/scale-to-zero-step.ts';
import { deleteTargetOf } from '../../src/cleanup/endpoint.ts';
import { unresolvedIntents } from '../../src/audit/events.ts';
import {
  recordApproval,
  MEMBER,
  REGION,
  auditEvents,
  candidateFor,
  putManifest,
  seedEndpoint,
  startCleanupEnv,
  type CleanupEnv,
  type EndpointKind,
} from './actions-fixtures.ts';

let env: CleanupEnv;
let counter = 0;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const HOUR = 3_600_000;
const sm = () => sagemakerStore(env.world, MEMBER, REGION);
const scaling = () => scalingStore(env.world, MEMBER, REGION);
const events = async (name: string, sweepId: string) =>
  (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, name))).filter((e) => e.sweepId === sweepId);

/** Seeded, snapshotted, tagged by its sweep, and approved by alice with scale to zero chosen. */
async function chosenForScaleToZero(kind: EndpointKind, options: { managedMinZero?: boolean; scaleToZero?: boolean } = {}) {
  const sweepId = `sweep-s2z-${++counter}`;
  const seeded = seedEndpoint(env.world, `s2z-${counter}-${kind}`, kind);
  if (kind === 'inference-components' && options.managedMinZero !== false) {
    const config = sm().getEndpointConfig(seeded.configName)!;
    for (const variant of config.spec.ProductionVariants)
      Object.assign(variant, { ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 } });
  }
  const candidate = candidateFor(seeded, sweepId, new Date(env.clock.now().getTime() - 48 * HOUR), kind);
  await putManifest(env.s3, sweepId, seeded.name);
  await tagEndpoint(env.deps, { candidate, requestedBy: 'platform-team' });
  await recordApproval(env, sweepId, { approved: [seeded.arn], ...(options.scaleToZero === false ? {} : { scaleToZero: [seeded.arn] }) });
  return { sweepId, seeded, candidate };
}

describe('which endpoints can scale to zero', () => {
  it('offers it for inference-component and asynchronous endpoints only, and says why not for the others', () => {
    expect(scaleToZeroOffer('inference-components').offered).toBe(true);
    expect(scaleToZeroOffer('async').offered).toBe(true);
    for (const kind of ['real-time', 'multi-model', 'serverless', null] as const) {
      const offer = scaleToZeroOffer(kind);
      expect(offer.offered).toBe(false);
      expect(offer.offered === false && offer.why.length).toBeGreaterThan(20);
    }
  });

  it('signs the scale-to-zero list: moving an endpoint into or out of it changes the signed content', () => {
    const base: DecisionRecord = {
      version: 1,
      sweepId: 'sweep-sig',
      approver: 'a@example.com',
      decidedAt: '2026-12-01T00:00:00Z',
      action: 'approve',
      approved: ['x'],
      rejected: [],
      status: 'delivered',
      source: 'approval-page',
    };
    const text = (r: DecisionRecord) => new TextDecoder().decode(decisionMessage(r));
    expect(text({ ...base, scaleToZero: ['x'] })).not.toBe(text(base));
    expect(text({ ...base, scaleToZero: [] })).not.toBe(text({ ...base, scaleToZero: ['x'] }));
  });
});

describe('scale to zero after re-verification', () => {
  it('sets every inference component to 0 copies and the component scaling minimums to 0, audits and tags it, and restore brings the copies back', async () => {
    const { sweepId, seeded, candidate } = await chosenForScaleToZero('inference-components');
    for (const ic of seeded.components)
      scaling().register({
        ServiceNamespace: 'sagemaker',
        ResourceId: `inference-component/${ic}`,
        ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
        MinCapacity: 1,
        MaxCapacity: 3,
      });

    const result = await scaleEndpointToZero(env.deps, { candidate });

    expect(result).toMatchObject({ status: 'scaled-to-zero' });
    expect(sm().getEndpoint(seeded.name)).toBeDefined();
    for (const ic of seeded.components) expect(sm().getInferenceComponent(ic)!.desiredCopyCount).toBe(0);
    for (const ic of seeded.components)
      expect(scaling().describe({ serviceNamespace: 'sagemaker', resourceIds: [`inference-component/${ic}`] })[0]!.MinCapacity).toBe(0);
    const tags = sm().listTags(seeded.arn);
    expect(Object.fromEntries(tags.map((t) => [t.Key, t.Value]))).toMatchObject({
      zombie: 'scaled-to-zero',
      'zombie-sweep-id': sweepId,
      'zombie-approved-by': 'alice@example.com',
    });
    const history = await events(seeded.name, sweepId);
    const intent = history.findIndex((e) => e.type === 'intent' && e.details?.action === 'scale-to-zero');
    const outcome = history.findIndex((e) => e.type === 'scaled-to-zero');
    expect(intent).toBeGreaterThanOrEqual(0);
    expect(outcome).toBeGreaterThan(intent);
    expect(unresolvedIntents(history)).toHaveLength(0);
    expect(history[outcome]!.details).toMatchObject({ monthlyCostUsd: candidate.monthlyCostUsd, previous: { kind: 'inference-components' } });

    const previous = await readPreviousCapacity(env.deps, candidate);
    expect(previous!.components).toEqual(seeded.components.map((name) => ({ name, copyCount: 1 })));
    const target = deleteTargetOf(candidate);
    await restoreCapacity(
      { sagemaker: env.deps.clients.target(SageMakerClient, target), scaling: env.deps.clients.target(ApplicationAutoScalingClient, target) },
      seeded.name,
      previous!,
    );
    for (const ic of seeded.components) expect(sm().getInferenceComponent(ic)!.desiredCopyCount).toBe(1);
  });

  it('sets an asynchronous endpoint to 0 instances with a 0 minimum, and restores the count and the minimum', async () => {
    const { seeded, candidate } = await chosenForScaleToZero('async');
    const resourceId = `endpoint/${seeded.name}/variant/AllTraffic`;
    scaling().register({
      ServiceNamespace: 'sagemaker',
      ResourceId: resourceId,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
    });

    expect((await scaleEndpointToZero(env.deps, { candidate })).status).toBe('scaled-to-zero');
    expect(sm().getEndpoint(seeded.name)!.variants[0]!.desiredInstanceCount).toBe(0);
    const minimum = () => scaling().describe({ serviceNamespace: 'sagemaker', resourceIds: [resourceId] })[0]!.MinCapacity;
    expect(minimum()).toBe(0);

    // A retry after everything finished does nothing more.
    const calls = env.sim.ledger.count({ service: 'sagemaker', operation: 'UpdateEndpointWeightsAndCapacities', accountId: MEMBER });
    expect((await scaleEndpointToZero(env.deps, { candidate })).status).toBe('scaled-to-zero');
    expect(env.sim.ledger.count({ service: 'sagemaker', operation: 'UpdateEndpointWeightsAndCapacities', accountId: MEMBER })).toBe(calls);

    const previous = (await readPreviousCapacity(env.deps, candidate))!;
    expect(previous.variants).toEqual([{ variantName: 'AllTraffic', instanceCount: 1 }]);
    expect(previous.scalableTargets).toEqual([{ resourceId, dimension: 'sagemaker:variant:DesiredInstanceCount', minCapacity: 1, maxCapacity: 4 }]);
    const target = deleteTargetOf(candidate);
    await restoreCapacity(
      { sagemaker: env.deps.clients.target(SageMakerClient, target), scaling: env.deps.clients.target(ApplicationAutoScalingClient, target) },
      seeded.name,
      previous,
    );
    expect(sm().getEndpoint(seeded.name)!.variants[0]!.desiredInstanceCount).toBe(1);
    expect(minimum()).toBe(1);
  });

  it('refuses, audited, an inference-component endpoint whose configuration keeps its instances', async () => {
    const { sweepId, seeded, candidate } = await chosenForScaleToZero('inference-components', { managedMinZero: false });
    const result = await scaleEndpointToZero(env.deps, { candidate });
    expect(result).toMatchObject({ status: 'skipped', check: 'kind' });
    expect(result.reason).toMatch(/keeps its instances/);
    for (const ic of seeded.components) expect(sm().getInferenceComponent(ic)!.desiredCopyCount).toBe(1);
    expect((await events(seeded.name, sweepId)).some((e) => e.type === 'skipped')).toBe(true);
  });

  it('skips an endpoint invoked since detection, exactly like a deletion', async () => {
    const { seeded, candidate } = await chosenForScaleToZero('async');
    metricStore(env.world, MEMBER, REGION).put(
      'AWS/SageMaker',
      'InvocationsProcessed',
      [
        { Name: 'EndpointName', Value: seeded.name },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
      new Date(env.clock.now().getTime() - 2 * HOUR),
      5,
    );
    expect(await scaleEndpointToZero(env.deps, { candidate })).toMatchObject({ status: 'skipped', check: 'invocations' });
    expect(sm().getEndpoint(seeded.name)!.variants[0]!.desiredInstanceCount).toBe(1);
  });

  it('keeps the two actions apart: an endpoint chosen for scale to zero is never deleted, one chosen for deletion is never scaled', async () => {
    const scaled = await chosenForScaleToZero('async');
    expect(await deleteEndpoint(env.deps, { candidate: scaled.candidate })).toMatchObject({ status: 'skipped', check: 'approved' });
    expect(sm().getEndpoint(scaled.seeded.name)).toBeDefined();

    const deleted = await chosenForScaleToZero('async', { scaleToZero: false });
    expect(await scaleEndpointToZero(env.deps, { candidate: deleted.candidate })).toMatchObject({ status: 'skipped', check: 'approved' });
    expect(sm().getEndpoint(deleted.seeded.name)!.variants[0]!.desiredInstanceCount).toBe(1);
  });
});

describe('write-ahead audit of scaling to zero', () => {
  const WATCHED = new Set(['PutObject', 'UpdateInferenceComponentRuntimeConfig', 'UpdateEndpointWeightsAndCapacities', 'RegisterScalableTarget', 'AddTags']);

  it.each(['async', 'inference-components'] as const)(
    'a failure at any S3 write or scaling call of a %s endpoint: the retry finishes it, records the capacity it had, and leaves no open intent',
    async (kind) => {
      const noRetries = env.depsWith({ maxAttempts: 1 });
      let failurePoints = 0;
      for (let k = 0; ; k++) {
        const { sweepId, seeded, candidate } = await chosenForScaleToZero(kind);
        const dimension = kind === 'async' ? 'sagemaker:variant:DesiredInstanceCount' : 'sagemaker:inference-component:DesiredCopyCount';
        const resourceIds = kind === 'async' ? [`endpoint/${seeded.name}/variant/AllTraffic`] : seeded.components.map((ic) => `inference-component/${ic}`);
        for (const resourceId of resourceIds)
          scaling().register({ ServiceNamespace: 'sagemaker', ResourceId: resourceId, ScalableDimension: dimension, MinCapacity: 1, MaxCapacity: 3 });
        let seen = 0;
        const fault = env.sim.traffic.inject({
          when: (ctx) => WATCHED.has(ctx.operation) && seen++ === k,
          error: { code: 'ServiceUnavailable', message: 'injected failure', status: 503 },
        });
        let failed = false;
        try {
          await scaleEndpointToZero(noRetries, { candidate });
        } catch {
          failed = true;
        } finally {
          env.sim.traffic.remove(fault);
        }
        const where = `failure at watched call #${k}`;
        expect((await scaleEndpointToZero(env.deps, { candidate })).status, where).toBe('scaled-to-zero');
        const history = await events(seeded.name, sweepId);
        expect(
          history.filter((e) => e.type === 'skipped'),
          where,
        ).toEqual([]);
        expect(
          history.filter((e) => e.type === 'scaled-to-zero'),
          where,
        ).toHaveLength(1);
        expect(unresolvedIntents(history), where).toEqual([]);
        const previous = (await readPreviousCapacity(env.deps, candidate))!;
        expect(
          previous.scalableTargets.map((t) => t.minCapacity),
          where,
        ).toEqual(resourceIds.map(() => 1));
        if (kind === 'async') expect(previous.variants, where).toEqual([{ variantName: 'AllTraffic', instanceCount: 1 }]);
        else
          expect(
            previous.components.map((c) => c.copyCount),
            where,
          ).toEqual([1, 1]);
        if (!failed) break;
        failurePoints++;
      }
      expect(failurePoints).toBeGreaterThan(3);
    },
  );
});
