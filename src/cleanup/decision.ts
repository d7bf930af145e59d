import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { appendAuditEvent } from '../audit/events.ts';
import { mapLimit } from '../core/concurrency.ts';
import { RetryableAwsError, errorMessage, errorName } from '../core/errors.ts';
import { layout } from '../core/layout.ts';
import { ApprovalSettingsFields, SweepIdSchema, parseOrThrow } from '../core/schemas.ts';
import {
  readApprovalRecord,
  readDecisionRecord,
  readGroupDecision,
  writeJson,
  type ApprovalCandidate,
  type DecisionRecord,
  type Stored,
} from './approval/store.ts';
import { readCandidateList } from './approval/request.ts';
import { windowClosed } from './approval/decide.ts';
import { groupDecisionValid, readSignedDecision } from './approval/signature.ts';
import { VETOED_FILES, withoutVetoed } from './notice/veto.ts';
import { markApproved, markRejected, type DecisionRef, type MarkResult } from './reject.ts';
import { auditWriter, endpointWhere, hasAuditEvent, type CleanupDeps } from './endpoint.ts';

/**
 * ApplyDecision, after the approval task returns: tags rejected endpoints (`zombie=rejected`,
 * `zombie-exempt-until`) and approved ones (`zombie-approved-by/at`), audits each, and writes the
 * approved list to `sweeps/<id>/deletions.json` (a JSON array the Delete Map reads with ItemReader;
 * each item is the Delete input). With `{ expired: true }` (the approval timed out) it records
 * `expired` events and deletes nothing.
 */

export const ApplyDecisionInputSchema = z
  .object({
    sweepId: SweepIdSchema,
    /**
     * The approval task's output: a reference to the signed decision record (`{ decisionKey,
     * decisionMac }`). Left unchecked here on purpose: anything else is an anomaly to audit, not an input error.
     */
    decision: z.unknown().optional(),
    expired: z.literal(true).optional(),
    /** Candidate list (as RequestApproval accepts it); default: the approval record's candidates. */
    candidatesKey: z.string().min(1).optional(),
    rejectExemptDays: ApprovalSettingsFields.shape.rejectExemptDays.unwrap().optional(),
  })
  .refine((v) => (v.decision === undefined) !== (v.expired === undefined), { message: 'give exactly one of decision or expired', path: ['decision'] });
export type ApplyDecisionInput = z.input<typeof ApplyDecisionInputSchema>;

export const DELETIONS_FILE = 'deletions.json';

export interface ApplyDecisionResult {
  sweepId: string;
  /** anomaly: the approval task completed without a valid signed decision record; nothing is deleted. */
  outcome: 'applied' | 'expired' | 'anomaly';
  /** Archive key of the deletion items (JSON array of `{ candidate }`). */
  deletionsKey: string;
  count: number;
  approved: number;
  rejected: number;
  /** Candidates the decision did not mention: neither deleted nor exempted. */
  undecided: number;
  failures: { endpointArn: string; error: string }[];
  /** Who decided, when (from the verified record), for the report. */
  approver?: string;
  decidedAt?: string;
  autoApproved?: boolean;
  /** Why an anomaly was refused. */
  reason?: string;
}

/** The workflow received the decision: the record says so from now on (a window-closed record gets its requested lists back). */
async function markDelivered(deps: CleanupDeps, stored: Stored<DecisionRecord>): Promise<DecisionRecord> {
  if (stored.value.status === 'delivered') return stored.value;
  const lists = stored.value.status === 'window-closed' ? (stored.value.requested ?? { approved: [], rejected: [] }) : stored.value;
  const delivered: DecisionRecord = {
    ...stored.value,
    status: 'delivered',
    approved: lists.approved,
    rejected: lists.rejected,
    ...(lists.scaleToZero ? { scaleToZero: lists.scaleToZero } : {}),
    deliveredAt: deps.clock.now().toISOString(),
  };
  const written = await writeJson(deps.clients.hub(S3Client), deps.archiveBucket, layout.decision(stored.value.sweepId), delivered, { ifMatch: stored.etag });
  if (!written.written) throw new RetryableAwsError(`the decision record of ${stored.value.sweepId} changed while it was being marked delivered`);
  return delivered;
}

/**
 * A completed approval task without a valid signed record: someone with Step Functions or bucket
 * access answered the token. Nothing is deleted; the sweep records why and keeps every candidate.
 */
async function refuseAnomaly(
  deps: CleanupDeps,
  sweepId: string,
  reason: string,
  rawDecision: unknown,
  candidates: readonly ApprovalCandidate[],
): Promise<void> {
  const audit = auditWriter(deps);
  const received = JSON.stringify(rawDecision ?? null).slice(0, 2048);
  deps.log.error('approval task completed without a valid signed decision; nothing is deleted', { sweepId, reason });
  await appendAuditEvent(audit, {
    type: 'anomaly',
    actor: 'zombie-sweep',
    sweepId,
    reason: `${reason}; nothing is deleted`,
    details: { step: 'apply-decision', received, candidates: candidates.length },
  });
  const why = 'the approval task completed without a valid signed decision; kept';
  await mapLimit(candidates, 8, async (c) => {
    if (await hasAuditEvent(deps, c, 'skipped')) return;
    await appendAuditEvent(audit, {
      type: 'skipped',
      actor: 'zombie-sweep',
      ...endpointWhere(c),
      reason: why,
    });
  });
}

/**
 * A sweep with approver groups: every group's record must verify, be decided, and the sweep's
 * approved list must be exactly what each group approved among its own endpoints, so no group's
 * decision (nor an edit of the combined record) can delete another group's endpoint.
 */
async function groupsProblem(deps: CleanupDeps, decision: DecisionRecord): Promise<string | undefined> {
  const s3 = deps.clients.hub(S3Client);
  const plans = (await readApprovalRecord(s3, deps.archiveBucket, decision.sweepId))?.value.groups;
  if (!plans) return decision.groups ? 'the decision names approver groups the approval request does not have' : undefined;
  if (!decision.groups || decision.groups.length !== plans.length)
    return 'the approval request has approver groups but the decision does not combine all of them';
  const approvedByGroups = new Set<string>();
  for (const plan of plans) {
    const stored = await readGroupDecision(s3, deps.archiveBucket, decision.sweepId, plan.name);
    if (!stored || !(await groupDecisionValid(deps.decisionSigner, stored.value)))
      return `the decision record of group ${plan.name} is missing, undecided or its signature does not verify`;
    const own = new Set(plan.endpoints);
    for (const arn of stored.value.approved) if (own.has(arn)) approvedByGroups.add(arn);
  }
  const stray = decision.approved.find((arn) => !approvedByGroups.has(arn));
  return stray ? `${stray} is approved in the decision but not by its own approver group` : undefined;
}

async function loadCandidates(
  deps: CleanupDeps,
  sweepId: string,
  candidatesKey: string | undefined,
): Promise<{ candidates: ApprovalCandidate[]; exemptDays?: number; requestedBy?: string }> {
  const s3 = deps.clients.hub(S3Client);
  if (candidatesKey !== undefined) return { candidates: await readCandidateList(s3, deps.archiveBucket, candidatesKey) };
  const record = await readApprovalRecord(s3, deps.archiveBucket, sweepId);
  return record
    ? { candidates: record.value.candidates, exemptDays: record.value.rejectExemptDays, requestedBy: record.value.requestedBy }
    : { candidates: [] };
}

export async function applyDecision(deps: CleanupDeps, rawInput: unknown): Promise<ApplyDecisionResult> {
  const input = parseOrThrow(ApplyDecisionInputSchema, rawInput, 'apply-decision input');
  const s3 = deps.clients.hub(S3Client);
  const log = deps.log.child({ sweepId: input.sweepId });
  const loaded = await loadCandidates(deps, input.sweepId, input.candidatesKey);
  const deletionsKey = layout.sweepFile(input.sweepId, DELETIONS_FILE);
  const base = { sweepId: input.sweepId, deletionsKey, approved: 0, rejected: 0, undecided: 0, failures: [] as ApplyDecisionResult['failures'] };

  if (input.expired || !input.decision) {
    await recordExpiry(deps, input.sweepId, loaded.candidates, loaded.requestedBy ?? 'zombie-sweep');
    await writeJson(s3, deps.archiveBucket, deletionsKey, []);
    log.warn('approval expired: nothing is deleted', { candidates: loaded.candidates.length });
    return { ...base, outcome: 'expired', count: 0, undecided: loaded.candidates.length };
  }

  const signed = await readSignedDecision(s3, deps.archiveBucket, deps.decisionSigner, input.sweepId, input.decision);
  if (!signed.ok) {
    await refuseAnomaly(deps, input.sweepId, signed.reason, input.decision, loaded.candidates);
    await writeJson(s3, deps.archiveBucket, deletionsKey, []);
    return { ...base, outcome: 'anomaly', count: 0, undecided: loaded.candidates.length, reason: signed.reason };
  }
  const groupProblem = await groupsProblem(deps, signed.stored.value);
  if (groupProblem) {
    await refuseAnomaly(deps, input.sweepId, groupProblem, input.decision, loaded.candidates);
    await writeJson(s3, deps.archiveBucket, deletionsKey, []);
    return { ...base, outcome: 'anomaly', count: 0, undecided: loaded.candidates.length, reason: groupProblem };
  }
  const decision = await markDelivered(deps, signed.stored);
  const autoApproved = decision.source === 'auto-approve';
  const ref: DecisionRef = { actor: autoApproved ? 'auto-approve' : decision.approver, decidedAt: decision.decidedAt };
  const { approved, rejected, undecided } = await partitionCandidates(deps, input.sweepId, loaded.candidates, decision);
  const failures = await markDecided(deps, { approved, rejected }, ref, input.rejectExemptDays ?? loaded.exemptDays ?? 90);
  await auditUndecided(deps, undecided, ref.actor);
  // Each item names its action; the Delete step routes scale-to-zero items (src/cleanup/scale-to-zero-step.ts).
  const scaleToZero = new Set(decision.scaleToZero ?? []);
  await writeJson(
    s3,
    deps.archiveBucket,
    deletionsKey,
    approved.map((candidate) => ({ candidate, action: scaleToZero.has(candidate.endpointArn) ? 'scale-to-zero' : 'delete' })),
  );
  if (failures.length > 0) log.error('some endpoints could not be marked', { failures });
  log.info('decision applied', { approved: approved.length, rejected: rejected.length, undecided: undecided.length });
  const who = { approver: decision.approver, decidedAt: decision.decidedAt, ...(autoApproved ? { autoApproved: true } : {}) };
  return {
    ...base,
    ...who,
    outcome: 'applied',
    count: approved.length,
    approved: approved.length,
    rejected: rejected.length,
    undecided: undecided.length,
    failures,
  };
}

interface Partition {
  approved: ApprovalCandidate[];
  rejected: ApprovalCandidate[];
  undecided: ApprovalCandidate[];
}

async function partitionCandidates(deps: CleanupDeps, sweepId: string, candidates: ApprovalCandidate[], decision: DecisionRecord): Promise<Partition> {
  const approvedSet = new Set(decision.approved);
  const rejectedSet = new Set(decision.rejected);
  const known = new Set(candidates.map((c) => c.endpointArn));
  for (const arn of [...approvedSet, ...rejectedSet])
    if (!known.has(arn)) deps.log.warn('decision names an endpoint that is not a candidate; ignored', { sweepId, endpointArn: arn });
  // An ARN in both lists is treated as rejected: doubt keeps the endpoint.
  // An owner's veto outranks an approval: the endpoint loses its zombie tag and stays.
  const { vetoed } = await withoutVetoed(
    deps,
    sweepId,
    candidates.filter((c) => approvedSet.has(c.endpointArn)),
    VETOED_FILES.atDecision,
  );
  const vetoedSet = new Set(vetoed.map((c) => c.endpointArn));
  return {
    approved: candidates.filter((c) => approvedSet.has(c.endpointArn) && !rejectedSet.has(c.endpointArn) && !vetoedSet.has(c.endpointArn)),
    rejected: candidates.filter((c) => rejectedSet.has(c.endpointArn)),
    undecided: candidates.filter((c) => !approvedSet.has(c.endpointArn) && !rejectedSet.has(c.endpointArn)),
  };
}

/** Marks every decided endpoint; failures are reported per endpoint, a passing AWS failure retries the whole step. */
async function markDecided(
  deps: CleanupDeps,
  decided: Pick<Partition, 'approved' | 'rejected'>,
  ref: DecisionRef,
  exemptDays: number,
): Promise<ApplyDecisionResult['failures']> {
  const failures: ApplyDecisionResult['failures'] = [];
  let transient: RetryableAwsError | undefined;
  const guarded = (mark: (c: ApprovalCandidate) => Promise<MarkResult>) => async (c: ApprovalCandidate) => {
    try {
      await mark(c);
    } catch (error) {
      if (error instanceof RetryableAwsError) transient ??= error;
      failures.push({ endpointArn: c.endpointArn, error: `${errorName(error)}: ${errorMessage(error)}` });
    }
  };
  await mapLimit(
    decided.rejected,
    8,
    guarded((c) => markRejected(deps, c, ref, exemptDays)),
  );
  await mapLimit(
    decided.approved,
    8,
    guarded((c) => markApproved(deps, c, ref)),
  );
  // Every step above is idempotent, so a passing AWS failure retries the whole step.
  if (transient) throw transient;
  return failures;
}

/** One `skipped` event (once) per candidate the decision did not mention: it is kept. */
async function auditUndecided(deps: CleanupDeps, undecided: readonly ApprovalCandidate[], actor: string): Promise<void> {
  const audit = auditWriter(deps);
  await mapLimit(undecided, 8, async (c) => {
    if (await hasAuditEvent(deps, c, 'skipped')) return;
    await appendAuditEvent(audit, {
      type: 'skipped',
      actor,
      ...endpointWhere(c),
      reason: 'the decision neither approved nor rejected it; kept',
    });
  });
}

async function recordExpiry(deps: CleanupDeps, sweepId: string, candidates: readonly ApprovalCandidate[], actor: string): Promise<void> {
  const s3 = deps.clients.hub(S3Client);
  const key = layout.decision(sweepId);
  const now = deps.clock.now().toISOString();
  const stored = await readDecisionRecord(s3, deps.archiveBucket, sweepId);
  if (!stored) {
    // Recorded so that a late click finds the sweep closed instead of deciding into the void.
    const closed: DecisionRecord = {
      version: 1,
      sweepId,
      approver: 'nobody',
      decidedAt: now,
      action: 'reject-all',
      approved: [],
      rejected: [],
      status: 'window-closed',
      source: 'timeout',
      closedAt: now,
      closedReason: 'the approval task timed out',
    };
    await writeJson(s3, deps.archiveBucket, key, closed, { ifNoneMatch: '*' });
  } else if (stored.value.status === 'pending') {
    const closed = windowClosed(stored.value, now, 'the approval task timed out before the decision was delivered');
    await writeJson(s3, deps.archiveBucket, key, closed, { ifMatch: stored.etag });
  }
  const audit = auditWriter(deps);
  const reason = 'no decision reached the workflow before the approval window closed; nothing deleted';
  await appendAuditEvent(audit, { type: 'expired', actor, sweepId, reason, details: { candidates: candidates.length } });
  await mapLimit(candidates, 8, async (c) => {
    if (await hasAuditEvent(deps, c, 'expired')) return;
    await appendAuditEvent(audit, {
      type: 'expired',
      actor,
      ...endpointWhere(c),
      reason,
    });
  });
}
