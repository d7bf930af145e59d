import type { EndpointType, Finding, Verdict } from '../core/schemas.ts';
import type { TagMap } from '../core/tags.ts';
import type { DescribedConfig, DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import { monthlyCost, type BilledVariant, type PriceTable } from './pricing.ts';
import { idleSince, variantInstanceCount } from './rules.ts';

/** Turns what the scan learned about one endpoint into its Finding (src/core/schemas.ts). */
export interface FindingFacts {
  accountId: string;
  region: string;
  endpoint: DescribedEndpoint;
  verdict: Verdict;
  reason: string;
  endpointType: EndpointType | null;
  usage?: WindowUsage;
  /** Last day with invocations, from the window or the 455-day history lookup. */
  lastInvokedDay?: Date;
  config?: DescribedConfig;
  components: readonly InferenceComponentRef[];
  tags?: TagMap;
  /** Overrides the idle-since derived from lastInvokedDay (when the history could not be read). */
  idleSince?: string;
  prices?: PriceTable;
}

/**
 * Why an endpoint that is not a zombie has no $/month: DescribeEndpoint carries instance counts but
 * not instance types, and reading every endpoint's config would cost another call per endpoint. The
 * scan reads configs for zombies (and prices others that share a config already read).
 */
export const NOT_ESTIMATED = 'cost not estimated: instance types are only read (DescribeEndpointConfig) for zombies';

export function billedVariants(endpoint: DescribedEndpoint, config: DescribedConfig | undefined): BilledVariant[] {
  return endpoint.variants.map((variant) => {
    const pools = variant.instancePools ?? [];
    const configured = config?.variants.find((v) => v.variantName === variant.variantName && v.shadow === variant.shadow);
    return {
      variantName: variant.variantName,
      instanceType: pools.length === 1 ? pools[0]!.instanceType : pools.length > 1 ? undefined : configured?.instanceType,
      instanceCount: variantInstanceCount(variant),
      ...(variant.serverless ? { serverless: variant.serverless } : {}),
    };
  });
}

/** Pools of several instance types are priced pool by pool. */
function priceableVariants(endpoint: DescribedEndpoint, billed: readonly BilledVariant[]): BilledVariant[] {
  return endpoint.variants.flatMap((variant, i) => {
    const pools = variant.instancePools ?? [];
    if (pools.length > 1) return pools.map((p) => ({ variantName: variant.variantName, instanceType: p.instanceType, instanceCount: p.currentInstanceCount }));
    return [billed[i]!];
  });
}

/** Whether every billing variant's price inputs are known without the endpoint config. */
export function priceableWithoutConfig(endpoint: DescribedEndpoint): boolean {
  return endpoint.variants.every((v) => v.serverless !== undefined || (v.instancePools?.length ?? 0) > 0 || variantInstanceCount(v) === 0);
}

export function buildFinding(facts: FindingFacts): Finding {
  const { endpoint, config } = facts;
  const billed = billedVariants(endpoint, config);
  const instanceBased = billed.filter((v) => !v.serverless);
  const types = [...new Set(instanceBased.flatMap((v) => (v.instanceType ? [v.instanceType] : [])))];
  const instanceCount = instanceBased.reduce((sum, v) => sum + v.instanceCount, 0);
  let reason = facts.reason;
  let monthlyCostUsd: number | null = null;
  if (facts.verdict === 'not-billable') {
    monthlyCostUsd = 0;
  } else if (facts.verdict === 'zombie' || config !== undefined || priceableWithoutConfig(endpoint)) {
    const estimate = monthlyCost(facts.region, priceableVariants(endpoint, billed), facts.prices);
    monthlyCostUsd = estimate.monthlyCostUsd;
    if (estimate.unknownReason) reason = `${reason}; ${estimate.unknownReason}`;
    if (estimate.caveat) reason = `${reason}; ${estimate.caveat}`;
  } else if (facts.verdict !== 'error') {
    reason = `${reason}; ${NOT_ESTIMATED}`;
  }
  const lastInvokedAt = facts.lastInvokedDay ? facts.lastInvokedDay.toISOString() : null;
  const ownComponents = facts.components.map((c) => c.inferenceComponentName);
  return {
    accountId: facts.accountId,
    region: facts.region,
    endpointName: endpoint.endpointName,
    endpointArn: endpoint.endpointArn,
    verdict: facts.verdict,
    reason,
    endpointType: facts.endpointType,
    instanceType: types.length > 0 ? types.join('+') : null,
    instanceCount,
    invocations: facts.usage && !facts.usage.error ? facts.usage.invocations : null,
    lastInvokedAt,
    monthlyCostUsd,
    ...(endpoint.endpointConfigName ? { endpointConfigName: endpoint.endpointConfigName } : {}),
    creationTime: endpoint.creationTime.toISOString(),
    lastModifiedTime: endpoint.lastModifiedTime.toISOString(),
    ...(facts.verdict === 'zombie' || facts.verdict === 'expired' ? { idleSince: facts.idleSince ?? idleSince(facts.lastInvokedDay) } : {}),
    variants: billed.map((v, i) => ({
      variantName: v.variantName,
      instanceType: v.serverless ? null : (v.instanceType ?? null),
      instanceCount: v.instanceCount,
      ...(endpoint.variants[i]!.serverless ? { serverless: endpoint.variants[i]!.serverless } : {}),
    })),
    ...(ownComponents.length > 0 ? { inferenceComponents: ownComponents } : {}),
    ...(facts.tags ? { tags: facts.tags } : {}),
  };
}

/** A finding for an endpoint that could not be evaluated at all (e.g. deleted while we described it). */
export function errorFinding(accountId: string, region: string, endpointName: string, endpointArn: string, reason: string): Finding {
  return {
    accountId,
    region,
    endpointName,
    endpointArn,
    verdict: 'error',
    reason,
    endpointType: null,
    instanceType: null,
    instanceCount: 0,
    invocations: null,
    lastInvokedAt: null,
    monthlyCostUsd: null,
  };
}
