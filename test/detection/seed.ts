import { metricStore } from '../../local/sim/services/cloudwatch/store.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { World, type SimAccount } from '../../local/sim/world.ts';

/**
 * Seeds endpoints of every kind straight into the simulator's stores (the same code paths its API
 * handlers use), with creation times and daily invocation histories relative to a fixed `now`.
 */
export const DAY = 86_400_000;
export const ROLE = 'ZombieSweepMemberRole';

export function member(id: string, regions: string[], over: Partial<SimAccount> = {}): SimAccount {
  return {
    id,
    name: `acct-${id}`,
    email: `${id}@example.com`,
    status: 'ACTIVE',
    parentId: 'r-test',
    joinedAt: new Date('2022-01-01T00:00:00Z'),
    enabledRegions: regions,
    roles: new Map([[ROLE, { name: ROLE }]]),
    ...over,
  };
}

export function orgWorld(now: Date, accounts: SimAccount[]): World {
  const world = new World('o-test12345', accounts[0]!.id, 'r-test', 'us-east-1', () => new Date(now));
  for (const a of accounts) world.accounts.set(a.id, a);
  return world;
}

export interface VariantSeed {
  name: string;
  instanceType?: string;
  count?: number;
  serverless?: { memorySizeInMB: number; maxConcurrency: number; provisionedConcurrency?: number };
}

export interface EndpointSeed {
  name: string;
  variants?: VariantSeed[];
  createdDaysAgo?: number;
  updatedDaysAgo?: number;
  tags?: Record<string, string>;
  async?: boolean;
  multiModel?: boolean;
  /** Inference components to deploy (the endpoint then hosts components, not a model). */
  components?: { name: string; createdDaysAgo?: number }[];
  /** Variant name -> instances running now (e.g. 0 for an async endpoint scaled in). */
  currentCounts?: Record<string, number>;
  /** Shares an existing endpoint config instead of creating one. */
  configName?: string;
}

export class Seeder {
  constructor(
    readonly world: World,
    readonly now: Date,
  ) {}

  private ago(days: number): Date {
    return new Date(this.now.getTime() - days * DAY);
  }

  endpoint(accountId: string, region: string, seed: EndpointSeed): string {
    const store = sagemakerStore(this.world, accountId, region);
    const created = this.ago(seed.createdDaysAgo ?? 200);
    const variants = seed.variants ?? [{ name: 'AllTraffic', instanceType: 'ml.m5.large', count: 1 }];
    const configName = seed.configName ?? `${seed.name}-config`;
    if (!seed.configName) {
      const forComponents = seed.components !== undefined;
      const modelName = `${seed.name}-model`;
      if (!forComponents) {
        store.createModel(
          {
            ModelName: modelName,
            ExecutionRoleArn: `arn:aws:iam::${accountId}:role/sm-exec`,
            PrimaryContainer: {
              Image: '763104330519.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu',
              ModelDataUrl: `s3://models-${accountId}/${seed.name}/model.tar.gz`,
              ...(seed.multiModel ? { Mode: 'MultiModel' } : {}),
            },
          },
          { creationTime: created },
        );
      }
      store.createEndpointConfig(
        {
          EndpointConfigName: configName,
          ProductionVariants: variants.map((v) => ({
            VariantName: v.name,
            ...(forComponents ? {} : { ModelName: modelName }),
            ...(v.serverless
              ? {
                  ServerlessConfig: {
                    MemorySizeInMB: v.serverless.memorySizeInMB,
                    MaxConcurrency: v.serverless.maxConcurrency,
                    ...(v.serverless.provisionedConcurrency ? { ProvisionedConcurrency: v.serverless.provisionedConcurrency } : {}),
                  },
                }
              : { InstanceType: v.instanceType ?? 'ml.m5.large', InitialInstanceCount: v.count ?? 1 }),
          })),
          ...(forComponents ? { ExecutionRoleArn: `arn:aws:iam::${accountId}:role/sm-exec` } : {}),
          ...(seed.async ? { AsyncInferenceConfig: { OutputConfig: { S3OutputPath: `s3://async-${accountId}/out/` } } } : {}),
        },
        { creationTime: created },
      );
    }
    const endpoint = store.createEndpoint(
      { EndpointName: seed.name, EndpointConfigName: configName, Tags: Object.entries(seed.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) },
      {
        status: 'InService',
        creationTime: created,
        lastModifiedTime: this.ago(seed.updatedDaysAgo ?? seed.createdDaysAgo ?? 200),
        currentInstanceCounts: seed.currentCounts,
      },
    );
    for (const component of seed.components ?? []) {
      store.createModel({
        ModelName: `${component.name}-model`,
        ExecutionRoleArn: `arn:aws:iam::${accountId}:role/sm-exec`,
        PrimaryContainer: { Image: 'img:latest', ModelDataUrl: `s3://models-${accountId}/${component.name}.tar.gz` },
      });
      const componentCreated = this.ago(component.createdDaysAgo ?? seed.createdDaysAgo ?? 200);
      store.createInferenceComponent(
        {
          InferenceComponentName: component.name,
          EndpointName: seed.name,
          VariantName: variants[0]!.name,
          Specification: { ModelName: `${component.name}-model` },
          RuntimeConfig: { CopyCount: 1 },
        },
        { status: 'InService', creationTime: componentCreated },
      );
    }
    return endpoint.arn;
  }

  /** Daily sums of a metric `daysAgo` days back (the simulator stores each at 12:00 UTC of that day). */
  invocations(accountId: string, region: string, dimensions: Record<string, string>, days: Record<number, number>, metricName = 'Invocations'): void {
    const sums = new Map<string, number>();
    for (const [daysAgo, count] of Object.entries(days)) sums.set(this.ago(Number(daysAgo)).toISOString().slice(0, 10), count);
    metricStore(this.world, accountId, region).putDailySums(
      'AWS/SageMaker',
      metricName,
      Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      sums,
    );
  }

  variantInvocations(accountId: string, region: string, endpoint: string, variant: string, days: Record<number, number>, metricName = 'Invocations'): void {
    this.invocations(accountId, region, { EndpointName: endpoint, VariantName: variant }, days, metricName);
  }
}
