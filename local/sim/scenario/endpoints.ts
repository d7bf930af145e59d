import { scalingStore } from '../services/autoscaling.ts';
import { metricStore, DAY_MS, type Dimension } from '../services/cloudwatch/store.ts';
import { sagemakerStore, type EndpointStatus } from '../services/sagemaker/store.ts';
import type { World } from '../world.ts';
import { putArtifact } from './artifacts.ts';
import type { ArtifactSpec, ContainerSpec, EndpointSpec, HistoryEntry, ModelSpec } from './schema.ts';

/**
 * Seeds one scenario endpoint: artifacts in S3, models, endpoint config, the endpoint itself (InService,
 * backdated), its inference components, auto scaling targets, and the CloudWatch history SageMaker
 * would have published for it. Metric names and dimensions follow the SageMaker docs:
 * - real-time, multi-model and serverless variants: `Invocations` under {EndpointName, VariantName}
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation);
 * - inference components: `Invocations` under {InferenceComponentName} only
 *   (same page, "SageMaker AI inference component metrics");
 * - asynchronous endpoints: `InvocationsProcessed` under {EndpointName, VariantName}, on the first
 *   production variant; they do not publish Invocations. The async-inference-monitor page lists the
 *   metric among those "published with the EndpointName and VariantName dimensions" (spelt there
 *   `InvocationsProcesssed`, a typo; the metric is `InvocationsProcessed`)
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html).
 */
export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';
/** Minutes an endpoint took to come InService: its LastModifiedTime after CreationTime. */
const DEPLOY_MINUTES = 7;

export interface SeedContext {
  /** The build's "now" (epoch ms): every relative time is counted back from it. */
  now: number;
  seed: number;
}

/** Daily sums at the middle of each day back from now, so "N days ago" sits clearly inside or outside an N-day window. */
export function historyPoints(history: HistoryEntry[] | undefined, now: number): { date: Date; sum: number }[] {
  const points: { date: Date; sum: number }[] = [];
  for (const entry of history ?? []) {
    const [a, b] = typeof entry.daysAgo === 'number' ? [entry.daysAgo, entry.daysAgo] : entry.daysAgo;
    if (entry.perDay === 0) continue;
    for (let day = Math.min(a, b); day <= Math.max(a, b); day++) points.push({ date: new Date(now - (day + 0.5) * DAY_MS), sum: entry.perDay });
  }
  return points;
}

function containerInput(container: ContainerSpec, endpointType: EndpointSpec['type']): Record<string, unknown> {
  const out: Record<string, unknown> = container.modelPackageName ? { ModelPackageName: container.modelPackageName } : { Image: container.image };
  const mode = container.mode ?? (endpointType === 'multi-model' ? 'MultiModel' : undefined);
  if (mode) out.Mode = mode;
  const artifact = container.artifact;
  if (artifact) {
    if (artifact.as === 'ModelDataUrl') out.ModelDataUrl = artifact.uri;
    else out.ModelDataSource = { S3DataSource: s3DataSource(artifact) };
  }
  if (container.additional)
    out.AdditionalModelDataSources = container.additional.map((a) => ({ ChannelName: a.channel, S3DataSource: s3DataSource(a.artifact) }));
  if (container.environment) out.Environment = { ...container.environment };
  return out;
}

function s3DataSource(artifact: ArtifactSpec): Record<string, unknown> {
  const prefix = artifact.as === 'S3Prefix' || artifact.uri.endsWith('/');
  return { S3Uri: artifact.uri, S3DataType: prefix ? 'S3Prefix' : 'S3Object', CompressionType: !prefix && artifact.uri.endsWith('.tar.gz') ? 'Gzip' : 'None' };
}

function artifactsOf(model: ModelSpec): ArtifactSpec[] {
  const containers: ContainerSpec[] = model.containers ?? [model];
  return containers.flatMap((c) => [...(c.artifact ? [c.artifact] : []), ...(c.additional ?? []).map((a) => a.artifact)]);
}

export function seedEndpoint(world: World, spec: EndpointSpec, ctx: SeedContext): void {
  const owner = { accountId: spec.account, region: spec.region };
  const sagemaker = sagemakerStore(world, spec.account, spec.region);
  const metrics = metricStore(world, spec.account, spec.region);
  const created = new Date(ctx.now - spec.createdDaysAgo * DAY_MS);
  const modified =
    spec.updatedDaysAgo !== undefined
      ? new Date(ctx.now - spec.updatedDaysAgo * DAY_MS)
      : new Date(Math.min(ctx.now, created.getTime() + DEPLOY_MINUTES * 60_000));
  const executionRole = `arn:aws:iam::${spec.account}:role/SageMakerExecutionRole`;

  const ensureModel = (name: string, model: ModelSpec) => {
    if (sagemaker.getModel(name)) return;
    for (const artifact of artifactsOf(model)) putArtifact(world, artifact, owner, ctx.seed);
    const containers = model.containers?.map((c) => containerInput(c, spec.type));
    sagemaker.createModel(
      {
        ModelName: name,
        ExecutionRoleArn: executionRole,
        ...(containers ? { Containers: containers } : { PrimaryContainer: containerInput(model, spec.type) }),
      },
      { creationTime: created },
    );
  };

  const variants = spec.variants.map((variant) => {
    const modelName = variant.model ? (variant.model.name ?? `${spec.name}-${variant.name}`.slice(0, 63)) : undefined;
    if (variant.model && modelName) ensureModel(modelName, variant.model);
    return {
      VariantName: variant.name,
      ...(modelName ? { ModelName: modelName } : {}),
      ...(variant.serverless
        ? {
            ServerlessConfig: {
              MemorySizeInMB: variant.serverless.memoryMb,
              MaxConcurrency: variant.serverless.maxConcurrency,
              ...(variant.serverless.provisionedConcurrency ? { ProvisionedConcurrency: variant.serverless.provisionedConcurrency } : {}),
            },
          }
        : { InstanceType: variant.instanceType, InitialInstanceCount: variant.instanceCount }),
      InitialVariantWeight: variant.weight,
    };
  });

  const configName = spec.configName ?? `${spec.name}-config`.slice(0, 63);
  if (!sagemaker.getEndpointConfig(configName)) {
    sagemaker.createEndpointConfig(
      {
        EndpointConfigName: configName,
        ProductionVariants: variants,
        ...(spec.type === 'inference-components' ? { ExecutionRoleArn: executionRole } : {}),
        ...(spec.type === 'async'
          ? {
              AsyncInferenceConfig: {
                ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
                OutputConfig: { S3OutputPath: spec.async?.outputPath ?? `s3://sagemaker-${spec.region}-${spec.account}/async-output/${spec.name}/` },
              },
            }
          : {}),
      },
      { creationTime: created },
    );
  }
  const currentInstanceCounts = Object.fromEntries(
    spec.variants.flatMap((v) => (v.currentInstanceCount === undefined ? [] : [[v.name, v.currentInstanceCount]])),
  );
  sagemaker.createEndpoint(
    { EndpointName: spec.name, EndpointConfigName: configName, Tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })) },
    {
      status: spec.status as EndpointStatus,
      failureReason: spec.status === 'Failed' ? 'The primary container for production variant AllTraffic did not pass the ping health check.' : undefined,
      creationTime: created,
      lastModifiedTime: modified,
      currentInstanceCounts,
    },
  );

  for (const component of spec.inferenceComponents) {
    const componentCreated =
      component.createdDaysAgo !== undefined
        ? new Date(ctx.now - component.createdDaysAgo * DAY_MS)
        : new Date(Math.min(ctx.now, created.getTime() + DEPLOY_MINUTES * 60_000));
    let specification: Record<string, unknown>;
    if (component.model) {
      const modelName = component.model.name ?? component.name;
      ensureModel(modelName, component.model);
      specification = { ModelName: modelName };
    } else {
      putArtifact(world, component.container!.artifact, owner, ctx.seed);
      specification = { Container: { Image: component.container!.image, ArtifactUrl: component.container!.artifact.uri } };
    }
    specification.ComputeResourceRequirements = {
      MinMemoryRequiredInMb: component.memoryMb,
      ...(component.acceleratorDevices !== undefined ? { NumberOfAcceleratorDevicesRequired: component.acceleratorDevices } : {}),
    };
    sagemaker.createInferenceComponent(
      {
        InferenceComponentName: component.name,
        EndpointName: spec.name,
        VariantName: component.variant,
        Specification: specification,
        RuntimeConfig: { CopyCount: component.copies },
      },
      { status: 'InService', creationTime: componentCreated, lastModifiedTime: componentCreated },
    );
    putHistory(metrics, 'Invocations', [{ Name: 'InferenceComponentName', Value: component.name }], component.invocations, ctx.now);
  }

  for (const variant of spec.variants) {
    putHistory(
      metrics,
      'Invocations',
      [
        { Name: 'EndpointName', Value: spec.name },
        { Name: 'VariantName', Value: variant.name },
      ],
      variant.invocations,
      ctx.now,
    );
    if (variant.autoscaling) {
      const scaling = scalingStore(world, spec.account, spec.region);
      const target = {
        ServiceNamespace: 'sagemaker',
        ResourceId: `endpoint/${spec.name}/variant/${variant.name}`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      };
      scaling.register({ ...target, MinCapacity: variant.autoscaling.min, MaxCapacity: variant.autoscaling.max }, { creationTime: modified });
      if (variant.autoscaling.targetInvocationsPerInstance !== undefined) {
        scaling.putPolicy({
          ...target,
          PolicyName: `${spec.name}-invocations-per-instance`.slice(0, 256),
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: {
            TargetValue: variant.autoscaling.targetInvocationsPerInstance,
            PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          },
        });
      }
    }
  }
  const processing = spec.variants[0];
  if (spec.async && processing) {
    putHistory(
      metrics,
      'InvocationsProcessed',
      [
        { Name: 'EndpointName', Value: spec.name },
        { Name: 'VariantName', Value: processing.name },
      ],
      spec.async.invocationsProcessed,
      ctx.now,
    );
  }
}

function putHistory(
  metrics: ReturnType<typeof metricStore>,
  metricName: string,
  dimensions: Dimension[],
  history: HistoryEntry[] | undefined,
  now: number,
): void {
  const points = historyPoints(history, now);
  if (points.length > 0) metrics.putDailySums(SAGEMAKER_NAMESPACE, metricName, dimensions, points, 'None');
}
