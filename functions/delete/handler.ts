import { KMSClient } from '@aws-sdk/client-kms';
import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import { kmsMacSigner } from '../../src/cleanup/approval/links.ts';
import { deleteEndpoint, type DeleteDeps, type DeleteResult } from '../../src/cleanup/delete.ts';
import { auditRetentionFromEnv, clientFactoryFromEnv, requiredEnv } from '../shared/env.ts';

/**
 * Delete step, one approved endpoint: `{ candidate, deletion? }` (an item of deletions.json plus the
 * sweep's DeletionSettings). Output `{ status: deleted | deleting | skipped | already-gone, reason? }`;
 * `deleting` means call again later (the step is idempotent).
 */
export function createHandler(deps: DeleteDeps): (event: unknown) => Promise<DeleteResult> {
  return (event) => deleteEndpoint(deps, event);
}

let production: ((event: unknown) => Promise<DeleteResult>) | undefined;

/** Env: ARCHIVE_BUCKET, DECISION_MAC_KEY_ID; optional AUDIT_RETENTION_*. */
export const handler = (event: unknown): Promise<DeleteResult> => {
  if (!production) {
    const clients = clientFactoryFromEnv('zombie-sweep-delete');
    production = createHandler({
      clients,
      archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
      clock: systemClock,
      log: lambdaLog('zombie-sweep-delete'),
      auditRetention: auditRetentionFromEnv(),
      decisionSigner: kmsMacSigner(clients.hub(KMSClient), requiredEnv('DECISION_MAC_KEY_ID')),
    });
  }
  return production(event);
};
