import { KMSClient } from '@aws-sdk/client-kms';
import { kmsMacSigner } from '../../src/cleanup/approval/links.ts';
import type { CleanupDeps } from '../../src/cleanup/endpoint.ts';
import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import { auditRetentionFromEnv, clientFactoryFromEnv, requiredEnv } from './env.ts';

/** Production deps of the per-endpoint cleanup steps. Env: ARCHIVE_BUCKET; optional AUDIT_RETENTION_*. */
export function cleanupDepsFromEnv(name: string): CleanupDeps {
  return {
    clients: clientFactoryFromEnv(`zombie-sweep-${name}`),
    archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
    clock: systemClock,
    log: lambdaLog(`zombie-sweep-${name}`),
    auditRetention: auditRetentionFromEnv(),
  };
}

/** The steps that act on a decision verify its MAC with DECISION_MAC_KEY_ID. */
export function withDecisionVerifier(deps: CleanupDeps): CleanupDeps {
  return { ...deps, decisionSigner: kmsMacSigner(deps.clients.hub(KMSClient), requiredEnv('DECISION_MAC_KEY_ID')) };
}
