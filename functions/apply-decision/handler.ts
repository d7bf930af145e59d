import { KMSClient } from '@aws-sdk/client-kms';
import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import { kmsMacSigner } from '../../src/cleanup/approval/links.ts';
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

/** Env: ARCHIVE_BUCKET, DECISION_MAC_KEY_ID; optional AUDIT_RETENTION_*. */
export const handler = (event: unknown): Promise<ApplyDecisionResult> => {
  if (!production) {
    const clients = clientFactoryFromEnv('zombie-sweep-apply-decision');
    production = createHandler({
      clients,
      archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
      clock: systemClock,
      log: lambdaLog('zombie-sweep-apply-decision'),
      auditRetention: auditRetentionFromEnv(),
      decisionSigner: kmsMacSigner(clients.hub(KMSClient), requiredEnv('DECISION_MAC_KEY_ID')),
    });
  }
  return production(event);
};
