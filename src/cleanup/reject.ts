import { AddTagsCommand, SageMakerClient, type DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { appendAuditEvent, type AuditEventType } from '../audit/events.ts';
import { DAY_MS, isoDate } from '../core/clock.ts';
import { TAG, ZOMBIE_VALUE, tagMapToList, type TagMap } from '../core/tags.ts';
import type { ApprovalCandidate } from './approval/store.ts';
import {
  auditWriter,
  configAndModels,
  describeEndpointOrUndefined,
  endpointWhere,
  hasAuditEvent,
  listInferenceComponents,
  readEndpointTags,
  readTagsOrUndefined,
  retryableOr,
  tagTargetOf,
  type ChildResource,
  type CleanupDeps,
  type EndpointWhere,
} from './endpoint.ts';
import { isSageMakerNotFound } from '../core/aws-errors.ts';
import { tagChangeGuard } from './tag-intent.ts';

/**
 * The endpoint side of a decision. A rejected endpoint is tagged `zombie=rejected` with
 * `zombie-exempt-until`, so the next sweeps leave it alone; an approved one gets
 * `zombie-approved-by` / `zombie-approved-at`. Both dates derive from the decision time, not from
 * when this runs, so a retry writes the same values and is recognised as already done.
 *
 * A rejected endpoint's inference components, config and models that the tag step marked
 * `zombie=confirmed` (which is what lets the member role delete them) become `zombie=rejected` too,
 * after the endpoint itself (the endpoint's tag is what Delete goes by), so nothing stays deletable.
 */

export interface DecisionRef {
  /** The approver's identity, or `auto-approve`. */
  actor: string;
  decidedAt: string;
}

export interface MarkResult {
  endpointArn: string;
  status: 'tagged' | 'already-tagged' | 'gone' | 'not-ours';
  reason?: string;
}

export function rejectionTags(decidedAt: string, exemptDays: number): TagMap {
  return { [TAG.zombie]: ZOMBIE_VALUE.rejected, [TAG.exemptUntil]: isoDate(new Date(Date.parse(decidedAt) + exemptDays * DAY_MS)) };
}

export function approvalTags(actor: string, decidedAt: string): TagMap {
  return { [TAG.approvedBy]: actor.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256), [TAG.approvedAt]: decidedAt };
}

/** Children of a rejected endpoint still marked for deletion become `zombie=rejected`. Idempotent: only marked ones are written. */
export async function unmarkRejectedChildren(
  sagemaker: SageMakerClient,
  endpoint: DescribeEndpointCommandOutput,
  endpointName: string,
  beforeWrite: (children: readonly ChildResource[]) => Promise<void>,
): Promise<(ChildResource & { status: 'tagged' })[]> {
  const { config, models } = await configAndModels(sagemaker, endpoint.EndpointConfigName);
  const components = (await listInferenceComponents(sagemaker, endpointName)).map(({ kind, name, arn }) => ({ kind, name, arn }));
  const retagged: (ChildResource & { status: 'tagged' })[] = [];
  const all = [...components, ...(config ? [config] : []), ...models];
  for (const child of all) {
    const tags = await readTagsOrUndefined(sagemaker, child.arn);
    // Any sweep's mark: a kept endpoint must not leave a deletable child behind.
    if (tags?.[TAG.zombie] !== ZOMBIE_VALUE.confirmed) continue;
    await beforeWrite(all);
    try {
      await sagemaker.send(new AddTagsCommand({ ResourceArn: child.arn, Tags: tagMapToList({ [TAG.zombie]: ZOMBIE_VALUE.rejected }) }));
      retagged.push({ ...child, status: 'tagged' });
    } catch (error) {
      if (!isSageMakerNotFound(error)) throw error;
    }
  }
  return retagged;
}

interface MarkRun {
  deps: CleanupDeps;
  candidate: ApprovalCandidate;
  decision: DecisionRef;
  type: AuditEventType;
  details: Record<string, unknown>;
  where: EndpointWhere;
  audit: ReturnType<typeof auditWriter>;
}

async function applyTags(
  deps: CleanupDeps,
  candidate: ApprovalCandidate,
  decision: DecisionRef,
  type: AuditEventType,
  desired: (before: TagMap) => TagMap | { skip: string },
  details: Record<string, unknown>,
  options: { unmarkChildren?: boolean } = {},
): Promise<MarkResult> {
  const run: MarkRun = { deps, candidate, decision, type, details, where: endpointWhere(candidate), audit: auditWriter(deps) };
  const sagemaker = deps.clients.target(SageMakerClient, tagTargetOf(candidate));
  try {
    const endpoint = await describeEndpointOrUndefined(sagemaker, candidate.endpointName);
    if (!endpoint || (endpoint.EndpointArn !== undefined && endpoint.EndpointArn !== candidate.endpointArn)) {
      const reason = 'the endpoint no longer exists';
      await recordOnce(run, { reason });
      return { endpointArn: candidate.endpointArn, status: 'gone', reason };
    }
    const before = await readEndpointTags(sagemaker, candidate.endpointArn);
    const tags = desired(before);
    if ('skip' in tags) {
      await recordOnce(run, { reason: tags.skip, tagsBefore: before, details: { tagged: false } });
      return { endpointArn: candidate.endpointArn, status: 'not-ours', reason: tags.skip };
    }
    const endpointDone = Object.entries(tags).every(([k, v]) => before[k] === v);
    const step = typeof details.step === 'string' ? details.step : type;
    const guard = (children: readonly ChildResource[]) =>
      tagChangeGuard(
        run.audit,
        { ...run.where, actor: decision.actor, tagsBefore: before },
        { step, resources: [candidate.endpointArn, ...children.map((c) => c.arn)], set: tags },
      );
    if (!endpointDone) await guard([])().then(() => sagemaker.send(new AddTagsCommand({ ResourceArn: candidate.endpointArn, Tags: tagMapToList(tags) })));
    // A retry after a crash between the endpoint and its children still finishes the children.
    let beforeChild: (() => Promise<void>) | undefined;
    const children = options.unmarkChildren
      ? await unmarkRejectedChildren(sagemaker, endpoint, candidate.endpointName, (all) => (beforeChild ??= guard(all))())
      : [];
    const childDetails = options.unmarkChildren ? { children } : {};
    if (endpointDone) {
      const note = 'endpoint tags were already in place from an earlier attempt';
      if (children.length > 0) await record(run, { tagsBefore: before, tagsAfter: before, details: { ...childDetails, note } });
      else await recordOnce(run, { tagsBefore: before, tagsAfter: before, details: { ...childDetails, note } });
      return { endpointArn: candidate.endpointArn, status: 'already-tagged' };
    }
    await record(run, { tagsBefore: before, tagsAfter: { ...before, ...tags }, details: childDetails });
    return { endpointArn: candidate.endpointArn, status: 'tagged' };
  } catch (error) {
    throw retryableOr(error);
  }
}

type MarkEvent = { reason?: string; tagsBefore?: TagMap; tagsAfter?: TagMap; details?: Record<string, unknown> };

/** The decision's event on this endpoint: the run's details, the event's own, and when it was decided. */
async function record(run: MarkRun, event: MarkEvent): Promise<void> {
  const details = { ...run.details, ...event.details, decidedAt: run.decision.decidedAt };
  await appendAuditEvent(run.audit, { ...run.where, ...event, type: run.type, actor: run.decision.actor, details });
}

/** The same, unless an earlier attempt wrote it already. */
async function recordOnce(run: MarkRun, event: MarkEvent): Promise<void> {
  if (!(await hasAuditEvent(run.deps, run.candidate, run.type))) await record(run, event);
}

/** Rejected by the approver: keep it, and exempt it from the next sweeps for `exemptDays`. */
export function markRejected(deps: CleanupDeps, candidate: ApprovalCandidate, decision: DecisionRef, exemptDays: number): Promise<MarkResult> {
  return applyTags(
    deps,
    candidate,
    decision,
    'rejected',
    () => rejectionTags(decision.decidedAt, exemptDays),
    { exemptDays, step: 'reject' },
    { unmarkChildren: true },
  );
}

/**
 * Approved: record who approved on the endpoint itself. Only while it is still this sweep's
 * confirmed zombie: an owner who removed the tag vetoed deletion, and Delete will report that.
 */
export function markApproved(deps: CleanupDeps, candidate: ApprovalCandidate, decision: DecisionRef): Promise<MarkResult> {
  return applyTags(
    deps,
    candidate,
    decision,
    'approved',
    (before) =>
      before[TAG.zombie] === ZOMBIE_VALUE.confirmed && before[TAG.sweepId] === candidate.sweepId
        ? approvalTags(decision.actor, decision.decidedAt)
        : { skip: `not tagged ${TAG.zombie}=${ZOMBIE_VALUE.confirmed} by sweep ${candidate.sweepId} any more; Delete will skip it` },
    { step: 'approve' },
  );
}
