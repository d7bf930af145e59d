import { z } from 'zod';
import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import { CandidateSchema, parseOrThrow } from '../../src/core/schemas.ts';
import { ContinuationSchema, type SnapshotResult } from '../../src/cleanup/snapshot/manifest.ts';
import { snapshotEndpoint, type SnapshotDeps } from '../../src/cleanup/snapshot/snapshot.ts';
import { auditRetentionFromEnv, clientFactoryFromEnv, hubRegionFromEnv, optionalEnv, requiredEnv } from '../shared/env.ts';
import { lazyHandler } from '../shared/handler.ts';

/**
 * Snapshot step, called per zombie and again with `continuation` while it answers `continue`.
 * Input `{ candidate, continuation?, requestedBy? }`; output `{ status: 'continue', continuation, progress }`
 * or `{ status: 'complete', manifestUri, artifactCount, bytes, alreadyComplete }`. Errors by name:
 * SnapshotFailedError (skip this endpoint), RetryableAwsError (retry), TargetUnreachableError.
 */
export const SnapshotInputSchema = z
  .object({
    candidate: CandidateSchema,
    continuation: ContinuationSchema.optional(),
    requestedBy: z.string().min(1).max(512).optional(),
  })
  .strict();

/** What the handler needs from the Lambda context (the local runner may pass none). */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

export type SnapshotHandlerDeps = Omit<SnapshotDeps, 'remainingTimeMs' | 'actor'>;

export function createHandler(deps: SnapshotHandlerDeps): (event: unknown, context?: LambdaContextLike) => Promise<SnapshotResult> {
  return async (event, context) => {
    const input = parseOrThrow(SnapshotInputSchema, event, 'snapshot input');
    const remaining = context?.getRemainingTimeInMillis;
    return snapshotEndpoint(
      { candidate: input.candidate, continuation: input.continuation },
      {
        ...deps,
        actor: input.requestedBy ?? 'zombie-sweep',
        ...(typeof remaining === 'function' ? { remainingTimeMs: () => remaining.call(context) } : {}),
      },
    );
  };
}

/** Env: ARCHIVE_BUCKET; optional ARCHIVE_KMS_KEY_ID (copies and manifests use SSE-KMS with it), AUDIT_RETENTION_DAYS / AUDIT_RETENTION_MODE. */
export const handler = lazyHandler(() =>
  createHandler({
    factory: clientFactoryFromEnv('zombie-sweep-snapshot'),
    archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
    archiveRegion: hubRegionFromEnv(),
    archiveKmsKeyId: optionalEnv('ARCHIVE_KMS_KEY_ID'),
    clock: systemClock,
    log: lambdaLog('zombie-sweep-snapshot'),
    auditRetention: auditRetentionFromEnv(),
  }),
);
