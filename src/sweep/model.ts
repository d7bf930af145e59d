import { z } from 'zod';
import {
  AppliedDetectionSchema,
  AccountIdSchema,
  ApprovalSettingsSchema,
  DeletionSettingsSchema,
  DetectionSettingsSchema,
  FindingSchema,
  ProtectedListSchema,
  RegionSchema,
  SweepIdSchema,
  SweepModeSchema,
  TargetingSchema,
  TargetStatusSchema,
  VerdictSchema,
} from '../core/schemas.ts';

/**
 * The sweep-level contracts: the `sweep` object ValidateInput puts in the execution state (every
 * later step reads it), and the sweep report (`sweeps/<id>/report.json`) that Collect starts and
 * Report completes, which `zombie-sweep report` / `status` read.
 */

export const SweepSettingsSchema = z.object({
  scanMaxConcurrency: z.number().int().min(0).max(10_000),
  actionMaxConcurrency: z.number().int().min(1).max(1_000),
  scanToleratedFailurePercentage: z.number().min(0).max(100),
});
export type SweepSettings = z.infer<typeof SweepSettingsSchema>;

/** The validated sweep, as it travels through the state machine (small: no findings, no candidates). */
export const SweepContextSchema = z.object({
  sweepId: SweepIdSchema,
  mode: SweepModeSchema,
  targets: TargetingSchema,
  detection: DetectionSettingsSchema,
  approval: ApprovalSettingsSchema,
  deletion: DeletionSettingsSchema,
  /** Accounts, OUs and tags never tagged, scaled or deleted in; list-targets hands each scan its part. */
  protected: ProtectedListSchema.optional(),
  requestedBy: z.string().min(1),
  executionArn: z.string(),
  startedAt: z.string(),
  settings: SweepSettingsSchema,
  /** ResultWriter prefixes of the three Distributed Maps. */
  resultPrefixes: z.object({ scan: z.string(), snapshot: z.string(), delete: z.string() }),
  /** Publish the per-owner digest when the sweep finishes. */
  digest: z.boolean().optional(),
  /** The lock this sweep holds (tag and cleanup modes). */
  lock: z.object({ scope: z.string(), key: z.string() }).optional(),
});
export type SweepContext = z.infer<typeof SweepContextSchema>;

export const TargetReportSchema = z.object({
  accountId: AccountIdSchema,
  accountName: z.string().optional(),
  region: RegionSchema,
  status: TargetStatusSchema,
  reason: z.string().optional(),
  endpoints: z.number().int().min(0),
  zombies: z.number().int().min(0),
  zombieMonthlyCostUsd: z.number().min(0),
});
export type TargetReport = z.infer<typeof TargetReportSchema>;

export const EndpointActionSchema = z.object({
  accountId: z.string(),
  region: z.string(),
  endpointName: z.string(),
  endpointArn: z.string(),
  monthlyCostUsd: z.number().nullable(),
  snapshot: z.enum(['archived', 'failed']).optional(),
  manifestUri: z.string().optional(),
  artifacts: z.number().int().min(0).optional(),
  bytes: z.number().min(0).optional(),
  tagged: z.boolean().optional(),
  /** `vetoed`: its owner kept it with the veto link; it outranks any decision. */
  decision: z.enum(['approved', 'rejected', 'undecided', 'expired', 'vetoed']).optional(),
  /** `scaled-to-zero`: the approver chose scale to zero instead of deletion, and it was done. */
  deletion: z.enum(['deleted', 'deleting', 'already-gone', 'skipped', 'failed', 'scaled-to-zero']).optional(),
  /** Why the endpoint was skipped or failed, in words. */
  reason: z.string().optional(),
});
export type EndpointAction = z.infer<typeof EndpointActionSchema>;

export const SweepSummarySchema = z.object({
  targets: z.number().int(),
  targetsFailed: z.number().int(),
  endpoints: z.number().int(),
  byVerdict: z.record(VerdictSchema, z.number().int()),
  zombies: z.number().int(),
  zombieMonthlyCostUsd: z.number(),
  /** Zombies whose price is unknown (not in the bundled table): not in the $ figure. */
  zombiesUnknownCost: z.number().int(),
  archived: z.number().int(),
  artifactsArchived: z.number().int(),
  bytesArchived: z.number(),
  tagged: z.number().int(),
  approved: z.number().int(),
  rejected: z.number().int(),
  /** Endpoints their owners vetoed (absent in older reports and when none was). */
  vetoed: z.number().int().optional(),
  deleted: z.number().int(),
  /** Deletions still in progress when the sweep ended: not in `deleted` nor in the $ saved (absent in older reports). */
  deleting: z.number().int().optional(),
  /** Endpoints scaled to zero instead of deleted (absent in older reports); their cost is in `savedMonthlyCostUsd`. */
  scaledToZero: z.number().int().optional(),
  savedMonthlyCostUsd: z.number(),
  skipped: z.array(z.object({ endpointArn: z.string(), endpointName: z.string(), accountId: z.string(), region: z.string(), reason: z.string() })),
});
export type SweepSummary = z.infer<typeof SweepSummarySchema>;

export const SweepStatusSchema = z.enum(['scanned', 'tagged', 'completed', 'failed']);

export const SweepReportSchema = z.object({
  version: z.literal(1),
  sweepId: SweepIdSchema,
  mode: SweepModeSchema,
  status: SweepStatusSchema,
  requestedBy: z.string(),
  executionArn: z.string().optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  archiveBucket: z.string(),
  detection: AppliedDetectionSchema,
  targets: z.array(TargetReportSchema),
  findings: z.array(FindingSchema),
  actions: z.array(EndpointActionSchema).default([]),
  approval: z
    .object({
      /** anomaly: the approval task completed without a valid signed decision; nothing was deleted. */
      outcome: z.enum(['decided', 'expired', 'not-needed', 'anomaly']),
      approver: z.string().optional(),
      decidedAt: z.string().optional(),
      autoApproved: z.boolean().optional(),
      approved: z.number().int(),
      rejected: z.number().int(),
      /** Endpoints their owners vetoed (absent when none was). */
      vetoed: z.number().int().optional(),
    })
    .optional(),
  summary: SweepSummarySchema,
  failure: z.object({ error: z.string(), cause: z.string(), failedAt: z.string() }).optional(),
});
export type SweepReport = z.infer<typeof SweepReportSchema>;

/** One item of `sweeps/<id>/targets.json`: the scan Map's item list, each item the scan child's whole input. */
export const ScanItemSchema = z.object({
  sweepId: SweepIdSchema,
  accountId: AccountIdSchema,
  accountName: z.string().optional(),
  region: RegionSchema,
  roleName: z.string().optional(),
  externalId: z.string().optional(),
  detection: DetectionSettingsSchema,
});
export type ScanItem = z.infer<typeof ScanItemSchema>;

export const SWEEP_FILES = {
  claim: 'sweep.json',
  candidates: 'candidates.json',
  approvalCandidates: 'approval-candidates.json',
  detectedMarker: 'detected-audited.json',
} as const;
