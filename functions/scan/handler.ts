import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ApiCallCounter } from '../../src/core/api-calls.ts';
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
import type { PriceTable } from '../../src/detection/pricing.ts';
import { findingsFile, scanOneTarget, scanSummary } from '../../src/detection/target-scan.ts';
import { clientFactoryFromEnv, requiredEnv } from '../shared/env.ts';

/**
 * Scan Lambda: one Distributed Map item = one account-region. Writes the findings file itself (the
 * Map's payload stays small at any organization size) and returns a ScanSummary. An unreachable
 * target is a summary with status `unreachable`, never a failure; RetryableAwsError is thrown for
 * throttling that outlived the SDK's retries, for the state machine to retry.
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

export interface ScanHandlerDeps {
  archiveBucket: string;
  /** Hub-account S3 client for the archive bucket. */
  s3: S3Client;
  /** A fresh factory per invocation, counting into `counter`, so the summary reports this target's calls. */
  factoryFor: (counter: ApiCallCounter, sessionName: string) => ClientFactory;
  clock: Clock;
  log: Log;
  prices?: PriceTable;
}

export function createHandler(deps: ScanHandlerDeps): (event: unknown) => Promise<ScanSummary> {
  return async (event) => {
    const input = parseOrThrow(ScanInputSchema, event, 'scan input');
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
    });
    const stats = counter.stats();
    const key = layout.findings(input.sweepId, input.accountId, input.region);
    const file = findingsFile(input.sweepId, result, settings, stats);
    // Re-running the same item rewrites the same key: the latest scan of a target is the one that counts.
    await deps.s3.send(
      new PutObjectCommand({ Bucket: deps.archiveBucket, Key: key, Body: JSON.stringify(file), ContentType: 'application/json' }),
    );
    const summary = scanSummary(result, stats.total, key);
    log.info('scan finished', { status: summary.status, counts: summary.counts, monthlyCostUsd: summary.monthlyCostUsd, apiCalls: stats.total });
    return summary;
  };
}

let production: ((event: unknown) => Promise<ScanSummary>) | undefined;

/** Lambda entry: ARCHIVE_BUCKET from the environment, hub credentials from the function's role. */
export const handler = async (event: unknown): Promise<ScanSummary> => {
  production ??= createHandler({
    archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
    s3: clientFactoryFromEnv('zombie-sweep-scan').hub(S3Client),
    factoryFor: (counter, sessionName) => clientFactoryFromEnv(sessionName, counter),
    clock: systemClock,
    log: lambdaLog('zombie-sweep-scan'),
  });
  return production(event);
};
