import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { appendAuditEvent } from '../audit/events.ts';
import { layout, s3Uri } from '../core/layout.ts';
import { CandidateSchema, parseOrThrow } from '../core/schemas.ts';
import { TAG, ZOMBIE_VALUE, type TagMap } from '../core/tags.ts';
import { readJsonObject, writeJsonObject } from '../core/s3-json.ts';
import { auditEventsOf, auditWriter, endpointWhere, deleteTargetOf, hasAuditEvent, manifestKey, readTagsOrUndefined, type CleanupDeps } from './endpoint.ts';
import { reverify } from './reverify.ts';
import { tagChangeGuard } from './tag-intent.ts';
import { PreviousCapacitySchema, applyZeroCapacity, readCapacity, tagEndpoint, type PreviousCapacity } from './scale-to-zero.ts';

export type ScaleToZeroStatus = 'scaled-to-zero' | 'skipped' | 'already-gone';

export interface ScaleToZeroResult {
  sweepId: string;
  accountId: string;
  region: string;
  endpointName: string;
  endpointArn: string;
  status: ScaleToZeroStatus;
  reason?: string;
  check?: string;
}

/**
 * The approved "scale to zero" of one endpoint: re-verified like a deletion (approved for this action
 * by a signed decision, snapshot archived, still tagged by this sweep, not exempt, unchanged, still
 * idle), the previous capacity stored before anything changes, a write-ahead intent, the change, a
 * `change-tags` intent, the `zombie=scaled-to-zero` tag, then the outcome event. A retry after any step finishes the same way.
 */
export async function scaleEndpointToZero(deps: CleanupDeps, rawInput: unknown): Promise<ScaleToZeroResult> {
  const { candidate } = parseOrThrow(CandidateSchemaInput, rawInput, 'scale-to-zero input');
  const step = stepContext(deps, candidate);
  // A retry after the tag was written: the change is complete; only its outcome event may be missing.
  const current = await readTagsOrUndefined(step.clients.sagemaker, candidate.endpointArn);
  if (current?.[TAG.zombie] === ZOMBIE_VALUE.scaledToZero && current[TAG.sweepId] === candidate.sweepId) {
    const intent = (await auditEventsOf(deps, candidate, 'intent')).find((e) => e.details?.action === 'scale-to-zero');
    const actor = intent?.actor ?? current[TAG.approvedBy] ?? 'zombie-sweep';
    await recordOutcome(step, await readPreviousCapacity(deps, candidate), actor, intent?.tagsBefore ?? {}, current);
    return step.result('scaled-to-zero');
  }

  // A retry after the intent: the change was re-verified and announced already, and may have been made
  // (which also moves the endpoint's LastModifiedTime, so re-verifying now would refuse it): finish it.
  const intent = (await auditEventsOf(deps, candidate, 'intent')).find((e) => e.details?.action === 'scale-to-zero');
  const recordedBefore = intent ? await readPreviousCapacity(deps, candidate) : undefined;
  if (intent && recordedBefore) return finishScaling(step, recordedBefore, intent.actor, intent.tagsBefore ?? {});

  const check = await reverify(deps, candidate, 'scale-to-zero');
  if (check.outcome === 'gone') return step.result('already-gone');
  if (check.outcome === 'failed') return step.skip(check.check, check.reason, 'zombie-sweep', check.tags);
  if (check.outcome === 'deleting') return step.skip('in-service', 'the endpoint is being deleted', check.approvedBy, check.tags);

  const recorded = await recordPreviousCapacity(deps, candidate, async () =>
    readCapacity(step.clients, check.endpoint, candidate.endpointType, check.inferenceComponents),
  );
  if (!recorded.ok) return step.skip('kind', recorded.reason, check.approvedBy, check.tags);
  const { previous, key } = recorded;
  const previousUri = s3Uri(deps.archiveBucket, key);
  await appendAuditEvent(step.audit, {
    ...step.where,
    type: 'intent',
    actor: check.approvedBy,
    tagsBefore: check.tags,
    reason: `about to scale to zero: ${describe(previous)}`,
    details: { action: 'scale-to-zero', step: 'scale-to-zero', resources: resourcesOf(candidate.endpointName, previous), previousCapacityUri: previousUri },
  });
  return finishScaling(step, previous, check.approvedBy, check.tags);
}

type Candidate = z.infer<typeof CandidateSchema>;

/** What every stage of one endpoint's scale to zero shares: where, clients, audit, and how it ends. */
interface StepContext {
  deps: CleanupDeps;
  candidate: Candidate;
  where: { sweepId: string; accountId: string; region: string; endpointName: string; endpointArn: string };
  clients: { sagemaker: SageMakerClient; scaling: ApplicationAutoScalingClient };
  audit: ReturnType<typeof auditWriter>;
  result(status: ScaleToZeroStatus, reason?: string, check?: string): ScaleToZeroResult;
  skip(check: string, reason: string, actor: string, tagsBefore?: TagMap): Promise<ScaleToZeroResult>;
}

function stepContext(deps: CleanupDeps, candidate: Candidate): StepContext {
  const where = endpointWhere(candidate);
  const audit = auditWriter(deps);
  const log = deps.log.child(where);
  const result = (status: ScaleToZeroStatus, reason?: string, check?: string): ScaleToZeroResult => ({
    ...where,
    status,
    ...(reason ? { reason } : {}),
    ...(check ? { check } : {}),
  });
  const target = deleteTargetOf(candidate);
  return {
    deps,
    candidate,
    where,
    clients: { sagemaker: deps.clients.target(SageMakerClient, target), scaling: deps.clients.target(ApplicationAutoScalingClient, target) },
    audit,
    result,
    async skip(check, reason, actor, tagsBefore) {
      await appendAuditEvent(audit, { ...where, type: 'skipped', actor, reason, tagsBefore, details: { step: 'scale-to-zero', check } });
      log.warn('scale to zero skipped', { check, reason });
      return result('skipped', reason, check);
    },
  };
}

/** The change, a `change-tags` intent, the mark, then the outcome event (once): each idempotent, so a retry finishes the same way. */
async function finishScaling(step: StepContext, previous: PreviousCapacity, actor: string, tagsBefore: TagMap): Promise<ScaleToZeroResult> {
  const { deps, candidate } = step;
  await applyZeroCapacity(step.clients, candidate.endpointName, previous);
  const mark = { [TAG.zombie]: ZOMBIE_VALUE.scaledToZero, [TAG.approvedBy]: actor, [TAG.approvedAt]: deps.clock.now().toISOString() };
  // The delete capability may write this one mark, only on what its sweep confirmed (policies/member-delete-policy.json).
  await tagChangeGuard(step.audit, { ...step.where, actor, tagsBefore }, { step: 'scale-to-zero', resources: [candidate.endpointArn], set: mark })();
  await tagEndpoint(step.clients.sagemaker, candidate.endpointArn, mark);
  await recordOutcome(step, previous, actor, tagsBefore, mark);
  deps.log.child(step.where).info('endpoint scaled to zero');
  return step.result('scaled-to-zero');
}

async function recordOutcome(step: StepContext, previous: PreviousCapacity | undefined, actor: string, tagsBefore: TagMap, mark: TagMap): Promise<void> {
  const { deps, candidate } = step;
  if (await hasAuditEvent(deps, candidate, 'scaled-to-zero')) return;
  await appendAuditEvent(step.audit, {
    ...step.where,
    type: 'scaled-to-zero',
    actor,
    tagsBefore,
    tagsAfter: { ...tagsBefore, ...mark },
    details: {
      step: 'scale-to-zero',
      manifestUri: s3Uri(deps.archiveBucket, manifestKey(candidate)),
      previousCapacityUri: s3Uri(deps.archiveBucket, previousKey(candidate)),
      previous,
      monthlyCostUsd: candidate.monthlyCostUsd,
    },
  });
}

/** An item of deletions.json whose approver chose scale to zero (src/cleanup/decision.ts writes `action`). */
export function isScaleToZeroItem(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { action?: unknown }).action === 'scale-to-zero';
}

/** The state machine's item shape, as the delete step takes it. */
const CandidateSchemaInput = z.object({ candidate: CandidateSchema });

/**
 * The capacity before scaling, written once (If-None-Match) before any change: a retry after the
 * change must restore what the endpoint had, not the zeros it reads now.
 */
async function recordPreviousCapacity(
  deps: CleanupDeps,
  candidate: { accountId: string; region: string; endpointName: string; sweepId: string },
  read: () => Promise<{ ok: true; previous: PreviousCapacity } | { ok: false; reason: string }>,
): Promise<{ ok: true; previous: PreviousCapacity; key: string } | { ok: false; reason: string }> {
  const s3 = deps.clients.hub(S3Client);
  const key = previousKey(candidate);
  const stored = await readJsonObject(s3, deps.archiveBucket, key);
  if (stored) return { ok: true, previous: PreviousCapacitySchema.parse(stored.value), key };
  const reading = await read();
  if (!reading.ok) return reading;
  const written = await writeJsonObject(s3, deps.archiveBucket, key, reading.previous, { condition: { ifNoneMatch: '*' } });
  if (!written.written) return recordPreviousCapacity(deps, candidate, read);
  return { ok: true, previous: reading.previous, key };
}

function previousKey(c: { accountId: string; region: string; endpointName: string; sweepId: string }): string {
  return layout.scaledToZero(c.accountId, c.region, c.endpointName, c.sweepId);
}

/** Reads the recorded capacity of a scaled-to-zero endpoint (for restore). */
export async function readPreviousCapacity(
  deps: CleanupDeps,
  where: { accountId: string; region: string; endpointName: string; sweepId: string },
): Promise<PreviousCapacity | undefined> {
  const stored = await readJsonObject(
    deps.clients.hub(S3Client),
    deps.archiveBucket,
    layout.scaledToZero(where.accountId, where.region, where.endpointName, where.sweepId),
  );
  return stored ? PreviousCapacitySchema.parse(stored.value) : undefined;
}

function resourcesOf(endpointName: string, previous: PreviousCapacity): string[] {
  return [
    ...previous.components.map((c) => `inference-component/${c.name}`),
    ...previous.variants.map((v) => `endpoint/${endpointName}/variant/${v.variantName}`),
    ...previous.scalableTargets.map((t) => `${t.resourceId}#${t.dimension}`),
  ];
}

function describe(previous: PreviousCapacity): string {
  const parts = [
    ...previous.components.map((c) => `${c.name} ${c.copyCount} → 0 copies`),
    ...previous.variants.map((v) => `variant ${v.variantName} ${v.instanceCount} → 0 instances`),
    ...previous.scalableTargets.filter((t) => t.minCapacity > 0).map((t) => `${t.resourceId} minimum ${t.minCapacity} → 0`),
  ];
  return parts.join(', ') || 'nothing to change';
}
