import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  ListInferenceComponentsCommand,
  ListTagsCommand,
  type DescribeEndpointCommandOutput,
  type EndpointSummary,
  type ProductionVariantServerlessConfig,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { tagListToMap, type TagMap } from '../core/tags.ts';
import { isSageMakerNotFound } from '../core/aws-errors.ts';
import type { DescribedConfig, DescribedEndpoint, DescribedVariant, InferenceComponentRef, ServerlessSettings } from './model.ts';

/**
 * Listing and describing SageMaker resources, one API shape at a time, normalised to ./model.ts.
 * Every list is paginated to the end; every describe of something that vanished returns `gone`
 * instead of throwing, because endpoints are deleted while we look at them.
 */
export const GONE = 'gone' as const;
export type Gone = typeof GONE;

/**
 * InService only: Creating/Updating/Failed/Deleting endpoints are mid-change or already broken, not
 * idle capacity someone forgot (and DeleteEndpoint on them would race their owner).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html (MaxResults up to 100)
 */
export async function listInServiceEndpoints(sagemaker: SageMakerClient): Promise<EndpointSummary[]> {
  const out: EndpointSummary[] = [];
  let token: string | undefined;
  do {
    const page = await sagemaker.send(new ListEndpointsCommand({ StatusEquals: 'InService', MaxResults: 100, NextToken: token }));
    out.push(...(page.Endpoints ?? []));
    token = page.NextToken || undefined;
  } while (token);
  return out;
}

/**
 * Every inference component in the region, in as few calls as listing allows (100 per page), so the
 * metrics batch can include their invocations without a per-endpoint lookup.
 */
export async function listInferenceComponents(sagemaker: SageMakerClient): Promise<InferenceComponentRef[]> {
  const out: InferenceComponentRef[] = [];
  let token: string | undefined;
  do {
    const page = await sagemaker.send(new ListInferenceComponentsCommand({ MaxResults: 100, NextToken: token }));
    for (const c of page.InferenceComponents ?? []) {
      if (!c.InferenceComponentName || !c.EndpointName) continue;
      out.push({
        inferenceComponentName: c.InferenceComponentName,
        endpointName: c.EndpointName,
        variantName: c.VariantName,
        status: c.InferenceComponentStatus,
        creationTime: c.CreationTime,
        lastModifiedTime: c.LastModifiedTime,
      });
    }
    token = page.NextToken || undefined;
  } while (token);
  return out;
}

export async function describeEndpoint(sagemaker: SageMakerClient, endpointName: string): Promise<DescribedEndpoint | Gone> {
  try {
    return toDescribedEndpoint(await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName })));
  } catch (error) {
    if (isSageMakerNotFound(error)) return GONE;
    throw error;
  }
}

export function toDescribedEndpoint(out: DescribeEndpointCommandOutput | Omit<DescribeEndpointCommandOutput, '$metadata'>): DescribedEndpoint {
  const variant = (v: NonNullable<typeof out.ProductionVariants>[number], shadow: boolean): DescribedVariant => ({
    variantName: v.VariantName ?? '',
    currentInstanceCount: v.CurrentInstanceCount,
    desiredInstanceCount: v.DesiredInstanceCount,
    serverless: serverless(v.CurrentServerlessConfig ?? v.DesiredServerlessConfig),
    instancePools: v.InstancePools?.flatMap((p) =>
      p.InstanceType ? [{ instanceType: p.InstanceType, currentInstanceCount: p.CurrentInstanceCount ?? 0 }] : [],
    ),
    shadow,
  });
  return {
    endpointName: out.EndpointName ?? '',
    endpointArn: out.EndpointArn ?? '',
    endpointConfigName: out.EndpointConfigName,
    status: out.EndpointStatus ?? 'Unknown',
    creationTime: out.CreationTime ?? new Date(0),
    lastModifiedTime: out.LastModifiedTime ?? out.CreationTime ?? new Date(0),
    variants: [...(out.ProductionVariants ?? []).map((v) => variant(v, false)), ...(out.ShadowProductionVariants ?? []).map((v) => variant(v, true))],
    isAsync: out.AsyncInferenceConfig !== undefined,
  };
}

function serverless(config: ProductionVariantServerlessConfig | undefined): ServerlessSettings | undefined {
  if (!config) return undefined;
  return {
    memorySizeInMB: config.MemorySizeInMB ?? 0,
    maxConcurrency: config.MaxConcurrency ?? 0,
    ...(config.ProvisionedConcurrency !== undefined ? { provisionedConcurrency: config.ProvisionedConcurrency } : {}),
  };
}

export async function describeEndpointConfig(sagemaker: SageMakerClient, name: string): Promise<DescribedConfig | Gone> {
  try {
    const out = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
    const variants = (list: typeof out.ProductionVariants, shadow: boolean) =>
      (list ?? []).map((v) => ({
        variantName: v.VariantName ?? '',
        modelName: v.ModelName,
        // Heterogeneous pools list several types; the summary names them all.
        instanceType: v.InstanceType ?? (v.InstancePools?.length ? v.InstancePools.map((p) => p.InstanceType).join('+') : undefined),
        serverless: serverless(v.ServerlessConfig),
        shadow,
      }));
    return {
      endpointConfigName: out.EndpointConfigName ?? name,
      variants: [...variants(out.ProductionVariants, false), ...variants(out.ShadowProductionVariants, true)],
      isAsync: out.AsyncInferenceConfig !== undefined,
      executionRoleArn: out.ExecutionRoleArn,
      ...(out.CreationTime ? { creationTime: out.CreationTime.toISOString() } : {}),
    };
  } catch (error) {
    if (isSageMakerNotFound(error)) return GONE;
    throw error;
  }
}

/** SageMaker has no batch tag read; ListTags per resource (a resource holds at most 50 tags, one page). */
export async function listTags(sagemaker: SageMakerClient, arn: string): Promise<TagMap | Gone> {
  const tags: TagMap = {};
  let token: string | undefined;
  try {
    do {
      const page = await sagemaker.send(new ListTagsCommand({ ResourceArn: arn, MaxResults: 100, NextToken: token }));
      Object.assign(tags, tagListToMap(page.Tags));
      token = page.NextToken || undefined;
    } while (token);
  } catch (error) {
    if (isSageMakerNotFound(error)) return GONE;
    throw error;
  }
  return tags;
}

/** Whether the model's container serves many models (Mode MultiModel), and when the model was created. */
export async function describeModelMode(sagemaker: SageMakerClient, modelName: string): Promise<{ multiModel: boolean; creationTime?: Date } | Gone> {
  try {
    const out = await sagemaker.send(new DescribeModelCommand({ ModelName: modelName }));
    const containers = [out.PrimaryContainer, ...(out.Containers ?? [])];
    return { multiModel: containers.some((c) => c?.Mode === 'MultiModel'), ...(out.CreationTime ? { creationTime: out.CreationTime } : {}) };
  } catch (error) {
    if (isSageMakerNotFound(error)) return GONE;
    throw error;
  }
}
