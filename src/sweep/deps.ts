import type { ProtectedList } from '../core/schemas.ts';
import { S3Client } from '@aws-sdk/client-s3';
import type { AuditWriter } from '../audit/events.ts';
import type { ClientFactory } from '../core/clients.ts';
import type { Clock } from '../core/clock.ts';
import type { Log } from '../core/log.ts';
import type { Notifier } from '../core/notifier.ts';

/** What the sweep-level steps need. Shaped like the cleanup steps' deps, so one object serves both. */
export interface SweepDeps {
  clients: ClientFactory;
  archiveBucket: string;
  /** The hub's region: where account-level lookups (EC2 DescribeRegions) are made. */
  hubRegion: string;
  clock: Clock;
  log: Log;
  /** Object Lock retention for audit objects (omit for buckets without Object Lock). */
  auditRetention?: AuditWriter['retention'];
  /** CloudWatch namespace for the savings metrics the Report step publishes. Absent: none are published. */
  metricsNamespace?: string;
  /**
   * Where sweep notifications go (final report, failures, owner digests): chosen by the entry point from
   * configuration (src/core/notifier.ts `notifierFor`). Absent: a deployment without a topic, nothing is published.
   */
  notifier?: Notifier;
  /**
   * `approval.autoApprove` is accepted only when set: the local runner sets it for
   * `start --local --auto-approve`; deployed functions never do, so a deployed sweep always asks a human.
   */
  allowAutoApprove?: boolean;
  /**
   * A sweep of only the caller's own account (`targets.org = false`) acts with the caller's own
   * credentials. The local runner has the CLI user's; deployed functions have hub roles with no
   * SageMaker access, so deployed sweeps must target the organization through the member role.
   */
  allowOwnAccountOnly?: boolean;
  /** The deployment's protected list (config `protected`): every sweep honours it, whatever its own input says. */
  protectedList?: ProtectedList;
}

export function hubS3(deps: SweepDeps): S3Client {
  return deps.clients.hub(S3Client);
}

export function auditWriterOf(deps: SweepDeps): AuditWriter {
  return { s3: hubS3(deps), bucket: deps.archiveBucket, clock: deps.clock, retention: deps.auditRetention };
}
