import { KMSClient } from '@aws-sdk/client-kms';
import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import { kmsMacSigner } from '../../src/cleanup/approval/links.ts';
import { requestApproval, type ApprovalRequestDeps, type RequestApprovalResult } from '../../src/cleanup/approval/request.ts';
import { notifyOwners, type NotifyOwnersResult } from '../../src/cleanup/notice/notice.ts';
import { notifierFor } from '../../src/core/notifier.ts';
import { auditRetentionFromEnv, clientFactoryFromEnv, isStep, requiredEnv } from '../shared/env.ts';

/**
 * RequestApproval step (`.waitForTaskToken`): input `{ taskToken, sweepId, candidatesKey | candidates,
 * approvers, timeoutSeconds, requestedBy, rejectExemptDays? }` (src/cleanup/approval/request.ts).
 * The task's own output is the decision sent later by the approval page. With `{ step: 'notify-owners', ... }`
 * (a plain task before the notice Wait) it mails owners their veto links (src/cleanup/notice/notice.ts).
 */
export interface RequestApprovalHandler {
  (event: { step: 'notify-owners' } & Record<string, unknown>): Promise<NotifyOwnersResult>;
  (event: unknown): Promise<RequestApprovalResult>;
}

export function createHandler(deps: ApprovalRequestDeps): RequestApprovalHandler {
  return ((event: unknown) => (isStep(event, 'notify-owners') ? notifyOwners(deps, event) : requestApproval(deps, event))) as RequestApprovalHandler;
}

let production: RequestApprovalHandler | undefined;

/** Env: ARCHIVE_BUCKET, NOTIFICATION_TOPIC_ARN, APPROVAL_BASE_URL, APPROVAL_MAC_KEY_ID; optional AUDIT_RETENTION_*. */
export const handler = (event: unknown): Promise<RequestApprovalResult | NotifyOwnersResult> => {
  if (!production) {
    const clients = clientFactoryFromEnv('zombie-sweep-request-approval');
    production = createHandler({
      clients,
      archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
      clock: systemClock,
      log: lambdaLog('zombie-sweep-request-approval'),
      auditRetention: auditRetentionFromEnv(),
      signer: kmsMacSigner(clients.hub(KMSClient), requiredEnv('APPROVAL_MAC_KEY_ID')),
      notifier: notifierFor({ kind: 'sns', topicArn: requiredEnv('NOTIFICATION_TOPIC_ARN') }, clients),
      approvalBaseUrl: requiredEnv('APPROVAL_BASE_URL'),
    });
  }
  return production(event);
};
