/**
 * Tag, reject and delete under the member capability roles' real IAM policies (policies/member-*-policy.json):
 * the tag step and rejection through the tag capability, deletion through the delete capability whose
 * session carries the sweep id.
 * The simulator does not evaluate IAM, so every SageMaker call the member-account client sends is
 * first decided by the IAM simulator (@cloud-copilot/iam-simulate, as in test/policies/) with the
 * resource's current tags as `aws:ResourceTag/*` and the written keys as `aws:TagKeys`; a refusal
 * answers AccessDeniedException as AWS would, before the call reaches the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteInferenceComponentCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { deleteEndpoint } from '../../src/cleanup/delete.ts';
import { scaleEndpointToZero } from '../../src/cleanup/scale-to-zero-step.ts';
import { markRejected } from '../../src/cleanup/reject.ts';
import { decide, memberRole, type Caller } from '../policies/simulate.ts';
import { deleteSessionTags } from '../../src/core/capabilities.ts';
import type { TargetRef } from '../../src/core/clients.ts';
import { deleteTargetOf, tagTargetOf } from '../../src/cleanup/endpoint.ts';
import {
  recordApproval,
  MEMBER,
  REGION,
  ROLE,
  candidateFor,
  putManifest,
  seedEndpoint,
  startCleanupEnv,
  type CleanupEnv,
  type EndpointKind,
} from './actions-fixtures.ts';

let env: CleanupEnv;
let counter = 0;
/** Calls the policy refused, as `Operation resource`. */
const refused: string[] = [];
const HOUR = 3_600_000;

const sm = () => sagemakerStore(env.world, MEMBER, REGION);
const arnOf = (kind: string, name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:${kind}/${name.toLowerCase()}`;

/** The resource IAM authorizes a SageMaker call against (List* calls are not resource-scoped). */
function resourceOf(input: Record<string, unknown>): string {
  if (typeof input.ResourceArn === 'string') return input.ResourceArn;
  if (typeof input.InferenceComponentName === 'string') return arnOf('inference-component', input.InferenceComponentName);
  if (typeof input.EndpointConfigName === 'string') return arnOf('endpoint-config', input.EndpointConfigName);
  if (typeof input.ModelName === 'string') return arnOf('model', input.ModelName);
  if (typeof input.EndpointName === 'string') return arnOf('endpoint', input.EndpointName);
  return '*';
}

/**
 * Puts a member capability role's policies in front of a client the product code will get from the
 * factory (it caches clients per account, region, role and session tags, so this is the same instance).
 */
function guard(target: TargetRef, caller: Caller): void {
  const sagemaker = env.deps.clients.target(SageMakerClient, target);
  sagemaker.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      const resource = resourceOf(input);
      const tags = resource === '*' ? {} : sm().tagsOf(resource);
      const request: Record<string, string | string[]> = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
      if (operation === 'AddTags') {
        const written = input.Tags as { Key: string; Value: string }[];
        request['aws:TagKeys'] = written.map((t) => t.Key);
        for (const tag of written) request[`aws:RequestTag/${tag.Key}`] = tag.Value;
      }
      if (operation === 'DeleteTags') request['aws:TagKeys'] = input.TagKeys as string[];
      const decision = await decide(caller, { action: `sagemaker:${operation}`, resource, resourceAccount: MEMBER, context: request });
      if (decision !== 'Allowed') {
        refused.push(`${operation} ${resource}`);
        const error = new Error(`User: ${caller.roleName} is not authorized to perform: sagemaker:${operation} on resource: ${resource} (${decision})`);
        throw Object.assign(error, { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
      }
      return next(args);
    },
    { step: 'initialize', name: 'memberCapabilityPolicy' },
  );
}

const reach = { accountId: MEMBER, region: REGION, roleName: ROLE };
/** The delete capability's session for one sweep, guarded by its policies with the sweep id as session tag. */
function guardDeleteSession(sweepId: string): Caller {
  const caller = memberRole(MEMBER, 'delete', deleteSessionTags(sweepId));
  guard(deleteTargetOf({ ...reach, sweepId }), caller);
  return caller;
}

beforeAll(async () => {
  env = await startCleanupEnv();
  guard(tagTargetOf(reach), memberRole(MEMBER, 'tag'));
});
afterAll(() => env.stop());

async function taggedZombie(kind: EndpointKind, deletion = { deleteEndpointConfig: false, deleteModels: false }) {
  const sweepId = `sweep-iam-${++counter}`;
  const seeded = seedEndpoint(env.world, `iam-${counter}-${kind}`, kind);
  const candidate = candidateFor(seeded, sweepId, new Date(env.clock.now().getTime() - 48 * HOUR), kind);
  await putManifest(env.s3, sweepId, seeded.name);
  const tagged = await tagEndpoint(env.deps, { candidate, requestedBy: 'platform-team', deletion });
  const deleter = guardDeleteSession(sweepId);
  return { sweepId, seeded, candidate, tagged: tagged.candidate, deleter };
}

async function approve(sweepId: string, endpointArn: string) {
  await recordApproval(env, sweepId, { approved: [endpointArn] });
}

describe('cleanup under the member role policy', () => {
  it('the policy refuses deleting an inference component that is not marked itself (what the tag step prevents)', async () => {
    const seeded = seedEndpoint(env.world, 'iam-unmarked', 'inference-components');
    sm().addTags(seeded.arn, [
      { Key: 'zombie', Value: 'confirmed' },
      { Key: 'zombie-sweep-id', Value: 'sweep-iam-unmarked' },
    ]);
    guardDeleteSession('sweep-iam-unmarked');
    const sagemaker = env.deps.clients.target(SageMakerClient, deleteTargetOf({ ...reach, sweepId: 'sweep-iam-unmarked' }));
    const from = refused.length;
    await expect(sagemaker.send(new DeleteInferenceComponentCommand({ InferenceComponentName: seeded.components[0]! }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    expect(refused.slice(from)).toEqual([`DeleteInferenceComponent ${arnOf('inference-component', seeded.components[0]!)}`]);
    expect(sm().getInferenceComponent(seeded.components[0]!)!.status).toBe('InService');
  });

  it('tags, then deletes an inference-component endpoint with every call allowed', async () => {
    const from = refused.length;
    const { sweepId, seeded, candidate } = await taggedZombie('inference-components');
    await approve(sweepId, seeded.arn);

    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'deleted' });

    expect(refused.slice(from)).toEqual([]);
    expect(sm().getEndpoint(seeded.name)).toBeUndefined();
    for (const ic of seeded.components) expect(sm().getInferenceComponent(ic)).toBeUndefined();
  });

  it('removes the endpoint config and models when the sweep asks, with every call allowed', async () => {
    const from = refused.length;
    const removal = { deleteEndpointConfig: true, deleteModels: true };
    const { sweepId, seeded, candidate } = await taggedZombie('multi-variant', removal);
    await approve(sweepId, seeded.arn);

    expect(await deleteEndpoint(env.deps, { candidate, deletion: removal })).toMatchObject({ status: 'deleted' });

    expect(refused.slice(from)).toEqual([]);
    expect(sm().getEndpointConfig(seeded.configName)).toBeUndefined();
    for (const model of seeded.models) expect(sm().getModel(model)).toBeUndefined();
  });

  it("a rejection leaves nothing deletable by the sweep's delete session", async () => {
    const from = refused.length;
    const { seeded, tagged, deleter } = await taggedZombie('inference-components', { deleteEndpointConfig: true, deleteModels: true });
    expect(await markRejected(env.deps, tagged, { actor: 'bob@example.com', decidedAt: env.clock.now().toISOString() }, 90)).toMatchObject({
      status: 'tagged',
    });

    expect(refused.slice(from)).toEqual([]);
    const children = [...seeded.components.map((c) => arnOf('inference-component', c)), arnOf('endpoint-config', seeded.configName)];
    for (const arn of [seeded.arn, ...children]) {
      const action = arn.includes(':inference-component/')
        ? 'DeleteInferenceComponent'
        : arn.includes(':endpoint/')
          ? 'DeleteEndpoint'
          : 'DeleteEndpointConfig';
      const context = Object.fromEntries(Object.entries(sm().tagsOf(arn)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
      expect(await decide(deleter, { action: `sagemaker:${action}`, resource: arn, resourceAccount: MEMBER, context }), arn).not.toBe('Allowed');
    }
  });
});

describe('scale to zero under the member role policies', () => {
  it.each(['async', 'inference-components'] as const)('scales an approved %s endpoint to zero and tags it with every SageMaker call allowed', async (kind) => {
    const from = refused.length;
    const { sweepId, seeded, candidate } = await taggedZombie(kind);
    if (kind === 'inference-components') {
      for (const variant of sm().getEndpointConfig(seeded.configName)!.spec.ProductionVariants)
        Object.assign(variant, { ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 } });
    }
    await recordApproval(env, sweepId, { approved: [seeded.arn], scaleToZero: [seeded.arn] });

    expect(await scaleEndpointToZero(env.deps, { candidate })).toMatchObject({ status: 'scaled-to-zero' });

    expect(refused.slice(from)).toEqual([]);
    expect(sm().tagsOf(seeded.arn)).toMatchObject({ zombie: 'scaled-to-zero', 'zombie-sweep-id': sweepId });
  });
});
