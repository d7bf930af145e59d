import { z } from 'zod';
import { appendAuditEvent } from '../audit/events.ts';
import { parseOrThrow } from '../core/schemas.ts';
import { readDecisionRecord } from '../cleanup/approval/store.ts';
import { auditWriterOf, hubS3, type SweepDeps } from './deps.ts';
import { releaseLock } from './lock.ts';
import { causeMessage, readMapResults } from './map-results.ts';
import { SweepContextSchema, type EndpointAction, type SweepReport, type SweepSummary } from './model.ts';
import { notify } from './notify.ts';
import type { Notifier } from '../core/notifier.ts';
import { buildDigests } from '../prevention/digest.ts';
import { publishDigests } from '../prevention/digest-publish.ts';
import { readReport, writeReport } from './report-store.ts';
import { summarize } from './summary.ts';
import { VETOED_FILES, VetoedListSchema } from '../cleanup/notice/veto.ts';
import { readJsonObject } from '../core/s3-json.ts';
import { layout } from '../core/layout.ts';
import { reportText } from './text.ts';
import { recordSavings } from './savings.ts';

/**
 * Report, the last state of every successful sweep: folds the decision and the deletions into the
 * sweep report, writes `sweep-finished`, releases the lock, and notifies. Its input is the whole
 * execution state, whose parts depend on the path taken (report mode has no decision, and so on).
 */

const MapRunRefSchema = z.object({ bucket: z.string(), manifestKey: z.string() });

export const FinishInputSchema = z.looseObject({
  sweep: SweepContextSchema,
  /** ApplyDecision's result: the decision itself stays in its signed record (approvals/<id>/decision.json), which ApplyDecision verified. */
  decisionOutcome: z
    .looseObject({
      outcome: z.enum(['applied', 'expired', 'anomaly']),
      approver: z.string().optional(),
      decidedAt: z.string().optional(),
      autoApproved: z.boolean().optional(),
      reason: z.string().optional(),
    })
    .optional(),
  deletion: MapRunRefSchema.optional(),
});

/** What one DeleteApproved child ends with: the delete step's result, or the ASL's DeleteFailed. */
const DeleteOutcomeSchema = z.object({
  endpointArn: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  error: z.string().optional(),
});

export interface FinishResult {
  sweepId: string;
  mode: string;
  status: 'completed';
  reportKey: string;
  summary: Omit<SweepSummary, 'skipped'> & { skipped: number };
  notified: boolean;
}

export async function finishSweep(deps: SweepDeps, raw: unknown): Promise<FinishResult> {
  const input = parseOrThrow(FinishInputSchema, raw, 'report input');
  const { sweep } = input;
  const s3 = hubS3(deps);
  const report = await readReport(s3, deps.archiveBucket, sweep.sweepId);
  const byArn = new Map(report.actions.map((a) => [a.endpointArn, { ...a }]));
  const tagged = [...byArn.values()].filter((a) => a.tagged);
  let approval = await applyApproval(deps, input, tagged);
  const vetoed = await markVetoed(deps, sweep.sweepId, tagged);
  if (approval && vetoed > 0) approval = { ...approval, vetoed };

  if (input.deletion) await foldDeletions(s3, input.deletion, byArn);

  const actions = [...byArn.values()];
  const now = deps.clock.now().toISOString();
  const final: SweepReport = {
    ...report,
    status: 'completed',
    updatedAt: now,
    finishedAt: now,
    actions,
    ...(approval ? { approval } : {}),
    summary: summarize(report.targets, report.findings, actions),
  };
  const reportKey = await writeReport(s3, deps.archiveBucket, final);
  await recordSavings(deps, final);
  await appendAuditEvent(auditWriterOf(deps), {
    type: 'sweep-finished',
    actor: sweep.requestedBy,
    sweepId: sweep.sweepId,
    details: { mode: sweep.mode, executionArn: sweep.executionArn, summary: { ...final.summary, skipped: final.summary.skipped.length }, approval },
  });
  if (sweep.lock) await releaseLock(s3, deps.archiveBucket, sweep.lock.scope, sweep.executionArn);
  const text = reportText(final);
  const notified = await notify(deps, { subject: text.subject, body: text.body, approvers: sweep.approval.approvers, event: 'sweep-finished' });
  if (sweep.digest && deps.notifier) await publishOwnerDigests(deps, deps.notifier, final, sweep);
  deps.log.info('sweep finished', { sweepId: sweep.sweepId, zombies: final.summary.zombies, deleted: final.summary.deleted });
  return {
    sweepId: sweep.sweepId,
    mode: sweep.mode,
    status: 'completed',
    reportKey,
    summary: { ...final.summary, skipped: final.summary.skipped.length },
    notified,
  };
}

/** The decision's outcome folded into each tagged endpoint's action; the report's approval line. */
async function applyApproval(deps: SweepDeps, input: z.output<typeof FinishInputSchema>, tagged: EndpointAction[]): Promise<SweepReport['approval']> {
  const { sweep } = input;
  const s3 = hubS3(deps);

  if (input.decisionOutcome?.outcome === 'expired') {
    for (const a of tagged) Object.assign(a, { decision: 'expired', reason: 'nobody decided before the approval window closed; not deleted' });
    return { outcome: 'expired', approved: 0, rejected: 0 };
  } else if (input.decisionOutcome?.outcome === 'anomaly') {
    const reason = `not deleted: the approval task completed without a valid signed decision (${input.decisionOutcome.reason ?? 'anomaly'})`;
    for (const a of tagged) Object.assign(a, { decision: 'undecided', reason });
    return { outcome: 'anomaly', approved: 0, rejected: 0 };
  } else if (input.decisionOutcome?.outcome === 'applied') {
    const record = await readDecisionRecord(s3, deps.archiveBucket, sweep.sweepId);
    const approved = new Set(record?.value.approved ?? []);
    const rejected = new Set(record?.value.rejected ?? []);
    for (const a of tagged) {
      if (rejected.has(a.endpointArn)) a.decision = 'rejected';
      else if (approved.has(a.endpointArn)) a.decision = 'approved';
      else Object.assign(a, { decision: 'undecided', reason: 'the decision did not mention it; kept' });
    }
    return {
      outcome: 'decided',
      approver: input.decisionOutcome.approver ?? record?.value.approver,
      decidedAt: input.decisionOutcome.decidedAt ?? record?.value.decidedAt,
      ...(input.decisionOutcome.autoApproved ? { autoApproved: true } : {}),
      approved: tagged.filter((a) => a.decision === 'approved').length,
      rejected: tagged.filter((a) => a.decision === 'rejected').length,
    };
  } else if (sweep.mode === 'cleanup') {
    return { outcome: 'not-needed', approved: 0, rejected: 0 };
  }

  return undefined;
}

/**
 * Endpoints their owners vetoed (recorded by ApplyVetoes and ApplyDecision in the sweep's files): the
 * veto outranks whatever the decision said. Returns how many.
 */
async function markVetoed(deps: SweepDeps, sweepId: string, tagged: EndpointAction[]): Promise<number> {
  const s3 = hubS3(deps);
  const byArn = new Map<string, { owner: string; vetoedAt: string }>();
  for (const file of Object.values(VETOED_FILES)) {
    const found = await readJsonObject(s3, deps.archiveBucket, layout.sweepFile(sweepId, file), VetoedListSchema);
    for (const v of found?.value ?? []) byArn.set(v.endpointArn, v);
  }
  let count = 0;
  for (const a of tagged) {
    if (!byArn.has(a.endpointArn)) continue;
    a.decision = 'vetoed';
    delete a.reason;
    count++;
  }
  return count;
}

/** Each Delete child's outcome (or its failure) onto its endpoint's action. */
async function foldDeletions(s3: ReturnType<typeof hubS3>, ref: z.output<typeof MapRunRefSchema>, byArn: Map<string, EndpointAction>): Promise<void> {
  const results = await readMapResults(s3, ref.bucket, ref.manifestKey);
  const outcomes = results.succeeded.map((r) => DeleteOutcomeSchema.safeParse(r.output)).flatMap((p) => (p.success ? [p.data] : []));
  for (const failure of results.failed) {
    const arn = (failure.input as { candidate?: { endpointArn?: string } } | undefined)?.candidate?.endpointArn;
    if (arn) outcomes.push({ endpointArn: arn, status: 'failed', reason: `${failure.error}: ${causeMessage(failure.cause)}` });
  }
  for (const o of outcomes) {
    const action = byArn.get(o.endpointArn);
    if (action) applyDeletion(action, o);
  }
}

async function publishOwnerDigests(deps: SweepDeps, notifier: Notifier, final: SweepReport, sweep: z.output<typeof FinishInputSchema>['sweep']): Promise<void> {
  const digests = buildDigests(final.findings, {
    now: deps.clock.now(),
    ownerTagKeys: sweep.approval.ownerTagKeys,
    autoDeleteMaxDays: sweep.detection.autoDeleteMaxDays,
  });
  deps.log.info('digests published', { owners: await publishDigests(notifier, digests, sweep.sweepId) });
}

function applyDeletion(action: EndpointAction, outcome: z.infer<typeof DeleteOutcomeSchema>): void {
  const why = outcome.reason ? causeMessage(outcome.reason) : undefined;
  switch (outcome.status) {
    case 'deleted':
      action.deletion = 'deleted';
      delete action.reason;
      return;
    case 'scaled-to-zero':
      // Still there but billing nothing: saved, like a deletion (summary.ts, savings/ledger.ts).
      action.deletion = 'scaled-to-zero';
      delete action.reason;
      return;
    case 'already-gone':
      // Gone before this sweep's DeleteEndpoint: someone else's deletion, not this sweep's (summary.ts).
      action.deletion = 'already-gone';
      action.reason = `not deleted by this sweep: ${why ?? 'the endpoint no longer exists'}`;
      return;
    case 'deleting':
      // Not done: the report must say why the endpoint may still be there (summary.ts counts it apart).
      action.deletion = 'deleting';
      action.reason = `still being deleted when the sweep ended: ${why ?? 'deletion in progress'}`;
      return;
    case 'skipped':
      action.deletion = 'skipped';
      action.reason = `deletion skipped at re-verification: ${why ?? 'a check failed'}`;
      return;
    default:
      action.deletion = 'failed';
      action.reason = `deletion failed: ${why ?? outcome.error ?? 'unknown error'}`;
  }
}
