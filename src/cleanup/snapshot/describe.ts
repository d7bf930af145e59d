import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeInferenceComponentCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  paginateListInferenceComponents,
  paginateListTags,
  type DescribeEndpointOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import {
  paginateDescribeScalableTargets,
  paginateDescribeScalingPolicies,
  type ApplicationAutoScalingClient,
  type ScalableTarget,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { chunk, mapLimit } from '../../core/concurrency.ts';
import { errorMessage, errorName, RetryableAwsError, SnapshotFailedError } from '../../core/errors.ts';
import { tagListToMap } from '../../core/tags.ts';
import { isSageMakerNotFound, isUnsupportedOperation, unlessSageMakerNotFound } from '../../core/aws-errors.ts';
import { modelNamesOf, modelPackageNames, type EndpointDescriptions, type ModelPackageRecord } from './discover.ts';
import { isAwsOwnedModelPackage } from './locations.ts';

const TRANSITIONAL = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

export interface DescribeClients {
  sagemaker: SageMakerClient;
  autoscaling: ApplicationAutoScalingClient;
}

/** Strips the SDK's response metadata so descriptions serialize to exactly the API's fields. */
function plain<T extends object>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _ignored, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}

export async function describeEndpoint(sagemaker: SageMakerClient, endpointName: string): Promise<DescribeEndpointOutput | undefined> {
  const described = await unlessSageMakerNotFound(() => sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName })));
  return described && plain(described);
}

/**
 * Captures the endpoint and everything it runs on. Refuses (SnapshotFailedError) an endpoint that is
 * gone or not InService: a snapshot must describe a stable deployment, or restore would rebuild the wrong thing.
 */
export async function describeAll(clients: DescribeClients, endpointName: string): Promise<EndpointDescriptions> {
  const { sagemaker } = clients;
  const endpoint = await describeEndpoint(sagemaker, endpointName);
  if (!endpoint) throw new SnapshotFailedError(`endpoint ${endpointName} no longer exists`);
  if (endpoint.EndpointStatus !== 'InService') {
    // Updating (e.g. auto scaling at work) passes; the state machine retries. Anything else is no zombie to archive.
    if (TRANSITIONAL.has(endpoint.EndpointStatus ?? ''))
      throw new RetryableAwsError(`endpoint ${endpointName} is ${endpoint.EndpointStatus}; retry when it is InService`);
    throw new SnapshotFailedError(`endpoint ${endpointName} is ${endpoint.EndpointStatus}, not InService`);
  }
  const notes: string[] = [];

  const endpointConfig = plain(await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName })));
  const inferenceComponents = await describeInferenceComponents(sagemaker, endpointName);
  const models = await mapLimit(modelNamesOf(endpointConfig, inferenceComponents), 4, async (name) => {
    try {
      return plain(await sagemaker.send(new DescribeModelCommand({ ModelName: name })));
    } catch (error) {
      if (isSageMakerNotFound(error))
        throw new SnapshotFailedError(`model ${name} used by endpoint ${endpointName} no longer exists, so its artifacts cannot be found`);
      throw error;
    }
  });
  const modelPackages = await describeModelPackages(sagemaker, modelPackageNames(models), notes);

  const tags: Record<string, string> = {};
  for await (const page of paginateListTags({ client: sagemaker }, { ResourceArn: endpoint.EndpointArn })) Object.assign(tags, tagListToMap(page.Tags));

  const resourceIds = [
    ...(endpoint.ProductionVariants ?? []).map((v) => `endpoint/${endpointName}/variant/${v.VariantName}`),
    ...inferenceComponents.map((c) => `inference-component/${c.InferenceComponentName}`),
  ];
  const { scalableTargets, scalingPolicies } = await describeScaling(clients.autoscaling, resourceIds, notes);

  return { endpoint, endpointConfig, models, modelPackages, inferenceComponents, tags, scalableTargets, scalingPolicies, notes };
}

async function describeInferenceComponents(sagemaker: SageMakerClient, endpointName: string) {
  const names: string[] = [];
  for await (const page of paginateListInferenceComponents({ client: sagemaker }, { EndpointNameEquals: endpointName })) {
    for (const summary of page.InferenceComponents ?? []) if (summary.InferenceComponentName) names.push(summary.InferenceComponentName);
  }
  names.sort();
  return mapLimit(names, 4, async (name) => plain(await sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }))));
}

async function describeModelPackages(sagemaker: SageMakerClient, names: string[], notes: string[]): Promise<ModelPackageRecord[]> {
  return mapLimit(names, 4, async (name): Promise<ModelPackageRecord> => {
    if (isAwsOwnedModelPackage(name)) return { modelPackageName: name, byReferenceReason: 'AWS Marketplace model package: its artifacts belong to the seller' };
    try {
      return { modelPackageName: name, description: plain(await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: name }))) };
    } catch (error) {
      // Model packages live in the Model Registry and are never deleted by zombie-sweep, so a package
      // that cannot be described is still restorable by name: record it by reference and say why.
      const reason = `could not describe model package (${errorName(error)}: ${errorMessage(error)}); recorded by reference, the Model Registry keeps it`;
      notes.push(`model package ${name}: ${reason}`);
      if (!isUnsupportedOperation(error) && !isSageMakerNotFound(error) && errorName(error) !== 'AccessDeniedException') throw error;
      return { modelPackageName: name, byReferenceReason: reason };
    }
  });
}

async function describeScaling(
  autoscaling: ApplicationAutoScalingClient,
  resourceIds: string[],
  notes: string[],
): Promise<{ scalableTargets: ScalableTarget[]; scalingPolicies?: ScalingPolicy[] }> {
  const scalableTargets: ScalableTarget[] = [];
  try {
    // DescribeScalableTargets accepts at most 50 ResourceIds per call (Application Auto Scaling API reference).
    for (const ids of chunk(resourceIds, 50)) {
      for await (const page of paginateDescribeScalableTargets({ client: autoscaling }, { ServiceNamespace: 'sagemaker', ResourceIds: ids })) {
        scalableTargets.push(...(page.ScalableTargets ?? []).map((t) => plain(t) as ScalableTarget));
      }
    }
  } catch (error) {
    // Scaling settings help a restore but are not artifacts: record the gap rather than block the snapshot.
    if (!isUnsupportedOperation(error) && !/AccessDenied/.test(errorName(error))) throw error;
    notes.push(`autoscaling targets not captured: ${errorName(error)}: ${errorMessage(error)}`);
    return { scalableTargets: [] };
  }
  if (scalableTargets.length === 0) return { scalableTargets, scalingPolicies: [] };
  try {
    const scalingPolicies: ScalingPolicy[] = [];
    for (const resourceId of new Set(scalableTargets.map((t) => t.ResourceId ?? ''))) {
      for await (const page of paginateDescribeScalingPolicies({ client: autoscaling }, { ServiceNamespace: 'sagemaker', ResourceId: resourceId })) {
        scalingPolicies.push(...(page.ScalingPolicies ?? []).map((p) => plain(p) as ScalingPolicy));
      }
    }
    return { scalableTargets, scalingPolicies };
  } catch (error) {
    if (!isUnsupportedOperation(error) && !/AccessDenied/.test(errorName(error))) throw error;
    notes.push(`scaling policies not captured: ${errorName(error)}`);
    return { scalableTargets };
  }
}

/**
 * What must not change between the start and the end of a snapshot: the deployed endpoint config and
 * the inference components' specifications. Models and endpoint configs are immutable in SageMaker, so
 * these pin every artifact; instance counts and status (auto scaling) are deliberately left out.
 */
export async function deploymentFingerprint(sagemaker: SageMakerClient, endpointName: string): Promise<{ fingerprint: string; status?: string } | undefined> {
  const endpoint = await describeEndpoint(sagemaker, endpointName);
  if (!endpoint) return undefined;
  return { fingerprint: fingerprintOf(endpoint, await describeInferenceComponents(sagemaker, endpointName)), status: endpoint.EndpointStatus };
}

export function fingerprintOf(
  endpoint: Pick<DescribeEndpointOutput, 'EndpointConfigName'>,
  components: ReadonlyArray<{ InferenceComponentName?: string; Specification?: unknown; Specifications?: unknown }>,
): string {
  const specs = components
    .map((c) => ({ name: c.InferenceComponentName, spec: c.Specification, specs: c.Specifications }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return JSON.stringify({ config: endpoint.EndpointConfigName, components: specs });
}
