import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import { applyDecision, type ApplyDecisionResult } from '../../src/cleanup/decision.ts';
import type { CleanupDeps } from '../../src/cleanup/reverify.ts';
import { auditRetentionFromEnv, clientFactoryFromEnv, requiredEnv } from '../shared/env.ts';

/**
 * ApplyDecision step: `{ sweepId, decision, candidatesKey?, rejectExemptDays? }` after the approval
 * task returns, or `{ sweepId, expired: true }` from its timeout Catch (src/cleanup/decision.ts).
 */
export function createHandler(deps: CleanupDeps): (event: unknown) => Promise<ApplyDecisionResult> {
  return (event) => applyDecision(deps, event);
}

let production: ((event: unknown) => Promise<ApplyDecisionResult>) | undefined;

/** Env: ARCHIVE_BUCKET; optional AUDIT_RETENTION_*. */
export const handler = (event: unknown): Promise<ApplyDecisionResult> => {
  production ??= createHandler({
    clients: clientFactoryFromEnv('zombie-sweep-apply-decision'),
    archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
    clock: systemClock,
    log: lambdaLog('zombie-sweep-apply-decision'),
    auditRetention: auditRetentionFromEnv(),
  });
  return production(event);
};
