/**
 * Shared setup for the snapshot, restore and audit suites: a simulated organization with a member
 * account holding model artifacts and endpoints of every kind, the archive bucket in the management
 * (hub) account, and a client factory that reaches the simulator through SDK v3 clients.
 */
import { spawn } from 'node:child_process';
import { S3Client } from '@aws-sdk/client-s3';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { World } from '../../local/sim/world.ts';
import { s3Store, type S3Store } from '../../local/sim/services/s3/store.ts';
import { sagemakerSettings, sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { scalingStore } from '../../local/sim/services/autoscaling.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { silentLog } from '../../src/core/log.ts';
import type { Candidate } from '../../src/core/schemas.ts';
import type { SnapshotDeps } from '../../src/cleanup/snapshot/snapshot.ts';

export const HUB = '111111111111';
export const MEMBER = '222222222222';
export const REGION = 'us-east-1';
export const ROLE = 'ZombieSweepMemberRole';
export const ARCHIVE = 'zombie-sweep-archive';
export const MODELS = 'ml-team-models-222222222222';
export const SWEEP = 'sweep-2025-01-31-a1b2';
export const EXEC_ROLE = `arn:aws:iam::${MEMBER}:role/SageMakerExecution`;
export const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310';

export function memberWorld(): World {
  const world = new World('o-snapshot01', HUB, 'r-snp1');
  const account = (id: string, name: string, roles: string[]) => ({
    id,
    name,
    email: `aws+${name}@example.com`,
    status: 'ACTIVE' as const,
    parentId: 'r-snp1',
    joinedAt: new Date('2021-01-01T00:00:00Z'),
    enabledRegions: [REGION],
    roles: new Map(roles.map((r) => [r, { name: r }])),
  });
  world.accounts.set(HUB, account(HUB, 'hub', []));
  world.accounts.set(MEMBER, account(MEMBER, 'ml-team', [ROLE]));
  return world;
}

export interface SnapshotEnv {
  sim: Simulator;
  world: World;
  store: S3Store;
  sagemaker: ReturnType<typeof sagemakerStore>;
  clock: ReturnType<typeof fixedClock>;
  factory: ClientFactory;
  s3: S3Client;
  deps(overrides?: Partial<SnapshotDeps>): SnapshotDeps;
  newFactory(options?: { maxAttempts?: number }): ClientFactory;
  stop(): Promise<void>;
}

export async function startSnapshotEnv(world: World = memberWorld()): Promise<SnapshotEnv> {
  sagemakerSettings(world).transitionDelayMs = 20;
  const sim = await startSimulator({ world });
  const store = s3Store(world);
  store.createBucket(ARCHIVE, { ownerAccountId: HUB, region: REGION, objectLockEnabled: true });
  store.createBucket(MODELS, { ownerAccountId: MEMBER, region: REGION });
  const config = sim.clientConfig(REGION);
  const newFactory = (options: { maxAttempts?: number } = {}) =>
    new ClientFactory({
      hubRegion: REGION,
      sessionName: 'snapshot-test',
      endpoint: sim.url,
      credentials: async () => config.credentials,
      s3ForcePathStyle: true,
      maxAttempts: options.maxAttempts ?? 3,
    });
  const factory = newFactory();
  const clock = fixedClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));
  return {
    sim,
    world,
    store,
    sagemaker: sagemakerStore(world, MEMBER, REGION),
    clock,
    factory,
    s3: new S3Client(config),
    deps: (overrides = {}) => ({ factory, archiveBucket: ARCHIVE, archiveRegion: REGION, clock, log: silentLog, ...overrides }),
    newFactory,
    stop: () => sim.stop(),
  };
}

export function candidateFor(name: string, overrides: Partial<Candidate> = {}): Candidate {
  return {
    sweepId: SWEEP,
    accountId: MEMBER,
    region: REGION,
    endpointName: name,
    endpointArn: `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/${name}`,
    endpointType: 'real-time',
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    monthlyCostUsd: 83.95,
    idleSince: 'never',
    detectedAt: new Date(Date.now() - 3_600_000).toISOString(),
    roleName: ROLE,
    ...overrides,
  };
}

const OLD = { creationTime: new Date('2024-06-01T00:00:00Z'), lastModifiedTime: new Date('2024-06-01T00:00:00Z') };

/** Puts small, distinct artifact bytes and returns their s3:// URI. */
export function artifact(env: SnapshotEnv, key: string, opts: { sseKmsKeyId?: string; size?: number } = {}): string {
  const body = Buffer.from(`${key}:`.repeat(Math.max(1, Math.ceil((opts.size ?? 64) / (key.length + 1)))));
  env.store.putObject(MODELS, key, body, opts.sseKmsKeyId ? { sseKmsKeyId: opts.sseKmsKeyId } : {});
  return `s3://${MODELS}/${key}`;
}

export function tree(env: SnapshotEnv, prefix: string, count: number): string {
  for (let i = 0; i < count; i++) env.store.putObject(MODELS, `${prefix}part-${String(i).padStart(5, '0')}.bin`, `${prefix}${i}`);
  return `s3://${MODELS}/${prefix}`;
}

export function deploy(
  env: SnapshotEnv,
  name: string,
  models: Array<Record<string, unknown> & { ModelName: string }>,
  config: Record<string, unknown> & { ProductionVariants: unknown[] },
  tags: Record<string, string> = { team: 'fraud', owner: 'alice@example.com' },
): void {
  for (const model of models) env.sagemaker.createModel({ ExecutionRoleArn: EXEC_ROLE, ...model }, OLD);
  env.sagemaker.createEndpointConfig({ EndpointConfigName: `${name}-config`, ...config }, OLD);
  env.sagemaker.createEndpoint(
    { EndpointName: name, EndpointConfigName: `${name}-config`, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
    { ...OLD, status: 'InService' },
  );
}

/** One endpoint of each kind the snapshot must handle; returns name -> endpoint type. */
export function deployEveryKind(env: SnapshotEnv): Record<string, Candidate['endpointType']> {
  deploy(env, 'fraud-detector-v2', [{ ModelName: 'fraud-v2', PrimaryContainer: { Image: IMAGE, ModelDataUrl: artifact(env, 'fraud/v2/model.tar.gz') } }], {
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'fraud-v2', InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }],
  });
  const scaling = scalingStore(env.world, MEMBER, REGION);
  const variant = {
    ServiceNamespace: 'sagemaker',
    ResourceId: 'endpoint/fraud-detector-v2/variant/AllTraffic',
    ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
  };
  scaling.register({ ...variant, MinCapacity: 2, MaxCapacity: 6 });
  scaling.putPolicy({
    ...variant,
    PolicyName: 'invocations-per-instance',
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: 70,
      PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
    },
  } as never);
  deploy(
    env,
    'ranker-ab-test',
    [
      {
        ModelName: 'ranker-a',
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataUrl: artifact(env, 'ranker/a/model.tar.gz', { sseKmsKeyId: `arn:aws:kms:${REGION}:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab` }),
        },
      },
      {
        ModelName: 'ranker-b-pipeline',
        Containers: [
          { Image: IMAGE, ModelDataUrl: artifact(env, 'ranker/b/preprocess.tar.gz') },
          {
            Image: IMAGE,
            ModelDataSource: { S3DataSource: { S3Uri: artifact(env, 'ranker/b/model.tar.gz'), S3DataType: 'S3Object', CompressionType: 'Gzip' } },
            AdditionalModelDataSources: [
              { ChannelName: 'adapter', S3DataSource: { S3Uri: tree(env, 'ranker/b/adapter/', 3), S3DataType: 'S3Prefix', CompressionType: 'None' } },
            ],
          },
        ],
      },
      {
        ModelName: 'ranker-jumpstart',
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataSource: {
            S3DataSource: { S3Uri: 's3://jumpstart-cache-prod-us-east-1/huggingface-llm/v1/', S3DataType: 'S3Prefix', CompressionType: 'None' },
          },
        },
      },
    ],
    {
      ProductionVariants: [
        { VariantName: 'VariantA', ModelName: 'ranker-a', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 0.5 },
        { VariantName: 'VariantB', ModelName: 'ranker-b-pipeline', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 3, InitialVariantWeight: 0.4 },
        { VariantName: 'VariantJS', ModelName: 'ranker-jumpstart', InstanceType: 'ml.g5.2xlarge', InitialInstanceCount: 1, InitialVariantWeight: 0.1 },
      ],
    },
  );
  deploy(
    env,
    'catalog-mme',
    [{ ModelName: 'catalog-mme', PrimaryContainer: { Image: IMAGE, Mode: 'MultiModel', ModelDataUrl: tree(env, 'catalog/mme/', 5) } }],
    {
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'catalog-mme', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 }],
    },
  );
  deploy(
    env,
    'doc-summarizer-async',
    [
      {
        ModelName: 'summarizer',
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataSource: { S3DataSource: { S3Uri: artifact(env, 'summarizer/model.tar.gz'), S3DataType: 'S3Object', CompressionType: 'Gzip' } },
        },
      },
    ],
    {
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'summarizer', InstanceType: 'ml.g4dn.xlarge', InitialInstanceCount: 1 }],
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: `s3://${MODELS}/async-output/` }, ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 } },
    },
  );
  deploy(
    env,
    'churn-serverless',
    [
      {
        ModelName: 'churn',
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataSource: { S3DataSource: { S3Uri: tree(env, 'churn/uncompressed/', 4), S3DataType: 'S3Prefix', CompressionType: 'None' } },
        },
      },
    ],
    {
      ProductionVariants: [
        { VariantName: 'AllTraffic', ModelName: 'churn', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5, ProvisionedConcurrency: 2 } },
      ],
    },
  );
  deploy(env, 'llm-hub-ic', [{ ModelName: 'llm-base', PrimaryContainer: { Image: IMAGE, ModelDataUrl: artifact(env, 'llm/base/model.tar.gz') } }], {
    ExecutionRoleArn: EXEC_ROLE,
    ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.g5.2xlarge', InitialInstanceCount: 1 }],
  });
  env.sagemaker.createInferenceComponent(
    {
      InferenceComponentName: 'llm-base-ic',
      EndpointName: 'llm-hub-ic',
      VariantName: 'AllTraffic',
      Specification: { ModelName: 'llm-base', ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024 } },
      RuntimeConfig: { CopyCount: 1 },
    },
    { ...OLD, status: 'InService' },
  );
  env.sagemaker.createInferenceComponent(
    {
      InferenceComponentName: 'llm-adapter-ic',
      EndpointName: 'llm-hub-ic',
      VariantName: 'AllTraffic',
      Specification: {
        Container: { Image: IMAGE, ArtifactUrl: artifact(env, 'llm/adapter/model.tar.gz') },
        ComputeResourceRequirements: { MinMemoryRequiredInMb: 512 },
      },
      RuntimeConfig: { CopyCount: 2 },
    },
    { ...OLD, status: 'InService' },
  );
  return {
    'fraud-detector-v2': 'real-time',
    'ranker-ab-test': 'real-time',
    'catalog-mme': 'multi-model',
    'doc-summarizer-async': 'async',
    'churn-serverless': 'serverless',
    'llm-hub-ic': 'inference-components',
  };
}

/**
 * Runs `node bin/zombie-sweep.mjs ...` as a child process (asynchronously: the simulator answering it
 * lives in this process, so a synchronous spawn would deadlock).
 */
export function runCli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const root = new URL('../..', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/zombie-sweep.mjs', ...args], {
      cwd: root,
      env: { ...process.env, ...env, ZOMBIE_SWEEP_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
