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
  /** Addresses told that have no confirmed subscription on the topic: SNS drops their notice (absent when not checked). */
  unreached?: string[];
  /** Endpoints whose tag owner cannot be reached, told to their account's owner instead. */
  forwarded: number;
  noticeEndsAt: string;
}

export function ownerNoticeMessage(record: NoticeRecord, candidates: readonly ApprovalCandidate[], url: string): { subject: string; body: string } {
  const n = candidates.length;
  const { total } = totalMonthly(candidates);
  const byCost = [...candidates].sort((a, b) => (b.monthlyCostUsd ?? -1) - (a.monthlyCostUsd ?? -1));
  const subject = `zombie-sweep: ${count(n)} of your SageMaker endpoints will be put up for deletion`;
  const forwardedFrom = (c: ApprovalCandidate) => record.forwarded?.[c.endpointArn];
  const body = [
    `zombie-sweep found ${count(n)} idle SageMaker endpoint${n === 1 ? '' : 's'} of yours costing ${money(total)} per month. Each one is archived and tagged zombie=confirmed.`,
    `From ${record.noticeEndsAt} the approvers of sweep ${record.sweepId} decide whether they are deleted.`,
    ...(candidates.some(forwardedFrom)
      ? ['', "Some are tagged with an owner whose address cannot receive these notices (no confirmed subscription): you are told as their account's owner."]
      : []),
    '',
    'To keep one, open this link (personal to you, valid until ' + record.vetoUntil + ') and press "Keep" next to it:',
    url,
    '',
    'Opening the link changes nothing. Keeping an endpoint removes its zombie tag; it is then never deleted by this sweep.',
    '',
    ...byCost.map(
      (c) =>
        `  - ${c.endpointName} (account ${c.accountId}, ${c.region}): ${money(c.monthlyCostUsd)}/month, last invoked ${lastInvoked(c.lastInvokedAt, c.idleSince)}${c.expired ? `, auto-delete-after passed${c.stillInvoked ? `, STILL INVOKED: ${c.stillInvoked}` : ''}` : ''}${forwardedFrom(c) ? `, owner tag ${forwardedFrom(c)} not reachable` : ''}`,
    ),
  ].join('\n');
  return { subject, body };
}

/**
 * Who is told about which endpoint: its owner; or, when the owner's address is known to have no
 * confirmed subscription (SNS would drop the notice) and the account's owner has one, the account's
 * owner, so that a person responsible for the endpoint hears of it before the approvers decide.
 */
export function noticeRecipients(
  candidates: readonly ApprovalCandidate[],
  reachable: ReadonlySet<string> | undefined,
): { owners: Record<string, string[]>; forwarded: Record<string, string> } {
  const owners: Record<string, string[]> = {};
  const forwarded: Record<string, string> = {};
  for (const c of candidates) {
    if (!c.owner) continue;
    const forward = reachable !== undefined && !reachable.has(c.owner) && c.accountOwner !== undefined && reachable.has(c.accountOwner);
    (owners[forward ? c.accountOwner! : c.owner] ??= []).push(c.endpointArn);
    if (forward) forwarded[c.endpointArn] = c.owner;
  }
  return { owners, forwarded };
}

/** Writes the notice record once per sweep (a retry keeps its dates and recipients, so links already mailed stay valid). */
async function createNoticeRecord(
  deps: ApprovalRequestDeps,
  input: z.output<typeof NotifyOwnersInputSchema>,
  candidates: ApprovalCandidate[],
  reachable: ReadonlySet<string> | undefined,
): Promise<{ record: NoticeRecord; etag: string }> {
  const s3 = deps.clients.hub(S3Client);
  const now = deps.clock.now();
  const noticeEnds = now.getTime() + input.noticeSeconds * 1000;
  const { owners, forwarded } = noticeRecipients(candidates, reachable);
  const record: NoticeRecord = {
    version: 1,
    sweepId: input.sweepId,
    noticedAt: now.toISOString(),
    noticeEndsAt: new Date(noticeEnds).toISOString(),
    vetoUntil: new Date(Math.floor((noticeEnds + input.timeoutSeconds * 1000) / 1000) * 1000).toISOString(),
    owners,
    ...(Object.keys(forwarded).length > 0 ? { forwarded } : {}),
    delivery: Object.fromEntries(Object.keys(owners).map((address) => [address, deliveryOf(reachable, address)])),
    candidates,
  };
  const written = await writeJson(s3, deps.archiveBucket, layout.notice(input.sweepId), record, { ifNoneMatch: '*' });
  if (!written.written) throw new InputValidationError(`the owner notice of sweep ${input.sweepId} was written concurrently; one notice per sweep`, 'sweepId');
  return { record, etag: written.etag };
}

export async function notifyOwners(deps: ApprovalRequestDeps, rawInput: unknown): Promise<NotifyOwnersResult> {
  const input = parseOrThrow(NotifyOwnersInputSchema, rawInput, 'owner notice');
  const s3 = deps.clients.hub(S3Client);
  const existing = await readNoticeRecord(s3, deps.archiveBucket, input.sweepId);
  if (existing?.value.notifiedAt) return { ...noticeSummary(existing.value), status: 'already-notified' };
  const candidates = existing?.value.candidates ?? (await readCandidateList(s3, deps.archiveBucket, input.candidatesKey));
  const addresses = new Set(candidates.flatMap((c) => [c.owner, c.accountOwner].filter((a): a is string => a !== undefined)));
  const reachable = await reachableOwners(deps, deps.notifier, [...addresses]);
  const { record, etag } = existing ? { record: existing.value, etag: existing.etag } : await createNoticeRecord(deps, input, candidates, reachable);
  const summary = noticeSummary(record);

  await publishNotices(deps, input, record, reachable);
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

function noticeSummary(record: NoticeRecord) {
  return {
    sweepId: record.sweepId,
    owners: Object.keys(record.owners).length,
    unowned: record.candidates.filter((c) => !c.owner).length,
    forwarded: Object.keys(record.forwarded ?? {}).length,
    noticeEndsAt: record.noticeEndsAt,
  };
}

/** One notice per address told, with its own veto link, and an `owner-notified` event per endpoint. */
async function publishNotices(
  deps: ApprovalRequestDeps,
  input: z.output<typeof NotifyOwnersInputSchema>,
  record: NoticeRecord,
  reachable: ReadonlySet<string> | undefined,
): Promise<void> {
  const expires = Math.floor(Date.parse(record.vetoUntil) / 1000);
  const byArn = new Map(record.candidates.map((c) => [c.endpointArn, c]));
  const audit = auditWriter(deps);
  await mapLimit(Object.entries(record.owners), 4, async ([owner, arns]) => {
    const mine = arns.flatMap((arn) => byArn.get(arn) ?? []);
    const link = await signVetoLink(deps.signer, input.sweepId, owner, expires);
    const { subject, body } = ownerNoticeMessage(record, mine, vetoUrl(deps.approvalBaseUrl, input.sweepId, link));
    await deps.notifier.publish({ subject, body, attributes: { owner, event: 'owner-notice' } });
    for (const c of mine) {
      const forwardedFrom = record.forwarded?.[c.endpointArn];
      await appendAuditEvent(audit, {
        ...endpointWhere(c),
        type: 'owner-notified',
        actor: input.requestedBy,
        details: {
          owner,
          ownerSource: forwardedFrom ? 'account' : c.ownerSource,
          ...(forwardedFrom ? { forwardedFrom } : {}),
          noticeEndsAt: record.noticeEndsAt,
          vetoUntil: record.vetoUntil,
          delivery: deliveryOf(reachable, owner),
        },
      });
    }
  });
}

/** Which owners a notice can reach; undefined when it cannot be told (local runs, or the check was refused). */
async function reachableOwners(deps: ApprovalRequestDeps, notifier: Notifier, owners: readonly string[]): Promise<ReadonlySet<string> | undefined> {
  if (!notifier.subscribed || owners.length === 0) return undefined;
  try {
    return await notifier.subscribed(owners);
  } catch (error) {
    deps.log.warn("cannot list the topic's subscriptions; owner notices are sent without checking who can receive them", { error: describeError(error) });
    return undefined;
  }
}

function deliveryOf(reachable: ReadonlySet<string> | undefined, owner: string): 'subscribed' | 'no-subscription' | 'unchecked' {
  if (!reachable) return 'unchecked';
  return reachable.has(owner) ? 'subscribed' : 'no-subscription';
}
