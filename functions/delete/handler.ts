import { deleteEndpoint, type DeleteDeps, type DeleteResult } from '../../src/cleanup/delete.ts';
import { isScaleToZeroItem, scaleEndpointToZero, type ScaleToZeroResult } from '../../src/cleanup/scale-to-zero-step.ts';
import { cleanupDepsFromEnv, withDecisionVerifier } from '../shared/cleanup-deps.ts';
import { lazyHandler } from '../shared/handler.ts';

/**
 * Delete step, one approved endpoint: `{ candidate, deletion? }` (an item of deletions.json plus the
 * sweep's DeletionSettings). Output `{ status: deleted | deleting | skipped | already-gone, reason? }`;
 * `deleting` means call again later (the step is idempotent). An item with `action: scale-to-zero` (the
 * approver chose it) is scaled to zero instead: `{ status: scaled-to-zero | skipped | already-gone }`.
 */
export function createHandler(deps: DeleteDeps): (event: unknown) => Promise<DeleteResult | ScaleToZeroResult> {
  return (event) => (isScaleToZeroItem(event) ? scaleEndpointToZero(deps, event) : deleteEndpoint(deps, event));
}

/** Env: ARCHIVE_BUCKET, DECISION_MAC_KEY_ID; optional AUDIT_RETENTION_*. */
export const handler = lazyHandler(() => createHandler(withDecisionVerifier(cleanupDepsFromEnv('delete'))));
