import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { appendAuditEvent } from '../../audit/events.ts';
import { errorMessage, errorName } from '../../core/errors.ts';
import { layout } from '../../core/layout.ts';
import { auditWriter, type CleanupDeps } from '../reverify.ts';
import { readDecisionRecord, taskOutput, writeJson, type ApprovalRecord, type DecisionRecord, type Stored } from './store.ts';

/**
 * Recording a decision once and handing it to the waiting workflow.
 *
 * Order: record first (conditional PutObject If-None-Match), then SendTaskSuccess. The conditional
 * write is what makes "decided once" hold when two approvers click at the same moment: only the
 * writer that wins ever sends. If sending fails afterwards, the record says `pending` and a retry
 * re-sends exactly the recorded decision; if Step Functions no longer accepts the token, the record
 * becomes `window-closed` with nothing approved. Sending first would let two concurrent clicks both
 * reach the workflow's token race, and a crash after sending would leave deletions with no record.
 */

/** Step Functions' answers meaning the task no longer waits: it timed out, was stopped, or the token is not one. */
export const CLOSED_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export type Delivery =
  | { outcome: 'delivered'; decision: DecisionRecord }
  | { outcome: 'window-closed'; decision: DecisionRecord }
  | { outcome: 'failed'; decision: DecisionRecord; error: string };

/** Sends a recorded decision to the task token and records the outcome on the decision record (If-Match). */
export async function deliverDecision(deps: CleanupDeps, stored: Stored<DecisionRecord>, taskToken: string): Promise<Delivery> {
  const s3 = deps.clients.hub(S3Client);
  const key = layout.decision(stored.value.sweepId);
  const log = deps.log.child({ sweepId: stored.value.sweepId });
  try {
    await deps.clients.hub(SFNClient).send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(taskOutput(stored.value)) }));
  } catch (error) {
    const name = errorName(error);
    if (!CLOSED_TOKEN_ERRORS.has(name)) {
      log.warn('decision recorded but not delivered', { error: name, detail: errorMessage(error) });
      return { outcome: 'failed', decision: stored.value, error: name };
    }
    const closed: DecisionRecord = {
      ...stored.value,
      status: 'window-closed',
      approved: [],
      rejected: [],
      requested: { approved: stored.value.approved, rejected: stored.value.rejected },
      closedAt: deps.clock.now().toISOString(),
      closedReason: `${name}: ${errorMessage(error)}`,
    };
    const written = await writeJson(s3, deps.archiveBucket, key, closed, { ifMatch: stored.etag });
    if (!written.written) log.warn('decision record changed while closing it; left as is');
    log.warn('approval window closed before the decision arrived', { error: name });
    await appendAuditEvent(auditWriter(deps), {
      type: 'expired',
      actor: stored.value.approver,
      sweepId: stored.value.sweepId,
      reason: `decision arrived after the approval window closed (${name}); nothing approved`,
      details: { requested: closed.requested, decidedAt: stored.value.decidedAt },
    });
    return { outcome: 'window-closed', decision: closed };
  }
  const delivered: DecisionRecord = { ...stored.value, status: 'delivered', deliveredAt: deps.clock.now().toISOString() };
  // If this update is lost, the record still says `pending`; apply-decision, which runs only when the
  // workflow got the decision, marks it delivered.
  const written = await writeJson(s3, deps.archiveBucket, key, delivered, { ifMatch: stored.etag });
  if (!written.written) log.warn('decision delivered but its record changed meanwhile');
  await appendAuditEvent(auditWriter(deps), {
    type: delivered.approved.length > 0 ? 'approved' : 'rejected',
    actor: delivered.approver,
    sweepId: delivered.sweepId,
    reason: delivered.action === 'reject-all' ? 'every endpoint rejected' : `${delivered.approved.length} approved, ${delivered.rejected.length} kept`,
    details: { approved: delivered.approved, rejected: delivered.rejected, decidedAt: delivered.decidedAt, source: delivered.source },
  });
  log.info('decision delivered', { approved: delivered.approved.length, rejected: delivered.rejected.length });
  return { outcome: 'delivered', decision: delivered };
}

export type DecideOutcome =
  | { kind: 'decided'; decision: DecisionRecord }
  | { kind: 'already-decided'; decision: DecisionRecord }
  | { kind: 'window-closed'; decision: DecisionRecord }
  | { kind: 'undelivered'; decision: DecisionRecord };

export type DecisionAction = 'approve' | 'reject-all' | 'retry';

const fromDelivery = (d: Delivery): DecideOutcome =>
  d.outcome === 'delivered' ? { kind: 'decided', decision: d.decision } : d.outcome === 'window-closed' ? { kind: 'window-closed', decision: d.decision } : { kind: 'undelivered', decision: d.decision };

/**
 * An approver's POST. `selected` are the ticked endpoint ARNs (already checked to belong to the
 * record); unticked candidates are rejected. With a decision on record, nothing new is recorded:
 * a `pending` one is re-sent (its own approver's retry, or anyone's click), any other is reported.
 */
export async function decide(
  deps: CleanupDeps,
  record: Stored<ApprovalRecord>,
  approver: string,
  action: DecisionAction,
  selected: readonly string[],
): Promise<DecideOutcome> {
  const s3 = deps.clients.hub(S3Client);
  const sweepId = record.value.sweepId;
  const existing = await readDecisionRecord(s3, deps.archiveBucket, sweepId);
  if (existing) return settleExisting(deps, record, existing, approver);
  if (action === 'retry') throw new Error('retry without a recorded decision');

  const chosen = new Set(action === 'approve' ? selected : []);
  const all = record.value.candidates.map((c) => c.endpointArn);
  const decision: DecisionRecord = {
    version: 1,
    sweepId,
    approver,
    decidedAt: deps.clock.now().toISOString(),
    action,
    approved: all.filter((arn) => chosen.has(arn)),
    rejected: all.filter((arn) => !chosen.has(arn)),
    status: 'pending',
    source: 'approval-page',
  };
  const written = await writeJson(s3, deps.archiveBucket, layout.decision(sweepId), decision, { ifNoneMatch: '*' });
  if (!written.written) {
    const winner = await readDecisionRecord(s3, deps.archiveBucket, sweepId);
    if (!winner) throw new Error('decision write lost to a record that cannot be read');
    return settleExisting(deps, record, winner, approver);
  }
  return fromDelivery(await deliverDecision(deps, { value: decision, etag: written.etag }, record.value.taskToken));
}

async function settleExisting(deps: CleanupDeps, record: Stored<ApprovalRecord>, existing: Stored<DecisionRecord>, approver: string): Promise<DecideOutcome> {
  if (existing.value.status !== 'pending') {
    return existing.value.approver === approver && existing.value.status === 'window-closed' ? { kind: 'window-closed', decision: existing.value } : { kind: 'already-decided', decision: existing.value };
  }
  const delivery = await deliverDecision(deps, existing, record.value.taskToken);
  return existing.value.approver === approver ? fromDelivery(delivery) : { kind: 'already-decided', decision: delivery.decision };
}
