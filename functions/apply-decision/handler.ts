import { applyDecision, type ApplyDecisionResult } from '../../src/cleanup/decision.ts';
import type { CleanupDeps } from '../../src/cleanup/endpoint.ts';
import { cleanupDepsFromEnv, withDecisionVerifier } from '../shared/cleanup-deps.ts';
import { lazyHandler } from '../shared/handler.ts';

/**
 * ApplyDecision step: `{ sweepId, decision, candidatesKey?, rejectExemptDays? }` after the approval
 * task returns, or `{ sweepId, expired: true }` from its timeout Catch (src/cleanup/decision.ts).
 */
export function createHandler(deps: CleanupDeps): (event: unknown) => Promise<ApplyDecisionResult> {
  return (event) => applyDecision(deps, event);
}

/** Env: ARCHIVE_BUCKET, DECISION_MAC_KEY_ID; optional AUDIT_RETENTION_*. */
export const handler = lazyHandler(() => createHandler(withDecisionVerifier(cleanupDepsFromEnv('apply-decision'))));
