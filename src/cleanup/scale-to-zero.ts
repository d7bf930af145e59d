import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
  type ScalableDimension,
} from '@aws-sdk/client-application-auto-scaling';
import {
  AddTagsCommand,
  DescribeEndpointConfigCommand,
  DescribeInferenceComponentCommand,
  SageMakerClient,
  UpdateEndpointWeightsAndCapacitiesCommand,
  UpdateInferenceComponentRuntimeConfigCommand,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import type { EndpointType } from '../core/schemas.ts';

/**
 * Scale to zero: the alternative to deletion for endpoints that AWS lets bill nothing while idle and
 * still exist. Only two kinds qualify:
 *
 * - endpoints hosting inference components: every component goes to 0 copies
 *   (UpdateInferenceComponentRuntimeConfig, CopyCount minimum 0:
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponentRuntimeConfig.html),
 *   and the instances go away only when the endpoint configuration's managed instance scaling allows
 *   MinInstanceCount 0 (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html,
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantManagedInstanceScaling.html).
 *   Changing MinInstanceCount needs a new endpoint configuration and an UpdateEndpoint, which this
 *   workflow does not do: such an endpoint is refused at apply time with that reason.
 * - asynchronous endpoints: Application Auto Scaling minimum capacity 0 (so scaling never brings the
 *   old minimum back) and the variants' desired instance count 0
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html,
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DesiredWeightAndCapacity.html).
 *
 * Everything else keeps at least one instance per variant while it exists, so only deletion stops its bill.
 * The calls here are idempotent: setting a count or a minimum that is already in place changes nothing.
 */

export type ScaleToZeroOffer = { offered: true; how: string } | { offered: false; why: string };

const ZERO_INSTANCES_DOC = 'https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html';

/** Whether the approval page offers "scale to zero" for an endpoint of this kind, and why not when it does not. */
export function scaleToZeroOffer(kind: EndpointType | null): ScaleToZeroOffer {
  switch (kind) {
    case 'inference-components':
      return {
        offered: true,
        how: 'every inference component set to 0 copies; the instances are released when managed instance scaling allows a minimum of 0',
      };
    case 'async':
      return { offered: true, how: 'auto scaling minimum set to 0 and the instances scaled to 0; queued requests wait until it is scaled up again' };
    case 'serverless':
      return { offered: false, why: 'its provisioned concurrency can only be removed with a new endpoint configuration' };
    case 'real-time':
    case 'multi-model':
      // The rule: ZERO_INSTANCES_DOC. Not in the text: the approval page carries no links.
      return { offered: false, why: 'SageMaker keeps at least one instance per variant of a real-time endpoint' };
    default:
      return { offered: false, why: 'the endpoint kind is unknown, so whether it can scale to zero is unknown' };
  }
}

const ScalableTargetStateSchema = z.object({
  resourceId: z.string(),
  dimension: z.string(),
  minCapacity: z.number().int().min(0),
  maxCapacity: z.number().int().min(0),
});

/** What scaling to zero changed, recorded before the change so restore can put it back. */
export const PreviousCapacitySchema = z.object({
  kind: z.enum(['inference-components', 'async']),
  components: z.array(z.object({ name: z.string(), copyCount: z.number().int().min(0) })),
  variants: z.array(z.object({ variantName: z.string(), instanceCount: z.number().int().min(0) })),
  scalableTargets: z.array(ScalableTargetStateSchema),
});
export type PreviousCapacity = z.infer<typeof PreviousCapacitySchema>;

export interface CapacityClients {
  sagemaker: SageMakerClient;
  scaling: ApplicationAutoScalingClient;
}

export type CapacityReading = { ok: true; previous: PreviousCapacity } | { ok: false; reason: string };

/** The capacity the endpoint has now, or why scaling it to zero would not stop its bill. */
export async function readCapacity(
  clients: CapacityClients,
  endpoint: DescribeEndpointCommandOutput,
  kind: EndpointType | null,
  componentNames: readonly string[],
): Promise<CapacityReading> {
  const offer = scaleToZeroOffer(kind);
  if (!offer.offered) return { ok: false, reason: offer.why };
  const endpointName = endpoint.EndpointName ?? '';
  if (kind === 'inference-components') {
    const floor = await instanceFloor(clients.sagemaker, endpoint.EndpointConfigName);
    if (floor) return { ok: false, reason: floor };
    const components = [];
    for (const name of componentNames) {
      const described = await clients.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }));
      components.push({ name, copyCount: described.RuntimeConfig?.DesiredCopyCount ?? 0 });
    }
    const scalableTargets = await readTargets(
      clients.scaling,
      componentNames.map((n) => `inference-component/${n}`),
    );
    return { ok: true, previous: { kind, components, variants: [], scalableTargets } };
  }
  const variants = (endpoint.ProductionVariants ?? []).flatMap((v) =>
    v.VariantName ? [{ variantName: v.VariantName, instanceCount: v.DesiredInstanceCount ?? v.CurrentInstanceCount ?? 0 }] : [],
  );
  const scalableTargets = await readTargets(
    clients.scaling,
    variants.map((v) => `endpoint/${endpointName}/variant/${v.variantName}`),
  );
  return { ok: true, previous: { kind: 'async', components: [], variants, scalableTargets } };
}

/** Why the endpoint's instances would keep running with no copies, or undefined when they can go to zero. */
async function instanceFloor(sagemaker: SageMakerClient, configName: string | undefined): Promise<string | undefined> {
  if (!configName) return 'the endpoint names no endpoint configuration';
  const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
  for (const variant of config.ProductionVariants ?? []) {
    const scaling = variant.ManagedInstanceScaling;
    if (scaling?.Status !== 'ENABLED' || (scaling.MinInstanceCount ?? 1) > 0) {
      const floor = scaling?.Status === 'ENABLED' ? `MinInstanceCount ${scaling.MinInstanceCount ?? 1}` : 'managed instance scaling disabled';
      return `variant ${variant.VariantName ?? '?'} of endpoint configuration ${configName} keeps its instances (${floor}); with 0 copies it would still bill, and changing that needs a new endpoint configuration (${ZERO_INSTANCES_DOC})`;
    }
  }
  return undefined;
}

async function readTargets(scaling: ApplicationAutoScalingClient, resourceIds: readonly string[]): Promise<PreviousCapacity['scalableTargets']> {
  const found: PreviousCapacity['scalableTargets'] = [];
  // DescribeScalableTargets takes at most 50 resource ids per call.
  for (let i = 0; i < resourceIds.length; i += 50) {
    let nextToken: string | undefined;
    do {
      const page = await scaling.send(
        new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: resourceIds.slice(i, i + 50), NextToken: nextToken }),
      );
      for (const t of page.ScalableTargets ?? []) {
        if (t.ResourceId && t.ScalableDimension)
          found.push({ resourceId: t.ResourceId, dimension: t.ScalableDimension, minCapacity: t.MinCapacity ?? 0, maxCapacity: t.MaxCapacity ?? 0 });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return found;
}

/**
 * Minimums first: a scalable target whose minimum is still above zero would scale the endpoint back up
 * right after the counts drop. Idempotent.
 */
export async function applyZeroCapacity(clients: CapacityClients, endpointName: string, previous: PreviousCapacity): Promise<void> {
  await setMinimums(clients.scaling, previous.scalableTargets, () => 0);
  for (const component of previous.components) {
    await clients.sagemaker.send(
      new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: component.name, DesiredRuntimeConfig: { CopyCount: 0 } }),
    );
  }
  await setVariantCounts(
    clients.sagemaker,
    endpointName,
    previous.variants.map((v) => ({ ...v, instanceCount: 0 })),
  );
}

/** Puts back what `applyZeroCapacity` changed: counts first (capacity to serve), then the minimums. */
export async function restoreCapacity(clients: CapacityClients, endpointName: string, previous: PreviousCapacity): Promise<void> {
  for (const component of previous.components) {
    await clients.sagemaker.send(
      new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: component.name, DesiredRuntimeConfig: { CopyCount: component.copyCount } }),
    );
  }
  await setVariantCounts(clients.sagemaker, endpointName, previous.variants);
  await setMinimums(clients.scaling, previous.scalableTargets, (t) => t.minCapacity);
}

async function setVariantCounts(sagemaker: SageMakerClient, endpointName: string, variants: PreviousCapacity['variants']): Promise<void> {
  if (variants.length === 0) return;
  await sagemaker.send(
    new UpdateEndpointWeightsAndCapacitiesCommand({
      EndpointName: endpointName,
      DesiredWeightsAndCapacities: variants.map((v) => ({ VariantName: v.variantName, DesiredInstanceCount: v.instanceCount })),
    }),
  );
}

async function setMinimums(
  scaling: ApplicationAutoScalingClient,
  targets: PreviousCapacity['scalableTargets'],
  minimum: (t: PreviousCapacity['scalableTargets'][number]) => number,
): Promise<void> {
  for (const target of targets) {
    // https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html: registering again updates min/max.
    await scaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'sagemaker',
        ResourceId: target.resourceId,
        ScalableDimension: target.dimension as ScalableDimension,
        MinCapacity: minimum(target),
        MaxCapacity: target.maxCapacity,
      }),
    );
  }
}

export async function tagEndpoint(sagemaker: SageMakerClient, endpointArn: string, tags: Record<string, string>): Promise<void> {
  await sagemaker.send(new AddTagsCommand({ ResourceArn: endpointArn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
}
