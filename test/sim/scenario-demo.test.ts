import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  ListInferenceComponentsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { S3Client, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { DEMO_ACCOUNTS, buildWorld, demoScenario, loadScenario } from '../../local/sim/scenario/index.ts';
import { s3Store } from '../../local/sim/services/s3/store.ts';
import { sagemakerSettings } from '../../local/sim/services/sagemaker/store.ts';

const DAY = 86_400_000;
const US = 'us-east-1';
const EU = 'eu-west-1';
let sim: Simulator;

async function memberCredentials(accountId: string) {
  const sts = new STSClient(sim.clientConfig());
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/ZombieSweepMemberRole`, RoleSessionName: 'demo-test' }));
  sts.destroy();
  return { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
}

async function clientsFor(accountId: string, region: string) {
  const config = { ...sim.clientConfig(region), credentials: await memberCredentials(accountId) };
  return { sm: new SageMakerClient(config), cw: new CloudWatchClient(config), aas: new ApplicationAutoScalingClient(config), s3: new S3Client(config) };
}

const daily = (id: string, metricName: string, dimensions: Record<string, string>): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: 'AWS/SageMaker', MetricName: metricName, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) },
    Period: 86_400,
    Stat: 'Sum',
  },
});

beforeAll(async () => {
  sim = await startSimulator({ world: buildWorld(loadScenario('demo')) });
});
afterAll(async () => {
  await sim.stop();
});

describe('the demo scenario', () => {
  it('describes a realistic organization: nested OUs, member roles, two regions, 20 endpoints of every kind', () => {
    const world = sim.world;
    expect(world.organizationId).toBe('o-a1b2c3d4e5');
    expect(world.accounts.size).toBe(4);
    expect(world.ous.get('ou-a1b2-production')?.parentId).toBe('ou-a1b2-workloads');
    for (const account of world.accounts.values()) {
      expect(account.roles.has('ZombieSweepMemberRole')).toBe(true);
      expect(account.enabledRegions).toEqual([US, EU]);
    }
    expect(sagemakerSettings(world).transitionDelayMs).toBe(300);
    expect(demoScenario.endpoints).toHaveLength(20);
    expect(new Set(demoScenario.endpoints.map((e) => e.type))).toEqual(new Set(['real-time', 'multi-model', 'async', 'serverless', 'inference-components']));
    const verdicts = demoScenario.endpoints.flatMap((e) => (e.expect ? [e.expect.verdict] : []));
    expect(new Set(verdicts)).toEqual(new Set(['zombie', 'active', 'too-new', 'exempt', 'not-billable']));
    expect(verdicts.filter((v) => v === 'zombie')).toHaveLength(7);
  });

  it('serves each account its own endpoints, with instance types only in the endpoint config', async () => {
    const { sm } = await clientsFor(DEMO_ACCOUNTS.dev, US);
    const listed = await sm.send(new ListEndpointsCommand({ StatusEquals: 'InService', SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(listed.Endpoints?.map((e) => e.EndpointName)).toEqual([
      'churn-model-poc',
      'fraud-detector-v1',
      'fraud-detector-v2-staging',
      'llm-summarizer-demo',
      'sentiment-ab-test',
    ]);
    const fraud = await sm.send(new DescribeEndpointCommand({ EndpointName: 'fraud-detector-v1' }));
    expect(fraud.EndpointStatus).toBe('InService');
    expect(Date.now() - fraud.CreationTime!.getTime()).toBeGreaterThan(209 * DAY);
    expect(fraud.ProductionVariants?.[0]?.CurrentInstanceCount).toBe(1);
    const config = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: fraud.EndpointConfigName! }));
    expect(config.ProductionVariants?.[0]?.InstanceType).toBe('ml.g4dn.xlarge');
    const llm = await sm.send(new DescribeModelCommand({ ModelName: 'llm-summarizer-demo-AllTraffic' }));
    expect(llm.PrimaryContainer?.ModelDataSource?.S3DataSource).toMatchObject({ S3DataType: 'S3Prefix', CompressionType: 'None' });
    sm.destroy();
  });

  it('puts the artifacts in S3, including a shard over 5 GiB and a tree of multi-model archives', async () => {
    const store = s3Store(sim.world);
    expect(store.head('acme-genai-dev-artifacts', 'llm-summarizer/mistral-7b/model-00002-of-00002.safetensors')?.size).toBe(5_400_000_000);
    expect(store.listKeys('acme-ml-models-prod', 'image-moderation/models/')).toHaveLength(12);
    const { s3 } = await clientsFor(DEMO_ACCOUNTS.dev, US);
    const head = await s3.send(new HeadObjectCommand({ Bucket: `sagemaker-${US}-${DEMO_ACCOUNTS.dev}`, Key: 'fraud-detector/v1/model.tar.gz' }));
    expect(head.ContentLength).toBe(310 * 1024 * 1024);
    const tree = await s3.send(new ListObjectsV2Command({ Bucket: 'acme-genai-dev-artifacts', Prefix: 'llm-summarizer/mistral-7b/' }));
    expect(tree.KeyCount).toBe(4);
    s3.destroy();
  });

  it('publishes traffic where SageMaker does: per variant, per inference component, async processed', async () => {
    const dev = await clientsFor(DEMO_ACCOUNTS.dev, US);
    const window = { StartTime: new Date(Date.now() - 30 * DAY), EndTime: new Date() };
    const sentiment = await dev.cw.send(
      new GetMetricDataCommand({
        ...window,
        MetricDataQueries: [
          daily('control', 'Invocations', { EndpointName: 'sentiment-ab-test', VariantName: 'control' }),
          daily('challenger', 'Invocations', { EndpointName: 'sentiment-ab-test', VariantName: 'challenger' }),
          daily('endpoint', 'Invocations', { EndpointName: 'sentiment-ab-test' }),
        ],
      }),
    );
    const sum = (id: string, out = sentiment) => out.MetricDataResults!.find((r) => r.Id === id)!.Values!.reduce((a: number, b: number) => a + b, 0);
    expect(sum('control')).toBe(0);
    expect(sum('challenger')).toBe(800 * 30);
    expect(sum('endpoint')).toBe(0);

    const prod = await clientsFor(DEMO_ACCOUNTS.prod, US);
    const genai = await prod.cw.send(
      new GetMetricDataCommand({
        ...window,
        MetricDataQueries: [
          daily('variant', 'Invocations', { EndpointName: 'genai-platform', VariantName: 'main' }),
          daily('chat', 'Invocations', { InferenceComponentName: 'chat-assistant' }),
          daily('embedder', 'Invocations', { InferenceComponentName: 'embedder' }),
          daily('claims', 'InvocationsProcessed', { EndpointName: 'claims-ocr-async', VariantName: 'AllTraffic' }),
          daily('claims_endpoint_only', 'InvocationsProcessed', { EndpointName: 'claims-ocr-async' }),
          daily('claims_invocations', 'Invocations', { EndpointName: 'claims-ocr-async', VariantName: 'AllTraffic' }),
          daily('ranker', 'Invocations', { EndpointName: 'search-ranker-v3', VariantName: 'AllTraffic' }),
        ],
      }),
    );
    expect(sum('variant', genai)).toBe(0);
    expect(sum('chat', genai)).toBe(5000 * 30);
    expect(sum('embedder', genai)).toBe(0);
    expect(sum('claims', genai)).toBe(40 * 30);
    expect(sum('claims_endpoint_only', genai)).toBe(0);
    expect(sum('claims_invocations', genai)).toBe(0);
    expect(sum('ranker', genai)).toBe(5400);
    const components = await prod.sm.send(new ListInferenceComponentsCommand({ EndpointNameEquals: 'genai-platform' }));
    expect(components.InferenceComponents?.map((c) => c.InferenceComponentName).sort()).toEqual(['chat-assistant', 'embedder']);
    const targets = await prod.aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
    expect(targets.ScalableTargets?.map((t) => t.ResourceId)).toEqual(['endpoint/recommendations-prod/variant/AllTraffic']);
    const recommendations = await prod.sm.send(new DescribeEndpointCommand({ EndpointName: 'recommendations-prod' }));
    expect(recommendations.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 3, DesiredInstanceCount: 3 });

    const eu = await clientsFor(DEMO_ACCOUNTS.prod, EU);
    const recsys = await eu.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 455 * DAY),
        EndTime: new Date(),
        MetricDataQueries: [daily('recsys', 'Invocations', { EndpointName: 'recsys-ab-test-2024', VariantName: 'AllTraffic' })],
      }),
    );
    const last = recsys.MetricDataResults![0]!;
    expect(last.Values).toEqual([1800]);
    const age = (Date.now() - last.Timestamps![0]!.getTime()) / DAY;
    expect(age).toBeGreaterThan(39);
    expect(age).toBeLessThan(42);
    for (const c of [dev, prod, eu]) for (const client of Object.values(c)) client.destroy();
  });
});
