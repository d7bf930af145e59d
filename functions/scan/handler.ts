import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ApiCallCounter } from '../../src/core/api-calls.ts';
import { mapLimit } from '../../src/core/concurrency.ts';
import type { ClientFactory } from '../../src/core/clients.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { lambdaLog, type Log } from '../../src/core/log.ts';
import { layout } from '../../src/core/layout.ts';
import {
  AccountIdSchema,
  DetectionSettingsSchema,
  ExternalIdSchema,
  RegionSchema,
  RoleNameSchema,
  SweepIdSchema,
  parseOrThrow,
  resolveDetectionSettings,
  type ScanSummary,
} from '../../src/core/schemas.ts';
import { s3ConfigCache, type ConfigCacheStore } from '../../src/detection/config-cache.ts';
import type { PriceTable } from '../../src/detection/pricing.ts';
import { findingsFile, scanOneTarget, scanSummary } from '../../src/detection/target-scan.ts';
import { clientFactoryFromEnv, requiredEnv } from '../shared/env.ts';

/**
 * Scan Lambda: one Distributed Map child = a batch of account-regions (`{ Items: [...] }`, the
 * ItemBatcher's input), or one account-region. Writes each target's findings file itself (the Map's
 * payload stays small at any organization size) and returns its ScanSummary. An unreachable target
 * is a summary with status `unreachable`, never a failure; RetryableAwsError is thrown for
 * throttling that outlived the SDK's retries, for the state machine to retry the batch (rescanning a
 * target rewrites the same findings key).
 */
export const ScanInputSchema = z
  .object({
    sweepId: SweepIdSchema,
    accountId: AccountIdSchema,
    accountName: z.string().max(256).optional(),
    region: RegionSchema,
    /** Absent when the sweep targets only the caller's own account (targets.org = false): its own credentials are used, as `zombie-sweep scan` does. */
    roleName: RoleNameSchema.optional(),
    externalId: ExternalIdSchema.optional(),
    detection: DetectionSettingsSchema.optional(),
  })
  .strict();
export type ScanInput = z.input<typeof ScanInputSchema>;

/** What the scan Map's ItemBatcher hands a child (the sweep's ASL sets no BatchInput). */
export const ScanBatchSchema = z.object({ Items: z.array(ScanInputSchema).min(1).max(100), BatchInput: z.unknown().optional() }).strict();

/** Targets of one batch scanned at once; each has its own clients and call budget. */
const BATCH_CONCURRENCY = 5;

export interface ScanHandlerDeps {
  archiveBucket: string;
  /** Hub-account S3 client for the archive bucket. */
  s3: S3Client;
  /** A fresh factory per invocation, counting into `counter`, so the summary reports this target's calls. */
  factoryFor: (counter: ApiCallCounter, sessionName: string) => ClientFactory;
  clock: Clock;
  log: Log;
  prices?: PriceTable;
  /** DescribeEndpointConfig answers kept across sweeps; production keeps them in the archive bucket. */
  configCache?: ConfigCacheStore;
}

/** A batch answers one summary per target, in order; a single target answers its summary. */
export interface ScanHandler {
  (event: { Items: readonly unknown[] }): Promise<ScanSummary[]>;
  (event: unknown): Promise<ScanSummary>;
}

export function createHandler(deps: ScanHandlerDeps): ScanHandler {
  return (async (event: unknown): Promise<ScanSummary | ScanSummary[]> => {
    if (event !== null && typeof event === 'object' && 'Items' in event) {
      const batch = parseOrThrow(ScanBatchSchema, event, 'scan batch');
      const settled = await mapLimit(batch.Items, BATCH_CONCURRENCY, (item) =>
        scanOne(deps, item).then(
          (summary) => ({ summary }),
          (error: unknown) => ({ error }),
        ),
      );
      // Every target ran (and wrote its file) before a failure is reported: a retry then costs rescans, never lost findings.
      const failure = settled.find((s): s is { error: unknown } => 'error' in s);
      if (failure) throw failure.error;
      return settled.map((s) => (s as { summary: ScanSummary }).summary);
    }
    return scanOne(deps, parseOrThrow(ScanInputSchema, event, 'scan input'));
  }) as ScanHandler;
}

async function scanOne(deps: ScanHandlerDeps, input: z.output<typeof ScanInputSchema>): Promise<ScanSummary> {
  const settings = resolveDetectionSettings(input.detection);
  const log = deps.log.child({ sweepId: input.sweepId, accountId: input.accountId, region: input.region });
  const counter = new ApiCallCounter();
  const factory = deps.factoryFor(counter, `zombie-sweep-${input.sweepId}`);
  const result = await scanOneTarget({
    factory,
    target: { accountId: input.accountId, region: input.region, roleName: input.roleName, externalId: input.externalId, capability: 'read' },
    settings,
    clock: deps.clock,
    log,
    prices: deps.prices,
    ...(deps.configCache ? { configCache: deps.configCache } : {}),
  });
  const stats = counter.stats();
  const key = layout.findings(input.sweepId, input.accountId, input.region);
  const file = findingsFile(input.sweepId, result, settings, stats);
  // Re-running the same item rewrites the same key: the latest scan of a target is the one that counts.
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.archiveBucket, Key: key, Body: JSON.stringify(file), ContentType: 'application/json' }));
  const summary = scanSummary(result, stats.total, key);
  log.info('scan finished', { status: summary.status, counts: summary.counts, monthlyCostUsd: summary.monthlyCostUsd, apiCalls: stats.total });
  return summary;
}

let production: ScanHandler | undefined;

/** Lambda entry: ARCHIVE_BUCKET from the environment, hub credentials from the function's role. */
export const handler: ScanHandler = (async (event: unknown): Promise<ScanSummary | ScanSummary[]> => {
  if (!production) {
    const archiveBucket = requiredEnv('ARCHIVE_BUCKET');
    const s3 = clientFactoryFromEnv('zombie-sweep-scan').hub(S3Client);
    production = createHandler({
      archiveBucket,
      s3,
      factoryFor: (counter, sessionName) => clientFactoryFromEnv(sessionName, counter),
      clock: systemClock,
      log: lambdaLog('zombie-sweep-scan'),
      configCache: s3ConfigCache(s3, archiveBucket),
    });
  }
  return production(event);
}) as ScanHandler;
