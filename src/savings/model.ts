import { z } from 'zod';
import { ownerLabel } from '../core/owners.ts';
import type { TagMap } from '../core/tags.ts';

/**
 * What a sweep saved, one small file per sweep (`sweeps/<id>/savings.json`) so that the savings view
 * over years of sweeps reads kilobytes, not every report with every finding.
 */

export { DEFAULT_OWNER_TAG_KEYS } from '../core/owners.ts';

export const RealizedSavingSchema = z.object({
  accountId: z.string(),
  region: z.string(),
  endpointName: z.string(),
  endpointArn: z.string(),
  /** What removed the cost. */
  action: z.enum(['deleted', 'scaled-to-zero']),
  /** $/month the endpoint cost when it was found; null when its price was unknown (not in the total). */
  monthlyCostUsd: z.number().min(0).nullable(),
  /** The first owner tag present, as `key=value`, or null. */
  owner: z.string().nullable(),
});
export type RealizedSaving = z.infer<typeof RealizedSavingSchema>;

export const SweepSavingsSchema = z.object({
  version: z.literal(1),
  sweepId: z.string(),
  mode: z.string(),
  finishedAt: z.string(),
  realized: z.array(RealizedSavingSchema),
  /** $/month removed by this sweep (priced endpoints only). */
  realizedMonthlyUsd: z.number().min(0),
  /** What was found idle (zombie verdict) by this sweep, whether or not it was removed. */
  idle: z.object({ endpoints: z.number().int().min(0), monthlyCostUsd: z.number().min(0) }),
});
export type SweepSavings = z.infer<typeof SweepSavingsSchema>;

/** The first owner tag present, as `key=value`, or null (src/core/owners.ts). */
export const ownerOf = (tags: TagMap | undefined, keys?: readonly string[]): string | null => ownerLabel(tags, keys);
