import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { layout } from '../../src/core/layout.ts';
import { isoDate } from '../../src/core/clock.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { createHandler } from '../../functions/tag/handler.ts';
import {
  MEMBER,
  REGION,
  ROLE,
  auditEvents,
  candidateFor,
  putManifest,
  seedEndpoint,
  startCleanupEnv,
  type CleanupEnv,
  type EndpointKind,
} from './actions-fixtures.ts';

let env: CleanupEnv;
/** Every AddTags the member-account client sent, in order: which resource, which tags. */
const addTags: { arn: string; tags: Record<string, string> }[] = [];
beforeAll(async () => {
  env = await startCleanupEnv();
  // The client product code gets for the member account's tag capability (the factory caches it per account, region and role):
  // tags are written through that role only.
  const sagemaker = env.deps.clients.target(SageMakerClient, { accountId: MEMBER, region: REGION, roleName: ROLE, capability: 'tag' });
  sagemaker.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'AddTagsCommand') {
        const input = args.input as { ResourceArn: string; Tags: { Key: string; Value: string }[] };
        addTags.push({ arn: input.ResourceArn, tags: Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value])) });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordAddTags' },
  );
});
afterAll(() => env.stop());

const tagsOf = (arn: string) => sagemakerStore(env.world, MEMBER, REGION).tagsOf(arn);
const arnOf = (kind: 'inference-component' | 'endpoint-config' | 'model', name: string) =>
  `arn:aws:sagemaker:${REGION}:${MEMBER}:${kind}/${name.toLowerCase()}`;
const addTagsCalls = () => env.sim.ledger.count({ service: 'sagemaker', operation: 'AddTags', accountId: MEMBER });
const endpointEvents = async (name: string, sweepId: string) =>
  (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, name))).filter((e) => e.sweepId === sweepId);

describe('tag', () => {
  const kinds: EndpointKind[] = ['real-time', 'multi-variant', 'serverless', 'async', 'inference-components'];
  for (const kind of kinds) {
    it(`marks a snapshotted ${kind} endpoint with every contract tag in one AddTags call`, async () => {
      const sweepId = `sweep-tag-${kind}`;
      const seeded = seedEndpoint(env.world, `tag-${kind}`, kind);
      sagemakerStore(env.world, MEMBER, REGION).addTags(seeded.arn, [{ Key: 'team', Value: 'fraud' }]);
      await putManifest(env.s3, sweepId, seeded.name);
      const candidate = candidateFor(seeded, sweepId, env.clock.now(), kind);
      const from = addTags.length;

      const result = await createHandler(env.deps)({ candidate, requestedBy: 'arn:aws:sts::111111111111:assumed-role/Ops/jane' });

      expect(result.status).toBe('tagged');
      const calls = addTags.slice(from);
      expect(calls.filter((c) => c.arn === seeded.arn)).toHaveLength(1);
      const manifestUri = `s3://zombie-sweep-archive/${layout.manifest(MEMBER, REGION, seeded.name, sweepId)}`;
      expect(result.candidate.manifestUri).toBe(manifestUri);
      expect(tagsOf(seeded.arn)).toEqual({
        team: 'fraud',
        zombie: 'confirmed',
        'zombie-sweep-id': sweepId,
        'zombie-confirmed-date': isoDate(env.clock.now()),
        'zombie-confirmed-by': 'arn:aws:sts::111111111111:assumed-role/Ops/jane',
        'zombie-idle-since': 'never',
        'zombie-monthly-cost-usd': candidate.monthlyCostUsd === null ? 'unknown' : candidate.monthlyCostUsd.toFixed(2),
        'zombie-snapshot': manifestUri,
      });
      const [tagged] = (await endpointEvents(seeded.name, sweepId)).filter((e) => e.type === 'tagged');
      expect(tagged).toMatchObject({ actor: 'arn:aws:sts::111111111111:assumed-role/Ops/jane', endpointArn: seeded.arn, tagsBefore: { team: 'fraud' } });
      expect(tagged!.tagsAfter).toEqual(tagsOf(seeded.arn));
      // Without DeletionSettings only inference components are marked; configs and models are kept, so left alone.
      expect(calls).toHaveLength(1 + seeded.components.length);
      expect(tagged!.details!.children).toEqual(
        seeded.components.map((name) => ({ kind: 'inference-component', name, arn: arnOf('inference-component', name), status: 'tagged' })),
      );
    });
  }

  it('marks every inference component zombie=confirmed with the sweep id, one AddTags each, before the endpoint', async () => {
    const sweepId = 'sweep-tag-components';
    const seeded = seedEndpoint(env.world, 'tag-components', 'inference-components');
    sagemakerStore(env.world, MEMBER, REGION).addTags(arnOf('inference-component', seeded.components[0]!), [{ Key: 'owner', Value: 'llm-team' }]);
    await putManifest(env.s3, sweepId, seeded.name);
    const from = addTags.length;

    await tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now(), 'inference-components') });

    const calls = addTags.slice(from);
    const componentArns = seeded.components.map((c) => arnOf('inference-component', c));
    expect(calls.map((c) => c.arn)).toEqual([...componentArns, seeded.arn]);
    for (const call of calls.slice(0, -1)) expect(call.tags).toEqual({ zombie: 'confirmed', 'zombie-sweep-id': sweepId });
    expect(tagsOf(componentArns[0]!)).toEqual({ owner: 'llm-team', zombie: 'confirmed', 'zombie-sweep-id': sweepId });
    expect(tagsOf(componentArns[1]!)).toEqual({ zombie: 'confirmed', 'zombie-sweep-id': sweepId });

    // A re-run writes nothing: every resource already carries its tags.
    const again = addTags.length;
    expect((await tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now(), 'inference-components') })).status).toBe('already-tagged');
    expect(addTags.length).toBe(again);
    expect((await endpointEvents(seeded.name, sweepId)).filter((e) => e.type === 'tagged')).toHaveLength(1);
  });

  it('marks the endpoint config and models too when the sweep removes them, except what another endpoint uses', async () => {
    const sweepId = 'sweep-tag-removal';
    const seeded = seedEndpoint(env.world, 'tag-removal', 'multi-variant');
    const store = sagemakerStore(env.world, MEMBER, REGION);
    // Another endpoint serves model-b through its own config: removing (or marking) that model would hurt it.
    store.createEndpointConfig({
      EndpointConfigName: 'tag-removal-other-config',
      ProductionVariants: [{ VariantName: 'x', ModelName: seeded.models[1]!, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    });
    store.createEndpoint({ EndpointName: 'tag-removal-other', EndpointConfigName: 'tag-removal-other-config' }, { status: 'InService' });
    await putManifest(env.s3, sweepId, seeded.name);
    const from = addTags.length;

    await tagEndpoint(env.deps, {
      candidate: candidateFor(seeded, sweepId, env.clock.now(), 'multi-variant'),
      deletion: { deleteEndpointConfig: true, deleteModels: true },
    });

    const mark = { zombie: 'confirmed', 'zombie-sweep-id': sweepId };
    expect(tagsOf(arnOf('endpoint-config', seeded.configName))).toEqual(mark);
    expect(tagsOf(arnOf('model', seeded.models[0]!))).toEqual(mark);
    expect(tagsOf(arnOf('model', seeded.models[1]!))).toEqual({});
    expect(addTags.slice(from).at(-1)!.arn).toBe(seeded.arn);
    const [tagged] = (await endpointEvents(seeded.name, sweepId)).filter((e) => e.type === 'tagged');
    expect(tagged!.details).toMatchObject({
      children: [
        { kind: 'endpoint-config', name: seeded.configName, status: 'tagged' },
        { kind: 'model', name: seeded.models[0], status: 'tagged' },
      ],
      notMarked: [{ kind: 'model', name: seeded.models[1], reason: expect.stringContaining('another endpoint') }],
    });
  });

  it('un-marks the components again when the endpoint itself cannot be tagged', async () => {
    const sweepId = 'sweep-tag-unmark';
    const seeded = seedEndpoint(env.world, 'tag-unmark', 'inference-components');
    await putManifest(env.s3, sweepId, seeded.name);
    let call = 0;
    // The third AddTags is the endpoint's (after its two components).
    const fault = env.sim.traffic.inject({
      service: 'sagemaker',
      operation: 'AddTags',
      accountId: MEMBER,
      when: () => ++call === 3,
      error: { code: 'ValidationException', message: 'Tag limit exceeded' },
    });
    try {
      await expect(tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now(), 'inference-components') })).rejects.toMatchObject({
        name: 'ValidationException',
      });
    } finally {
      env.sim.traffic.remove(fault);
    }
    expect(tagsOf(seeded.arn)).toEqual({});
    for (const c of seeded.components) expect(tagsOf(arnOf('inference-component', c))).toEqual({});
  });

  it('is idempotent: a re-run changes nothing and writes no second event', async () => {
    const sweepId = 'sweep-tag-again';
    const seeded = seedEndpoint(env.world, 'tag-again', 'real-time');
    await putManifest(env.s3, sweepId, seeded.name);
    const input = { candidate: candidateFor(seeded, sweepId, env.clock.now()) };
    expect((await tagEndpoint(env.deps, input)).status).toBe('tagged');
    const calls = addTagsCalls();
    expect((await tagEndpoint(env.deps, input)).status).toBe('already-tagged');
    expect(addTagsCalls()).toBe(calls);
    expect((await endpointEvents(seeded.name, sweepId)).filter((e) => e.type === 'tagged')).toHaveLength(1);
  });

  it('refuses without a verified snapshot manifest, leaving the endpoint untouched', async () => {
    const sweepId = 'sweep-tag-nomanifest';
    const seeded = seedEndpoint(env.world, 'tag-nomanifest', 'real-time');
    const calls = addTagsCalls();
    await expect(tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now()) })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      reason: 'manifest-missing',
    });
    expect(addTagsCalls()).toBe(calls);
    expect(tagsOf(seeded.arn)).toEqual({});
    const [skipped] = await endpointEvents(seeded.name, sweepId);
    expect(skipped).toMatchObject({ type: 'skipped', details: { step: 'tag', check: 'manifest-missing' } });
  });

  it('refuses an endpoint protected since detection (zombie-protected), saying so in the audit trail, and tags nothing', async () => {
    const sweepId = 'sweep-tag-protected';
    const seeded = seedEndpoint(env.world, 'tag-protected', 'real-time');
    sagemakerStore(env.world, MEMBER, REGION).addTags(seeded.arn, [{ Key: 'Zombie-Protected', Value: 'yes' }]);
    await putManifest(env.s3, sweepId, seeded.name);
    await expect(tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now()) })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      reason: 'protected',
    });
    expect(tagsOf(seeded.arn)).toEqual({ 'Zombie-Protected': 'yes' });
    const history = await endpointEvents(seeded.name, sweepId);
    expect(history.map((e) => e.type)).toEqual(['skipped']);
    expect(history[0]).toMatchObject({ reason: expect.stringContaining('protected: tag Zombie-Protected=yes'), details: { step: 'tag', check: 'protected' } });
  });

  it('refuses an endpoint its owner exempted since detection', async () => {
    const sweepId = 'sweep-tag-exempt';
    const seeded = seedEndpoint(env.world, 'tag-exempt', 'real-time');
    sagemakerStore(env.world, MEMBER, REGION).addTags(seeded.arn, [{ Key: 'zombie-exempt', Value: 'true' }]);
    await putManifest(env.s3, sweepId, seeded.name);
    await expect(tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now()) })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      reason: 'exempt',
    });
    expect(tagsOf(seeded.arn)).toEqual({ 'zombie-exempt': 'true' });
  });

  it('refuses an endpoint that no longer exists', async () => {
    const sweepId = 'sweep-tag-gone';
    const seeded = seedEndpoint(env.world, 'tag-gone', 'real-time');
    await putManifest(env.s3, sweepId, seeded.name);
    sagemakerStore(env.world, MEMBER, REGION).state.endpoints.delete(seeded.name.toLowerCase());
    await expect(tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now()) })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      reason: 'endpoint-gone',
    });
  });

  it('names the offending field of a bad input', async () => {
    await expect(tagEndpoint(env.deps, { candidate: { sweepId: 'sweep-x' } })).rejects.toMatchObject({
      name: 'InputValidationError',
      field: 'candidate.accountId',
    });
  });
});
