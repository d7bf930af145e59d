import { z } from 'zod';

/**
 * The snapshot manifest (`manifests/<account>/<region>/<endpoint>/<sweepId>.json`). Written last and
 * only once (If-None-Match), so its presence means every artifact below was copied and verified.
 * Restore reads it years later: fields are added, never renamed (bump `schemaVersion` otherwise).
 */
export const MANIFEST_SCHEMA_VERSION = 1;

const ChecksumSchema = z.object({ algorithm: z.string(), value: z.string() });

/** One archived object (or one object recorded by reference). */
export const ArtifactEntrySchema = z.object({
  /** Index into `sources`: which declared artifact this object belongs to. */
  source: z.number().int().min(0),
  sourceUri: z.string(),
  /** Null when recorded by reference. */
  archiveUri: z.string().nullable(),
  size: z.number().int().min(0).nullable(),
  checksum: ChecksumSchema.nullable(),
  verification: z.enum(['checksum', 'etag-md5', 'size-and-pinned-source', 'by-reference']),
  byReference: z.boolean(),
  reason: z.string().optional(),
  sourceEtag: z.string().optional(),
  /** The customer KMS key the source was encrypted with; the copy uses the archive's encryption. */
  sourceKmsKeyId: z.string().optional(),
  archiveKmsKeyId: z.string().optional(),
  /** The copy's own CRC64NVME, for re-verifying the archive later whatever the verification level. */
  archiveCrc64nvme: z.string().optional(),
  copiedBy: z.enum(['CopyObject', 'UploadPartCopy', 'existing-copy', 'none']),
});
export type ArtifactEntry = z.infer<typeof ArtifactEntrySchema>;

/** One artifact as the descriptions declare it (an object or a prefix), and where its copy lives. */
export const ManifestSourceSchema = z.object({
  kind: z.enum(['object', 'prefix']),
  /** Exactly as written in the description: restore maps this string to `archiveUri`. */
  uri: z.string(),
  archiveUri: z.string().nullable(),
  byReference: z.boolean(),
  reason: z.string().optional(),
  usedBy: z.array(z.string()),
  objectCount: z.number().int().min(0),
  bytes: z.number().int().min(0),
});
export type ManifestSource = z.infer<typeof ManifestSourceSchema>;

const Described = z.looseObject({});

export const ManifestSchema = z.object({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  kind: z.literal('zombie-sweep-snapshot'),
  sweepId: z.string(),
  accountId: z.string(),
  region: z.string(),
  endpointName: z.string(),
  endpointArn: z.string(),
  endpointConfigName: z.string(),
  createdAt: z.string(),
  snapshotRunId: z.string(),
  archiveBucket: z.string(),
  metricsSummary: z.object({
    endpointType: z.string().nullable(),
    instanceType: z.string().nullable(),
    instanceCount: z.number(),
    monthlyCostUsd: z.number().nullable(),
    idleSince: z.string(),
    detectedAt: z.string(),
  }),
  endpoint: Described,
  endpointConfig: Described,
  models: z.array(Described),
  modelPackages: z.array(z.object({ modelPackageName: z.string(), description: Described.optional(), byReferenceReason: z.string().optional() })),
  inferenceComponents: z.array(Described),
  tags: z.record(z.string(), z.string()),
  autoscaling: z.object({ scalableTargets: z.array(Described), scalingPolicies: z.array(Described).nullable() }),
  sources: z.array(ManifestSourceSchema),
  artifacts: z.array(ArtifactEntrySchema),
  totals: z.object({ sources: z.number(), objects: z.number(), copiedObjects: z.number(), byReference: z.number(), bytes: z.number() }),
  notes: z.array(z.string()),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/**
 * What the state machine carries between snapshot runs. Small on purpose (the 256 KB payload limit):
 * progress itself lives in S3 under the run's state prefix.
 */
export const ContinuationSchema = z.object({
  runId: z.string().regex(/^[a-f0-9]{8,32}$/, 'must be a snapshot run id'),
  /** Next artifact source to work on. */
  itemIndex: z.number().int().min(0),
  /** Inside a prefix source: the last key already archived. */
  startAfter: z.string().max(1024).optional(),
  /** Next progress file number. */
  chunkSeq: z.number().int().min(0),
  /** How many runs this snapshot has taken so far (a runaway loop is stopped). */
  runs: z.number().int().min(1),
});
export type Continuation = z.infer<typeof ContinuationSchema>;

export type SnapshotResult =
  | { status: 'continue'; continuation: Continuation; progress: { itemIndex: number; items: number } }
  | { status: 'complete'; manifestUri: string; artifactCount: number; bytes: number; alreadyComplete: boolean };
