import { KMSClient } from '@aws-sdk/client-kms';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import { kmsMacSigner } from '../../src/cleanup/approval/links.ts';
import { handleApprovalHttp, type ApprovalWebDeps } from '../../src/cleanup/approval/web.ts';
import { auditRetentionFromEnv, clientFactoryFromEnv, requiredEnv } from '../shared/env.ts';
import { lazyHandler } from '../shared/handler.ts';

/**
 * The approval pages behind API Gateway (REST API, Lambda proxy integration on
 * `/approvals/{sweepId}`, GET and POST). Locally, `approvalWebRoute(createHandler(deps))` from
 * src/cleanup/approval/http.ts serves the same handler from a Node HTTP server.
 */
export function createHandler(deps: ApprovalWebDeps): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return (event) => handleApprovalHttp(deps, event);
}

/** Env: ARCHIVE_BUCKET, APPROVAL_MAC_KEY_ID, DECISION_MAC_KEY_ID; optional AUDIT_RETENTION_*. Needs states:SendTaskSuccess. */
export const handler = lazyHandler((): ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) => {
  const clients = clientFactoryFromEnv('zombie-sweep-approval-web');
  return createHandler({
    clients,
    archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
    clock: systemClock,
    log: lambdaLog('zombie-sweep-approval-web'),
    auditRetention: auditRetentionFromEnv(),
    signer: kmsMacSigner(clients.hub(KMSClient), requiredEnv('APPROVAL_MAC_KEY_ID')),
    decisionSigner: kmsMacSigner(clients.hub(KMSClient), requiredEnv('DECISION_MAC_KEY_ID')),
  });
});
