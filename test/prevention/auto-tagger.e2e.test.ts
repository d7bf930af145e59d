import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  ListTagsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachAutoTagger, type LocalAutoTagger } from '../../local/prevention.ts';
import { cloudTrailBus } from '../../local/sim/cloudtrail.ts';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { buildWorld } from '../../local/sim/scenario/build.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { isoDate, DAY_MS } from '../../src/core/clock.ts';
import { tagListToMap } from '../../src/core/tags.ts';
import { missingPreventionTags, parseCreateCallEvent } from '../../src/prevention/auto-tag.ts';
import { MGMT, REGION, workflowScenario } from '../workflow/harness.ts';

let sim: Simulator;
let tagger: LocalAutoTagger;
let sagemaker: SageMakerClient;

beforeAll(async () => {
  sim = await startSimulator({ world: buildWorld(workflowScenario()) });
  tagger = attachAutoTagger(sim, { autoDeleteAfterDays: 90 });
  sagemaker = new SageMakerClient(sim.clientConfig());
  await sagemaker.send(
    new CreateModelCommand({
      ModelName: 'm',
      ExecutionRoleArn: `arn:aws:iam::${MGMT}:role/sm`,
      PrimaryContainer: { Image: '123.dkr.ecr.us-east-1.amazonaws.com/x:1' },
    }),
  );
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'cfg',
      ProductionVariants: [{ VariantName: 'v', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    }),
  );
});
afterAll(async () => {
  tagger.stop();
  await sim.stop();
});

const tagsOf = async (arn: string) => tagListToMap((await sagemaker.send(new ListTagsCommand({ ResourceArn: arn }))).Tags);

describe('the auto-tagger on new endpoints', () => {
  it('tags a new endpoint with its creator and a deadline 90 days out, from the CloudTrail event of the create call', async () => {
    const { EndpointArn } = await sagemaker.send(new CreateEndpointCommand({ EndpointName: 'fresh-demo', EndpointConfigName: 'cfg' }));
    await tagger.settle();
    const event = cloudTrailBus(sim.world).published.find((e) => e.detail.eventName === 'CreateEndpoint');
    expect(event?.detail.responseElements).toEqual({ endpointArn: EndpointArn });
    expect(await tagsOf(EndpointArn!)).toEqual({
      'created-by': event!.detail.userIdentity.arn,
      'auto-delete-after': isoDate(new Date(Date.parse(event!.time) + 90 * DAY_MS)),
    });
  });

  it('keeps what the creator set, adding only what is missing', async () => {
    const { EndpointArn } = await sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'owned', EndpointConfigName: 'cfg', Tags: [{ Key: 'Auto-Delete-After', Value: '2027-06-30' }] }),
    );
    await tagger.settle();
    const tags = await tagsOf(EndpointArn!);
    expect(tags['Auto-Delete-After']).toBe('2027-06-30');
    expect(tags['auto-delete-after']).toBeUndefined();
    expect(tags['created-by']).toMatch(/^arn:aws:/);

    const { EndpointArn: both } = await sagemaker.send(
      new CreateEndpointCommand({
        EndpointName: 'fully-owned',
        EndpointConfigName: 'cfg',
        Tags: [
          { Key: 'created-by', Value: 'team-nlp' },
          { Key: 'auto-delete-after', Value: '2027-01-01' },
        ],
      }),
    );
    await tagger.settle();
    expect(await tagsOf(both!)).toEqual({ 'created-by': 'team-nlp', 'auto-delete-after': '2027-01-01' });
    expect(tagger.outcomes.at(-1)).toMatchObject({ status: 'unchanged' });
  });

  it('tags new inference components too, and never reacts to its own tag writes', async () => {
    // Inference components need an endpoint whose config names no model and carries an execution role.
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'ic-cfg',
        ExecutionRoleArn: `arn:aws:iam::${MGMT}:role/sm`,
        ProductionVariants: [{ VariantName: 'v', InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1 }],
      }),
    );
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: 'ic-host', EndpointConfigName: 'ic-cfg' }));
    sagemakerStore(sim.world, MGMT, REGION).completePendingTransitions();
    const { InferenceComponentArn } = await sagemaker.send(
      new CreateInferenceComponentCommand({
        InferenceComponentName: 'ic-new',
        EndpointName: 'ic-host',
        VariantName: 'v',
        Specification: { ModelName: 'm' },
        RuntimeConfig: { CopyCount: 1 },
      }),
    );
    await tagger.settle();
    expect(Object.keys(await tagsOf(InferenceComponentArn!)).sort()).toEqual(['auto-delete-after', 'created-by']);
    const before = cloudTrailBus(sim.world).published.length;
    await sagemaker.send(new AddTagsCommand({ ResourceArn: InferenceComponentArn!, Tags: [{ Key: 'x', Value: 'y' }] }));
    await tagger.settle();
    expect(cloudTrailBus(sim.world).published.length).toBe(before);
    expect(cloudTrailBus(sim.world).failures).toEqual([]);
  });
});

describe('the auto-tagger rules', () => {
  const event = (over: Record<string, unknown> = {}) => ({
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.sagemaker',
    account: '222222222222',
    region: REGION,
    time: '2026-12-01T10:00:00Z',
    detail: {
      eventName: 'CreateEndpoint',
      userIdentity: { arn: 'arn:aws:sts::222222222222:assumed-role/Dev/jane@example.com' },
      responseElements: { endpointArn: 'arn:aws:sagemaker:us-east-1:222222222222:endpoint/x' },
      ...over,
    },
  });

  it('names the wrong field of anything that is not a create call event', () => {
    expect(parseCreateCallEvent({ ...event(), source: 'aws.s3' })).toEqual({ invalid: 'source' });
    expect(parseCreateCallEvent(event({ eventName: 'DeleteEndpoint' }))).toEqual({ invalid: 'detail.eventName' });
    expect(parseCreateCallEvent(event({ userIdentity: 'me' }))).toEqual({ invalid: 'detail.userIdentity' });
  });

  it('dates the deadline from the call, and keeps tag values within what SageMaker accepts', () => {
    const parsed = parseCreateCallEvent(event({ userIdentity: { arn: 'arn:aws:sts::2:assumed-role/Dev/jane#1' } }));
    if ('invalid' in parsed) throw new Error(parsed.invalid);
    expect(missingPreventionTags({}, parsed, { autoDeleteAfterDays: 30 })).toEqual({
      'created-by': 'arn:aws:sts::2:assumed-role/Dev/jane_1',
      'auto-delete-after': '2026-12-31',
    });
    expect(missingPreventionTags({ 'CREATED-BY': 'x' }, parsed, { autoDeleteAfterDays: 30 })).toEqual({ 'auto-delete-after': '2026-12-31' });
  });

  it('bundles small enough to live inline in the member StackSet template', async () => {
    const out = await build({
      entryPoints: ['functions/auto-tagger/handler.ts'],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      external: ['@aws-sdk/*'],
      write: false,
    });
    expect(out.outputFiles[0]!.contents.byteLength).toBeLessThan(6 * 1024);
  });
});
