import { applyDecision, type ApplyDecisionResult } from '../../src/cleanup/decision.ts';
import { applyVetoes, type ApplyVetoesResult } from '../../src/cleanup/notice/veto.ts';
import type { CleanupDeps } from '../../src/cleanup/endpoint.ts';
import { cleanupDepsFromEnv, withDecisionVerifier } from '../shared/cleanup-deps.ts';
import { isStep } from '../shared/env.ts';
import { lazyHandler } from '../shared/handler.ts';

/**
 * ApplyDecision step: `{ sweepId, decision, candidatesKey?, rejectExemptDays? }` after the approval
 * task returns, or `{ sweepId, expired: true }` from its timeout Catch (src/cleanup/decision.ts); with
 * `{ step: 'apply-vetoes', sweepId, tagged }`, after the owner notice period (src/cleanup/notice/veto.ts).
 */
export interface ApplyDecisionHandler {
  (event: { step: 'apply-vetoes' } & Record<string, unknown>): Promise<ApplyVetoesResult>;
  (event: unknown): Promise<ApplyDecisionResult>;
}

export function createHandler(deps: CleanupDeps): ApplyDecisionHandler {
  return ((event: unknown) => (isStep(event, 'apply-vetoes') ? applyVetoes(deps, event) : applyDecision(deps, event))) as ApplyDecisionHandler;
}

/** Env: ARCHIVE_BUCKET, DECISION_MAC_KEY_ID; optional AUDIT_RETENTION_*. */
export const handler = lazyHandler((): ((event: unknown) => Promise<ApplyDecisionResult | ApplyVetoesResult>) =>
  createHandler(withDecisionVerifier(cleanupDepsFromEnv('apply-decision'))),
);
