import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { appendAuditEvent } from '../../audit/events.ts';
import { mapLimit } from '../../core/concurrency.ts';
import { InputValidationError } from '../../core/errors.ts';
import { layout } from '../../core/layout.ts';
import type { Notifier } from '../../core/notifier.ts';
import { describeError } from '../../core/aws-errors.ts';
import { ApprovalSettingsFields, SweepIdSchema, parseOrThrow } from '../../core/schemas.ts';
import { count, lastInvoked } from '../../core/wording.ts';
import { money, totalMonthly } from '../approval/page.ts';
import { readCandidateList, type ApprovalRequestDeps } from '../approval/request.ts';
import { writeJson, type ApprovalCandidate } from '../approval/store.ts';
import { auditWriter, endpointWhere } from '../endpoint.ts';
import { signVetoLink, vetoUrl } from './links.ts';
import { readNoticeRecord, type NoticeRecord } from './store.ts';

/**
 * NotifyOwners, before the approvers are asked: each owner (src/core/owners.ts) is mailed the list of
 * their endpoints about to be put to the approvers, with a veto link signed for them. The workflow
 * then waits the notice period (`noticeSeconds`, a Wait state) before ApplyVetoes and RequestApproval.
 * Runs in the request-approval function, which already signs links and sends notifications.
 */

export const NotifyOwnersInputSchema = z.object({
  step: z.literal('notify-owners'),
  sweepId: SweepIdSchema,
  candidatesKey: z.string().min(1),
  noticeSeconds: ApprovalSettingsFields.shape.noticeSeconds,
  timeoutSeconds: ApprovalSettingsFields.shape.timeoutSeconds,
  requestedBy: z.string().min(1).max(512).default('zombie-sweep'),
});

export interface NotifyOwnersResult {
  sweepId: string;
  status: 'notified' | 'already-notified';
  owners: number;
  /** Candidates with no owner contact: nobody could be told (the approvers still decide). */
  unowned: number;
  /** Owners whose address has no confirmed subscription on the topic: SNS drops their notice (absent when not checked). */
  unreached?: string[];
  noticeEndsAt: string;
}

export function ownerNoticeMessage(record: NoticeRecord, candidates: readonly ApprovalCandidate[], url: string): { subject: string; body: string } {
  const n = candidates.length;
  const { total } = totalMonthly(candidates);
  const byCost = [...candidates].sort((a, b) => (b.monthlyCostUsd ?? -1) - (a.monthlyCostUsd ?? -1));
  const subject = `zombie-sweep: ${count(n)} of your SageMaker endpoints will be put up for deletion`;
  const body = [
    `zombie-sweep found ${count(n)} idle SageMaker endpoint${n === 1 ? '' : 's'} of yours costing ${money(total)} per month. Each one is archived and tagged zombie=confirmed.`,
    `From ${record.noticeEndsAt} the approvers of sweep ${record.sweepId} decide whether they are deleted.`,
    '',
    'To keep one, open this link (personal to you, valid until ' + record.vetoUntil + ') and press "Keep" next to it:',
    url,
    '',
    'Opening the link changes nothing. Keeping an endpoint removes its zombie tag; it is then never deleted by this sweep.',
    '',
    ...byCost.map(
      (c) =>
        `  - ${c.endpointName} (account ${c.accountId}, ${c.region}): ${money(c.monthlyCostUsd)}/month, last invoked ${lastInvoked(c.lastInvokedAt, c.idleSince)}${c.expired ? `, auto-delete-after passed${c.stillInvoked ? `, STILL INVOKED: ${c.stillInvoked}` : ''}` : ''}`,
    ),
  ].join('\n');
  return { subject, body };
}

function byOwner(candidates: readonly ApprovalCandidate[]): Record<string, string[]> {
  const owners: Record<string, string[]> = {};
  for (const c of candidates) if (c.owner) (owners[c.owner] ??= []).push(c.endpointArn);
  return owners;
}

/** Writes the notice record once per sweep (a retry keeps its dates, so links already mailed stay valid). */
async function noticeRecord(
  deps: ApprovalRequestDeps,
  input: z.output<typeof NotifyOwnersInputSchema>,
  candidates: ApprovalCandidate[],
): Promise<{ record: NoticeRecord; etag: string }> {
  const s3 = deps.clients.hub(S3Client);
  const existing = await readNoticeRecord(s3, deps.archiveBucket, input.sweepId);
  if (existing) return { record: existing.value, etag: existing.etag };
  const now = deps.clock.now();
  const noticeEnds = now.getTime() + input.noticeSeconds * 1000;
  const record: NoticeRecord = {
    version: 1,
    sweepId: input.sweepId,
    noticedAt: now.toISOString(),
    noticeEndsAt: new Date(noticeEnds).toISOString(),
    vetoUntil: new Date(Math.floor((noticeEnds + input.timeoutSeconds * 1000) / 1000) * 1000).toISOString(),
    owners: byOwner(candidates),
    candidates,
  };
  const written = await writeJson(s3, deps.archiveBucket, layout.notice(input.sweepId), record, { ifNoneMatch: '*' });
  if (!written.written) throw new InputValidationError(`the owner notice of sweep ${input.sweepId} was written concurrently; one notice per sweep`, 'sweepId');
  return { record, etag: written.etag };
}

export async function notifyOwners(deps: ApprovalRequestDeps, rawInput: unknown): Promise<NotifyOwnersResult> {
  const input = parseOrThrow(NotifyOwnersInputSchema, rawInput, 'owner notice');
  const s3 = deps.clients.hub(S3Client);
  const candidates = await readCandidateList(s3, deps.archiveBucket, input.candidatesKey);
  const { record, etag } = await noticeRecord(deps, input, candidates);
  const unowned = record.candidates.filter((c) => !c.owner).length;
  const summary = { sweepId: input.sweepId, owners: Object.keys(record.owners).length, unowned, noticeEndsAt: record.noticeEndsAt };
  if (record.notifiedAt) return { ...summary, status: 'already-notified' };

  const notifier = deps.notifier;
  const reachable = await reachableOwners(deps, notifier, Object.keys(record.owners));
  const expires = Math.floor(Date.parse(record.vetoUntil) / 1000);
  const byArn = new Map(record.candidates.map((c) => [c.endpointArn, c]));
  const audit = auditWriter(deps);
  await mapLimit(Object.entries(record.owners), 4, async ([owner, arns]) => {
    const mine = arns.flatMap((arn) => byArn.get(arn) ?? []);
    const link = await signVetoLink(deps.signer, input.sweepId, owner, expires);
    const { subject, body } = ownerNoticeMessage(record, mine, vetoUrl(deps.approvalBaseUrl, input.sweepId, link));
    await notifier.publish({ subject, body, attributes: { owner, event: 'owner-notice' } });
    for (const c of mine) {
      const where = endpointWhere(c);
      await appendAuditEvent(audit, {
        ...where,
        type: 'owner-notified',
        actor: input.requestedBy,
        details: { owner, ownerSource: c.ownerSource, noticeEndsAt: record.noticeEndsAt, vetoUntil: record.vetoUntil, delivery: deliveryOf(reachable, owner) },
      });
    }
  });
  const notified = await writeJson(
    s3,
    deps.archiveBucket,
    layout.notice(input.sweepId),
    { ...record, notifiedAt: deps.clock.now().toISOString() },
    { ifMatch: etag },
  );
  if (!notified.written) deps.log.warn('owner notice changed while marking it notified', { sweepId: input.sweepId });
  const unreached = reachable ? Object.keys(record.owners).filter((o) => !reachable.has(o)) : undefined;
  if (unreached && unreached.length > 0)
    deps.log.warn('owners without a confirmed subscription were not told: subscribe them with the filter policy {"owner": ["<address>"]}', { unreached });
  deps.log.info('owners notified', summary);
  return { ...summary, status: 'notified', ...(unreached ? { unreached } : {}) };
}

/** Which owners a notice can reach; undefined when it cannot be told (local runs, or the check was refused). */
async function reachableOwners(deps: ApprovalRequestDeps, notifier: Notifier, owners: readonly string[]): Promise<Set<string> | undefined> {
  if (!notifier.subscribed || owners.length === 0) return undefined;
  try {
    return await notifier.subscribed(owners);
  } catch (error) {
    deps.log.warn("cannot list the topic's subscriptions; owner notices are sent without checking who can receive them", { error: describeError(error) });
    return undefined;
  }
}

function deliveryOf(reachable: Set<string> | undefined, owner: string): 'subscribed' | 'no-subscription' | 'unchecked' {
  if (!reachable) return 'unchecked';
  return reachable.has(owner) ? 'subscribed' : 'no-subscription';
}
