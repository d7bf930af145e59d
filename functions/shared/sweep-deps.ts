import { notifierFor } from '../../src/core/notifier.ts';
import { systemClock } from '../../src/core/clock.ts';
import { lambdaLog } from '../../src/core/log.ts';
import type { SweepDeps } from '../../src/sweep/deps.ts';
import { auditRetentionFromEnv, protectedListFromEnv, clientFactoryFromEnv, hubRegionFromEnv, optionalEnv, requiredEnv } from './env.ts';

/**
 * Production deps of the sweep-level functions (validate-input, list-targets, collect, report,
 * record-failure). Env: ARCHIVE_BUCKET; optional NOTIFICATION_TOPIC_ARN (report, record-failure),
 * METRICS_NAMESPACE (report: savings metrics),
 * AUDIT_RETENTION_DAYS / AUDIT_RETENTION_MODE, PROTECTED_LIST (validate-input). Deployed functions never allow auto-approve.
 */
export function sweepDepsFromEnv(name: string): SweepDeps {
  const clients = clientFactoryFromEnv(`zombie-sweep-${name}`);
  const topicArn = optionalEnv('NOTIFICATION_TOPIC_ARN');
  return {
    clients,
    archiveBucket: requiredEnv('ARCHIVE_BUCKET'),
    hubRegion: hubRegionFromEnv(),
    clock: systemClock,
    log: lambdaLog(`zombie-sweep-${name}`),
    auditRetention: auditRetentionFromEnv(),
    ...(topicArn ? { notifier: notifierFor({ kind: 'sns', topicArn }, clients) } : {}),
    metricsNamespace: optionalEnv('METRICS_NAMESPACE'),
    allowAutoApprove: false,
    allowOwnAccountOnly: false,
    protectedList: protectedListFromEnv(),
  };
}
