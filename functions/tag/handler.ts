import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import { tagEndpoint, type TagResult } from '../../src/cleanup/tag.ts';
import type { CleanupDeps } from '../../src/cleanup/endpoint.ts';
import { auditRetentionFromEnv, clientFactoryFromEnv, requiredEnv } from '../shared/env.ts';
import { lazyHandler } from '../shared/handler.ts';

/**
 * Tag step: input `{ candidate, requestedBy?, deletion? }` (src/cleanup/tag.ts; `deletion` is the
 * sweep's DeletionSettings, default keep configs and models), output a small TagResult.
 */
export function createHandler(deps: CleanupDeps): (event: unknown) => Promise<TagResult> {
  return (event) => tagEndpoint(deps, event);
}

/** Env: ARCHIVE_BUCKET; optional AUDIT_RETENTION_DAYS / AUDIT_RETENTION_MODE. */
export const handler = lazyHandler(() =>
  createHandler({
    clients: clientFactoryFromEnv('zombie-sweep-tag'),
    archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
    clock: systemClock,
    log: lambdaLog('zombie-sweep-tag'),
    auditRetention: auditRetentionFromEnv(),
  }),
);
