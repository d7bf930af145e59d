import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { appendAuditEvent } from '../../audit/events.ts';
import { errorMessage, errorName } from '../../core/errors.ts';
import { layout } from '../../core/layout.ts';
import { auditWriter, type CleanupDeps } from '../endpoint.ts';
import { signDecision } from './signature.ts';
import { readDecisionRecord, taskOutput, writeJson, type ApprovalRecord, type DecisionRecord, type Stored } from './store.ts';

/**
 * Recording a decision once and handing it to the waiting workflow.
 *
 * Order: record first (conditional PutObject If-None-Match), then SendTaskSuccess. The conditional
 * write is what makes "decided once" hold when two approvers click at the same moment: only the
 * writer that wins ever sends. If sending fails afterwards, the record says `pending` and the same
 * approver's retry re-sends exactly the recorded decision. Sending first would let two concurrent
 * clicks both reach the workflow's token race, and a crash after sending would leave deletions with
 * no record.
 *
 * Step Functions answers TaskTimedOut both when the wait ended and when the token was already
 * answered ("expired or the task associated with the token has already been closed",
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html). So a
 * refused token proves "nothing was approved" only when no earlier send of this decision can have
 * been accepted, or the approval window is over. Hence one sender at a time per record (a lease in
 * `sendStartedAt`), and a record becomes `window-closed` (and the `expired` event is written) only
 * by the write that wins against the version that was sent.
 */

/** Step Functions' answers meaning the task no longer waits: it timed out, was stopped, or the token is not one. */
export const CLOSED_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Longer than one approval-web invocation (29 s, the API Gateway limit): after this, an unfinished send is over. */
export const SEND_LEASE_MS = 60_000;

export type Delivery =
  | { outcome: 'delivered'; decision: DecisionRecord }
  | { outcome: 'window-closed'; decision: DecisionRecord }
  | { outcome: 'failed'; decision: DecisionRecord; error: string }
  /** Another request settled or took over the record meanwhile; `decision` is what it says now. */
  | { outcome: 'superseded'; decision: DecisionRecord };

export interface DeliveryContext {
  /** An earlier send of this decision may have been accepted: a refused token then proves nothing by itself. */
  maybeSentBefore?: boolean;
  /** The approval window's end (the approval record's `expiresAt`); from then on a refused token means closed. */
  expiresAt?: string;
}

interface SdkFailure {
  $metadata?: { attempts?: number; httpStatusCode?: number };
}
const sdkMeta = (error: unknown) => (error as SdkFailure | undefined)?.$metadata ?? {};

/** A single attempt answered with a definite refusal (not a lost response, not an internal error) cannot have been accepted. */
function mayHaveReachedWorkflow(error: unknown): boolean {
  const { attempts, httpStatusCode } = sdkMeta(error);
  return (attempts ?? 1) > 1 || httpStatusCode === undefined || httpStatusCode === 500 || httpStatusCode === 504;
}

/** Sends a recorded decision to the task token and records the outcome on the decision record (If-Match). */
export async function deliverDecision(deps: CleanupDeps, stored: Stored<DecisionRecord>, taskToken: string, context: DeliveryContext = {}): Promise<Delivery> {
  const s3 = deps.clients.hub(S3Client);
  const key = layout.decision(stored.value.sweepId);
  const log = deps.log.child({ sweepId: stored.value.sweepId });
  try {
    await deps.clients.hub(SFNClient).send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(taskOutput(stored.value)) }));
  } catch (error) {
    const name = errorName(error);
    const now = deps.clock.now();
    const windowOver = context.expiresAt !== undefined && now.getTime() >= Date.parse(context.expiresAt);
    const provesClosed = CLOSED_TOKEN_ERRORS.has(name) && (windowOver || (!context.maybeSentBefore && !mayHaveReachedWorkflow(error)));
    if (!provesClosed) {
      log.warn('decision recorded but not delivered', { error: name, detail: errorMessage(error) });
      // Forwarding a settled record (request.ts) leaves it as it is.
      if (stored.value.status !== 'pending') return { outcome: 'failed', decision: stored.value, error: name };
      // Release the lease so the approver's retry can send again; a refused token stays "maybe sent".
      const maybeSent = stored.value.maybeSent === true || context.maybeSentBefore === true || CLOSED_TOKEN_ERRORS.has(name) || mayHaveReachedWorkflow(error);
      const released: DecisionRecord = { ...stored.value, sendStartedAt: undefined, lastSendError: name, maybeSent };
      const written = await writeJson(s3, deps.archiveBucket, key, released, { ifMatch: stored.etag });
      if (!written.written) return superseded(deps, stored);
      return { outcome: 'failed', decision: released, error: name };
    }
    return closeWindow(deps, stored, `${name}: ${errorMessage(error)}`, name);
  }
  const delivered: DecisionRecord = {
    ...stored.value,
    status: 'delivered',
    deliveredAt: deps.clock.now().toISOString(),
    sendStartedAt: undefined,
    lastSendError: undefined,
  };
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

/**
 * A decision that arrived too late: it approves nothing, and keeps what was asked under `requested`
 * (scaleToZero moves with the lists it is signed with, signature.ts, so a closed record still verifies).
 */
export function windowClosed(decision: DecisionRecord, closedAt: string, closedReason: string): DecisionRecord {
  const { approved, rejected, scaleToZero } = decision;
  return {
    ...decision,
    status: 'window-closed',
    approved: [],
    rejected: [],
    requested: { approved, rejected, ...(scaleToZero ? { scaleToZero } : {}) },
    closedAt,
    closedReason,
  };
}

/** The task token proved closed: the record keeps what was asked (signed as it was) and approves nothing. */
async function closeWindow(deps: CleanupDeps, stored: Stored<DecisionRecord>, closedReason: string, refusal: string): Promise<Delivery> {
  const closed: DecisionRecord = { ...windowClosed(stored.value, deps.clock.now().toISOString(), closedReason), sendStartedAt: undefined };
  const written = await writeJson(deps.clients.hub(S3Client), deps.archiveBucket, layout.decision(stored.value.sweepId), closed, { ifMatch: stored.etag });
  // Losing this write means someone else moved the record on (delivered it, most likely): theirs stands, and no `expired` event.
  if (!written.written) return superseded(deps, stored);
  deps.log.warn('approval window closed before the decision arrived', { sweepId: stored.value.sweepId, error: refusal });
  await appendAuditEvent(auditWriter(deps), {
    type: 'expired',
    actor: stored.value.approver,
    sweepId: stored.value.sweepId,
    reason: `decision arrived after the approval window closed (${refusal}); nothing approved`,
    details: { requested: closed.requested, decidedAt: stored.value.decidedAt },
  });
  return { outcome: 'window-closed', decision: closed };
}

async function superseded(deps: CleanupDeps, sent: Stored<DecisionRecord>): Promise<Delivery> {
  deps.log.warn('decision record changed while it was being sent; left as the other writer made it', { sweepId: sent.value.sweepId });
  const current = await readDecisionRecord(deps.clients.hub(S3Client), deps.archiveBucket, sent.value.sweepId);
  return { outcome: 'superseded', decision: current?.value ?? sent.value };
}

export type DecideOutcome =
  | { kind: 'decided'; decision: DecisionRecord }
  | { kind: 'already-decided'; decision: DecisionRecord }
  | { kind: 'window-closed'; decision: DecisionRecord }
  | { kind: 'undelivered'; decision: DecisionRecord };

export type DecisionAction = 'approve' | 'reject-all' | 'retry';

function fromDelivery(d: Delivery): DecideOutcome {
  switch (d.outcome) {
    case 'delivered':
      return { kind: 'decided', decision: d.decision };
    case 'window-closed':
      return { kind: 'window-closed', decision: d.decision };
    case 'failed':
      return { kind: 'undelivered', decision: d.decision };
    case 'superseded':
      return d.decision.status === 'window-closed' ? { kind: 'window-closed', decision: d.decision } : { kind: 'already-decided', decision: d.decision };
  }
}

/**
 * An approver's POST. `selected` are the ticked endpoint ARNs (already checked to belong to the
 * record); unticked candidates are rejected. With a decision on record, nothing new is recorded:
 * a `pending` one is re-sent only for the approver who made it and only when no other request is
 * sending it; anything else is reported as it stands.
 */
export async function decide(
  deps: CleanupDeps,
  record: Stored<ApprovalRecord>,
  approver: string,
  action: DecisionAction,
  selected: readonly string[],
  /** Of `selected`, the endpoints to scale to zero instead of deleting (validated by the caller). */
  scaleToZero: readonly string[] = [],
): Promise<DecideOutcome> {
  const s3 = deps.clients.hub(S3Client);
  const sweepId = record.value.sweepId;
  const existing = await readDecisionRecord(s3, deps.archiveBucket, sweepId);
  if (existing) return settleExisting(deps, record, existing, approver);
  if (action === 'retry') throw new Error('retry without a recorded decision');

  const chosen = new Set(action === 'approve' ? selected : []);
  const all = record.value.candidates.map((c) => c.endpointArn);
  return recordDecision(deps, record, approver, {
    action,
    approved: all.filter((arn) => chosen.has(arn)),
    rejected: all.filter((arn) => !chosen.has(arn)),
    // Only when used, so a decision without it is signed and stored exactly as before.
    ...(action === 'approve' && scaleToZero.some((arn) => chosen.has(arn))
      ? { scaleToZero: all.filter((arn) => chosen.has(arn) && scaleToZero.includes(arn)) }
      : {}),
  });
}

/**
 * Records the sweep's decision once (If-None-Match) and hands it to the workflow: an approver's
 * choice, or (with approver groups) the decisions of every group combined.
 */
export async function recordDecision(
  deps: CleanupDeps,
  record: Stored<ApprovalRecord>,
  approver: string,
  content: Pick<DecisionRecord, 'action' | 'approved' | 'rejected' | 'groups' | 'scaleToZero'>,
): Promise<DecideOutcome> {
  const s3 = deps.clients.hub(S3Client);
  const sweepId = record.value.sweepId;
  const decidedAt = deps.clock.now().toISOString();
  if (!deps.decisionSigner) throw new Error('the approval endpoint has no decision signing key configured');
  const decision = await signDecision(deps.decisionSigner, {
    version: 1,
    sweepId,
    approver,
    decidedAt,
    ...content,
    status: 'pending',
    source: 'approval-page',
    sendStartedAt: decidedAt,
  });
  const written = await writeJson(s3, deps.archiveBucket, layout.decision(sweepId), decision, { ifNoneMatch: '*' });
  if (!written.written) {
    const winner = await readDecisionRecord(s3, deps.archiveBucket, sweepId);
    if (!winner) throw new Error('decision write lost to a record that cannot be read');
    return settleExisting(deps, record, winner, approver);
  }
  // The creating write is the first send's lease: nobody can have sent this decision before.
  return fromDelivery(
    await deliverDecision(deps, { value: decision, etag: written.etag }, record.value.taskToken, { maybeSentBefore: false, expiresAt: record.value.expiresAt }),
  );
}

/** A send that started less than a lease ago and has not reported failure may still be under way. */
function sendInFlight(decision: DecisionRecord, now: Date): boolean {
  const started = decision.sendStartedAt ?? (decision.lastSendError === undefined ? decision.decidedAt : undefined);
  return started !== undefined && now.getTime() - Date.parse(started) < SEND_LEASE_MS;
}

async function settleExisting(deps: CleanupDeps, record: Stored<ApprovalRecord>, existing: Stored<DecisionRecord>, approver: string): Promise<DecideOutcome> {
  const mine = existing.value.approver === approver;
  if (existing.value.status !== 'pending') {
    return mine && existing.value.status === 'window-closed'
      ? { kind: 'window-closed', decision: existing.value }
      : { kind: 'already-decided', decision: existing.value };
  }
  // Someone else's decision is theirs to re-send; a concurrent click of the same approver leaves it to the request sending it.
  const now = deps.clock.now();
  if (!mine || sendInFlight(existing.value, now)) return { kind: 'already-decided', decision: existing.value };
  // An attempt that ended without recording why (a crash, a timeout) may have been accepted.
  const maybeSentBefore = existing.value.lastSendError === undefined || existing.value.maybeSent !== false;
  const claim: DecisionRecord = { ...existing.value, sendStartedAt: now.toISOString(), lastSendError: undefined };
  const s3 = deps.clients.hub(S3Client);
  const claimed = await writeJson(s3, deps.archiveBucket, layout.decision(record.value.sweepId), claim, { ifMatch: existing.etag });
  if (!claimed.written) {
    const current = await readDecisionRecord(s3, deps.archiveBucket, record.value.sweepId);
    return fromDelivery({ outcome: 'superseded', decision: current?.value ?? existing.value });
  }
  return fromDelivery(
    await deliverDecision(deps, { value: claim, etag: claimed.etag }, record.value.taskToken, { maybeSentBefore, expiresAt: record.value.expiresAt }),
  );
}
