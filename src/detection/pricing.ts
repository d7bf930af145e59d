import { z } from 'zod';
import bundled from './prices/sagemaker-hosting-2026-11-22.json' with { type: 'json' };
import type { ServerlessSettings } from './model.ts';

/**
 * Monthly on-demand cost of what an endpoint holds while idle. Prices come from a bundled, dated
 * table (see its `provenance` and docs/detection.md); an instance type or region missing from it
 * yields `null` and a reason, never a guessed default.
 */
export const PriceTableSchema = z.object({
  schemaVersion: z.literal(1),
  compiledOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  currency: z.literal('USD'),
  hoursPerMonth: z.number().positive(),
  verified: z.boolean(),
  provenance: z.array(z.string()),
  regions: z.record(
    z.string(),
    z.object({
      regionFactorFromUsEast1: z.number().positive(),
      serverlessProvisionedConcurrencyUsdPerGbSecond: z.number().positive(),
      instancesUsdPerHour: z.record(z.string().regex(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/), z.number().positive()),
    }),
  ),
});
export type PriceTable = z.infer<typeof PriceTableSchema>;

export const PRICE_TABLE: PriceTable = PriceTableSchema.parse(bundled);

/** A variant as billed: instance-based (type may be unknown) or serverless. */
export interface BilledVariant {
  variantName: string;
  instanceType?: string;
  instanceCount: number;
  serverless?: ServerlessSettings;
}

export interface CostEstimate {
  monthlyCostUsd: number | null;
  /** Why the cost is unknown (null), e.g. an instance type missing from the table. */
  unknownReason?: string;
  /** Set when the cost rests on prices nobody checked against AWS (the table's `verified: false`). */
  caveat?: string;
}

/**
 * The caveat every cost from an unverified table carries (in the finding's reason), so that nobody
 * reads a recalled or derived price as a quoted one. Undefined for a verified table.
 */
export function unverifiedPriceCaveat(table: PriceTable = PRICE_TABLE): string | undefined {
  return table.verified ? undefined : `cost estimated from the unverified ${table.compiledOn} price table`;
}

/** The dates of the unverified tables a set of reasons mentions (for a report footer). */
export function unverifiedPriceTables(reasons: Iterable<string>): string[] {
  const dates = new Set<string>();
  for (const reason of reasons) {
    const match = /cost estimated from the unverified (\d{4}-\d{2}-\d{2}) price table/.exec(reason);
    if (match) dates.add(match[1]!);
  }
  return [...dates].sort();
}

const SECONDS_PER_HOUR = 3600;

export function hourlyInstancePrice(region: string, instanceType: string, table: PriceTable = PRICE_TABLE): number | undefined {
  return table.regions[region]?.instancesUsdPerHour[instanceType];
}

export function monthlyCost(region: string, variants: readonly BilledVariant[], table: PriceTable = PRICE_TABLE): CostEstimate {
  const prices = table.regions[region];
  const unknown: string[] = [];
  let total = 0;
  for (const variant of variants) {
    if (variant.serverless) {
      const provisioned = variant.serverless.provisionedConcurrency ?? 0;
      if (provisioned === 0) continue;
      if (!prices) {
        unknown.push(`no serverless price for region ${region}`);
        continue;
      }
      const gb = variant.serverless.memorySizeInMB / 1024;
      total += provisioned * gb * prices.serverlessProvisionedConcurrencyUsdPerGbSecond * SECONDS_PER_HOUR * table.hoursPerMonth;
      continue;
    }
    if (variant.instanceCount === 0) continue;
    if (!variant.instanceType) {
      unknown.push(`instance type of variant ${variant.variantName} unknown`);
      continue;
    }
    const hourly = prices?.instancesUsdPerHour[variant.instanceType];
    if (hourly === undefined) {
      unknown.push(prices ? `no price for ${variant.instanceType} in ${region}` : `no prices for region ${region}`);
      continue;
    }
    total += hourly * table.hoursPerMonth * variant.instanceCount;
  }
  if (unknown.length > 0) {
    return { monthlyCostUsd: null, unknownReason: `cost unknown: ${[...new Set(unknown)].join('; ')} (price table of ${table.compiledOn})` };
  }
  const caveat = total > 0 ? unverifiedPriceCaveat(table) : undefined;
  return { monthlyCostUsd: Math.round(total * 100) / 100, ...(caveat ? { caveat } : {}) };
}
