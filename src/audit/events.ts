import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { layout } from '../core/layout.ts';
import { retryableIfTransient, writeJsonObject } from '../core/s3-json.ts';

/** Event types are a contract with auditors (docs/design.md); add, never rename. */
export const AuditEventTypeSchema = z.enum([
  'detected',
  'snapshotted',
  'snapshot-failed',
  'tagged',
  'approval-requested',
  'approved',
  'rejected',
  'expired',
  'deleted',
  'skipped',
  'restored',
  /** The endpoint was scaled to zero instead of deleted; details carry the capacity it had (src/cleanup/scale-to-zero.ts). */
  'scaled-to-zero',
  'sweep-started',
  'sweep-finished',
  'sweep-failed',
  /** Delete started removing an endpoint's inference components (recorded before waiting on them: the endpoint may still be kept). */
  'components-deleted',
  /** Something that must not happen did: e.g. the approval task completed without a valid signed decision record. Nothing was acted on. */
  'anomaly',
  /** An endpoint's owner was sent the notice listing it, with a veto link (before the approvers are asked). */
  'owner-notified',
  /** The owner vetoed deletion: `details.step` is `requested` (the owner's click) or `untagged` (the `zombie` tag removed). */
  'vetoed',
  /**
   * Written, durably, BEFORE a destructive or tag-changing call (write-ahead): if the call's outcome
   * event never lands (a crash, S3 down), the intent still names what may have happened, by whom,
   * under which sweep. `details` follows IntentDetailsSchema.
   */
  'intent',
]);
export type AuditEventType = z.infer<typeof AuditEventTypeSchema>;

export const AuditEventSchema = z.object({
  eventId: z.string(),
  type: AuditEventTypeSchema,
  at: z.string(),
  /** Who did it: the sweep's principal, an approver's identity, `auto-approve`, or a CLI user's ARN. */
  actor: z.string(),
  sweepId: z.string().optional(),
  accountId: z.string().optional(),
  region: z.string().optional(),
  endpointName: z.string().optional(),
  endpointArn: z.string().optional(),
  tagsBefore: z.record(z.string(), z.string()).optional(),
  tagsAfter: z.record(z.string(), z.string()).optional(),
  /** Human reason (skips, failures, rejections). */
  reason: z.string().optional(),
  /** Event-specific facts (manifest URI, costs, approvers...). */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** What an intent announces; each action is resolved by the outcome events listed in INTENT_OUTCOMES. */
export const IntentActionSchema = z.enum([
  'delete-endpoint',
  'delete-inference-components',
  'deregister-scalable-targets',
  'delete-endpoint-config',
  'delete-models',
  'change-tags',
  'scale-to-zero',
]);
export type IntentAction = z.infer<typeof IntentActionSchema>;

export const IntentDetailsSchema = z.looseObject({
  action: IntentActionSchema,
  /** The step making the call (delete, tag, apply-decision). */
  step: z.string(),
  /** Names, ARNs or scalable-target ids the call(s) act on. */
  resources: z.array(z.string()),
  /** delete-endpoint only: the config the endpoint used, for the removal after it is gone. */
  endpointConfigName: z.string().optional(),
});
export type IntentDetails = z.infer<typeof IntentDetailsSchema>;

/** What a `skipped` event records: the step that kept the endpoint, the failed check, and what was already undone. */
export const SkippedDetailsSchema = z.looseObject({
  step: z.string(),
  check: z.string(),
  manifestUri: z.string().optional(),
  inferenceComponentsDeleted: z.array(z.string()).optional(),
  deregisteredScalableTargets: z.array(z.string()).optional(),
  componentsDeletedEarlier: z.boolean().optional(),
});
export type SkippedDetails = z.infer<typeof SkippedDetailsSchema>;

/** Written by delete before it waits on inference components: what a kept endpoint has lost. */
export const ComponentsDeletedDetailsSchema = z.looseObject({
  step: z.literal('delete'),
  manifestUri: z.string(),
  inferenceComponentsDeleted: z.array(z.string()),
  deregisteredScalableTargets: z.array(z.string()),
});
export type ComponentsDeletedDetails = z.infer<typeof ComponentsDeletedDetailsSchema>;

/** What the optional removal after DeleteEndpoint removed and kept. */
export const RemovedResourcesSchema = z.object({ endpointConfig: z.string().optional(), models: z.array(z.string()), kept: z.array(z.string()) });
export type RemovedResources = z.infer<typeof RemovedResourcesSchema>;

/**
 * A `deleted` event is written twice per deletion: `status: accepted` the moment DeleteEndpoint is
 * accepted (it carries the config name the later removal needs), `status: deleted` by the
 * `remove-config-and-models` step once the endpoint is gone.
 */
export const DeletedDetailsSchema = z.looseObject({
  step: z.string().optional(),
  status: z.enum(['accepted', 'deleted']).optional(),
  manifestUri: z.string().optional(),
  approvedBy: z.string().optional(),
  endpointConfigName: z.string().optional(),
  inferenceComponents: z.array(z.string()).optional(),
  deregisteredScalableTargets: z.array(z.string()).optional(),
  removed: RemovedResourcesSchema.optional(),
  /** The intent an accepted event was reconstructed from, when the attempt that called DeleteEndpoint died before recording it. */
  recoveredFromIntent: z.string().optional(),
});
export type DeletedDetails = z.infer<typeof DeletedDetailsSchema>;

/**
 * Details schemas per event type: checked when written (appendAuditEvent) and when read back
 * (detailsOf). Types not listed keep free-form details; `.optional()` ones may have none.
 */
export const AUDIT_DETAILS = {
  intent: IntentDetailsSchema,
  anomaly: z.looseObject({ step: z.string() }),
  skipped: SkippedDetailsSchema.optional(),
  'components-deleted': ComponentsDeletedDetailsSchema,
  deleted: DeletedDetailsSchema.optional(),
} satisfies Partial<Record<AuditEventType, z.ZodType>>;
const DETAILS_SCHEMAS: Partial<Record<AuditEventType, z.ZodType>> = AUDIT_DETAILS;

export type DetailedEventType = keyof typeof AUDIT_DETAILS;
export type DetailsOf<T extends DetailedEventType> = z.output<(typeof AUDIT_DETAILS)[T]>;

/**
 * The typed details of an event of `type`, or undefined when it is another type or its details do not
 * follow the schema (an event written before the schema existed): readers then treat the facts as absent.
 */
export function detailsOf<T extends DetailedEventType>(event: AuditEvent, type: T): DetailsOf<T> | undefined {
  if (event.type !== type) return undefined;
  const parsed = AUDIT_DETAILS[type].safeParse(event.details);
  return parsed.success ? (parsed.data as DetailsOf<T>) : undefined;
}

/**
 * The outcome events that settle an intent of the same sweep and endpoint written before them. An
 * intent no such event follows is "attempted, outcome unknown": the call may or may not have happened.
 */
export const INTENT_OUTCOMES: Record<IntentAction, (event: AuditEvent, intent: IntentDetails) => boolean> = {
  'delete-endpoint': (e) => e.type === 'deleted' || e.type === 'skipped',
  'delete-inference-components': (e) => e.type === 'components-deleted' || e.type === 'deleted' || e.type === 'skipped',
  'deregister-scalable-targets': (e) => e.type === 'components-deleted' || e.type === 'deleted' || e.type === 'skipped',
  'delete-endpoint-config': (e) => detailsOf(e, 'deleted')?.step === 'remove-config-and-models',
  'delete-models': (e) => detailsOf(e, 'deleted')?.step === 'remove-config-and-models',
  'scale-to-zero': (e) => e.type === 'scaled-to-zero' || e.type === 'skipped',
  // Only the outcome of the step that announced the change: a `tagged` event does not settle a later rejection's intent.
  'change-tags': (e, intent) => e.type === 'skipped' || CHANGE_TAGS_OUTCOME[intent.step] === e.type,
};

/** The outcome event of each step that changes tags (src/cleanup/tag-intent.ts). */
const CHANGE_TAGS_OUTCOME: Record<string, AuditEventType> = {
  tag: 'tagged',
  approve: 'approved',
  reject: 'rejected',
  veto: 'vetoed',
  'scale-to-zero': 'scaled-to-zero',
};

/** Intents of `events` (one endpoint's history) that no later outcome event of their sweep settles. */
export function unresolvedIntents(events: readonly AuditEvent[]): AuditEvent[] {
  return events.filter((intent) => {
    if (intent.type !== 'intent') return false;
    const intended = detailsOf(intent, 'intent');
    if (!intended) return true;
    const settles = INTENT_OUTCOMES[intended.action];
    // Same instant counts as after: the outcome is written after its intent, and clocks have millisecond resolution.
    return !events.some((e) => e.sweepId === intent.sweepId && e.type !== 'intent' && e.at >= intent.at && settles(e, intended));
  });
}

export interface AuditWriter {
  s3: S3Client;
  bucket: string;
  clock: Clock;
  /** Object Lock retention for audit objects; omit for buckets without Object Lock. */
  retention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number };
}

export type NewAuditEvent = Omit<AuditEvent, 'eventId' | 'at'> & { at?: string };

/**
 * Appends one event as its own object, never rewritten: If-None-Match makes a key collision fail
 * instead of overwriting, and Object Lock retention keeps it for the configured period.
 * Endpoint events live under the endpoint's prefix (one LIST gives its history, even after deletion);
 * sweep-level events under the sweep's prefix.
 */
export async function appendAuditEvent(writer: AuditWriter, input: NewAuditEvent): Promise<{ key: string; event: AuditEvent }> {
  const event: AuditEvent = AuditEventSchema.parse({ ...input, eventId: randomUUID(), at: input.at ?? writer.clock.now().toISOString() });
  DETAILS_SCHEMAS[event.type]?.parse(event.details);
  const prefix =
    event.accountId && event.region && event.endpointName
      ? layout.endpointAuditPrefix(event.accountId, event.region, event.endpointName)
      : layout.sweepAuditPrefix(event.sweepId ?? 'no-sweep');
  const key = `${prefix}${event.at.replace(/[:.]/g, '-')}-${event.type}-${event.eventId.slice(0, 8)}.json`;
  const retainUntil = writer.retention ? new Date(writer.clock.now().getTime() + writer.retention.days * 86_400_000) : undefined;
  if (event.sweepId && event.accountId && event.region && event.endpointName) await indexSweepEndpoint(writer, event, retainUntil);
  try {
    await writer.s3.send(
      new PutObjectCommand({
        Bucket: writer.bucket,
        Key: key,
        Body: JSON.stringify(event, null, 2),
        ContentType: 'application/json',
        IfNoneMatch: '*',
        ObjectLockMode: writer.retention?.mode,
        ObjectLockRetainUntilDate: retainUntil,
      }),
    );
  } catch (error) {
    // A throttled or failing S3 is the state machine's to retry (RetryableAwsError), not a failed sweep.
    throw retryableIfTransient(error, `appending audit event ${key}`);
  }
  return { key, event };
}

// Keyed by the S3 client (cached per factory), not the writer: steps build a fresh writer per call.
const indexed = new WeakMap<S3Client, Set<string>>();

/**
 * Records, once per (sweep, endpoint), that the sweep touched the endpoint, so `zombie-sweep audit
 * --sweep` reads only the endpoints involved instead of every endpoint ever audited. Written before
 * the event: a marker without events is harmless, an event the index misses would hide it from the query.
 */
async function indexSweepEndpoint(writer: AuditWriter, event: AuditEvent, retainUntil: Date | undefined): Promise<void> {
  const key = layout.sweepIndexEntry(event.sweepId!, event.accountId!, event.region!, event.endpointName!);
  const seen = indexed.get(writer.s3) ?? new Set<string>();
  indexed.set(writer.s3, seen);
  if (seen.has(`${writer.bucket}/${key}`)) return;
  const marker: SweepIndexEntry = {
    sweepId: event.sweepId!,
    accountId: event.accountId!,
    region: event.region!,
    endpointName: event.endpointName!,
    endpointArn: event.endpointArn,
    firstEventAt: event.at,
  };
  // A lost race means another step of the same sweep indexed this endpoint first: nothing to do.
  await writeJsonObject(writer.s3, writer.bucket, key, marker, {
    condition: { ifNoneMatch: '*' },
    objectLock: writer.retention && retainUntil ? { mode: writer.retention.mode, retainUntil } : undefined,
  });
  seen.add(`${writer.bucket}/${key}`);
}

export const SweepIndexEntrySchema = z.object({
  sweepId: z.string(),
  accountId: z.string(),
  region: z.string(),
  endpointName: z.string(),
  endpointArn: z.string().optional(),
  firstEventAt: z.string(),
});
export type SweepIndexEntry = z.infer<typeof SweepIndexEntrySchema>;
