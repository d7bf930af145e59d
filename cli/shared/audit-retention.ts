import { GetObjectLockConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuditWriter } from '../../src/audit/events.ts';
import { InputValidationError, errorName } from '../../src/core/errors.ts';
import { auditRetentionOf } from '../commands/restore.ts';

type Retention = NonNullable<AuditWriter['retention']>;

/** What a deployment locks audit events with unless its config says otherwise (infra/config.ts `retention`). */
export const DEPLOYED_AUDIT_RETENTION: Retention = { mode: 'COMPLIANCE', days: 2557 };

/**
 * The Object Lock retention a local sweep puts on its audit events, so they are kept exactly as a
 * deployed sweep's are: AUDIT_RETENTION_DAYS / AUDIT_RETENTION_MODE (the variables the deployed
 * functions read) when set; else the bucket's default retention; else, on a bucket with Object Lock
 * (as the deployed archive is, with no default: a default would lock sweep files too), the deployed
 * default. A bucket without Object Lock cannot hold locked objects: events are written without retention.
 */
export async function localAuditRetention(s3: S3Client, bucket: string, env: NodeJS.ProcessEnv): Promise<{ retention?: Retention; source: string }> {
  const explicit = auditRetentionOf({ output: 'table' }, env);
  const lock = await objectLockOf(s3, bucket);
  if (explicit) {
    if (!lock.enabled)
      throw new InputValidationError(
        `invalid AUDIT_RETENTION_DAYS: bucket ${bucket} has no Object Lock, so S3 refuses retention on its objects`,
        'AUDIT_RETENTION_DAYS',
      );
    return { retention: explicit, source: 'AUDIT_RETENTION_DAYS' };
  }
  if (lock.defaultRetention) return { retention: lock.defaultRetention, source: `the default retention of bucket ${bucket}` };
  if (lock.enabled)
    return { retention: DEPLOYED_AUDIT_RETENTION, source: 'the deployed default (set AUDIT_RETENTION_DAYS / AUDIT_RETENTION_MODE to change it)' };
  return { source: `none: bucket ${bucket} has no Object Lock` };
}

async function objectLockOf(s3: S3Client, bucket: string): Promise<{ enabled: boolean; defaultRetention?: Retention }> {
  try {
    const out = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    const config = out.ObjectLockConfiguration;
    const rule = config?.Rule?.DefaultRetention;
    const enabled = config?.ObjectLockEnabled === 'Enabled';
    if (!enabled || !rule?.Mode) return { enabled };
    const days = rule.Days ?? (rule.Years !== undefined ? rule.Years * 365 : undefined);
    return days === undefined ? { enabled } : { enabled, defaultRetention: { mode: rule.Mode, days } };
  } catch (error) {
    if (errorName(error) === 'ObjectLockConfigurationNotFoundError') return { enabled: false };
    throw error;
  }
}
