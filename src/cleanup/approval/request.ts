import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { appendAuditEvent } from '../../audit/events.ts';
import { mapLimit } from '../../core/concurrency.ts';
import { InputValidationError } from '../../core/errors.ts';
import type { Notifier } from '../../core/notifier.ts';
import { layout, s3Uri } from '../../core/layout.ts';
import { ApprovalGroupSchema, ApprovalSettingsFields, EmailSchema, SweepIdSchema, parseOrThrow } from '../../core/schemas.ts';
import { auditWriter, endpointWhere, manifestKey, type CleanupDeps } from '../endpoint.ts';
import { deliverDecision } from './decide.ts';
import { groupView, routeCandidates, type GroupPlan } from './groups.ts';
import { approvalUrl, signLink, type MacSigner } from './links.ts';
import { count, lastInvoked, ownerText } from '../../core/wording.ts';
import { money, totalMonthly } from './page.ts';
import { ApprovalCandidateSchema, readApprovalRecord, readDecisionRecord, readJson, writeJson, type ApprovalCandidate, type ApprovalRecord } from './store.ts';

/**
 * RequestApproval, called by the state machine with `.waitForTaskToken`: stores the approval record
 * (one per sweep), then mails each approver a link signed for them through the SNS topic, with an
 * `approver` message attribute that the approver's subscription filter policy matches.
 */

export interface ApprovalRequestDeps extends CleanupDeps {
  signer: MacSigner;
  /** Where approval requests and owner notices go: chosen by the entry point from configuration (src/core/notifier.ts). */
  notifier: Notifier;
  /** Where the approval pages are served (API Gateway stage URL, or the local server). */
  approvalBaseUrl: string;
}

export const RequestApprovalInputSchema = z
  .object({
    taskToken: z.string().min(1).max(8192),
    sweepId: SweepIdSchema,
    /** Archive-bucket key of a JSON candidate list (keeps the state payload small). */
    candidatesKey: z.string().min(1).optional(),
    candidates: z.array(z.unknown()).optional(),
    approvers: z.array(EmailSchema),
    /** Approver groups (src/cleanup/approval/groups.ts) and the default group's quorum; neither: one decision by any approver. */
    groups: z.array(ApprovalGroupSchema).max(20).default([]),
    requiredApprovals: ApprovalSettingsFields.shape.requiredApprovals,
    timeoutSeconds: ApprovalSettingsFields.shape.timeoutSeconds,
    requestedBy: z.string().min(1).max(512).default('zombie-sweep'),
    rejectExemptDays: ApprovalSettingsFields.shape.rejectExemptDays,
  })
  .refine((v) => (v.candidatesKey === undefined) !== (v.candidates === undefined), {
    message: 'give exactly one of candidatesKey or candidates',
    path: ['candidates'],
  })
  .refine((v) => v.approvers.length > 0 || v.groups.length > 0, { message: 'at least one approver is required', path: ['approvers'] });
export type RequestApprovalInput = z.input<typeof RequestApprovalInputSchema>;

export interface RequestApprovalResult {
  sweepId: string;
  status: 'requested' | 'already-requested' | 'already-decided';
  candidates: number;
  approvers: number;
  expiresAt: string;
}

/**
 * Accepts a list of candidates, of Tag results (`{ status, candidate }`: only tagged ones count),
 * or `{ candidates: [...] }`. Duplicates (same ARN) collapse. The manifest URI defaults to the layout.
 */
export function normalizeCandidates(raw: unknown, bucket: string, field: string): ApprovalCandidate[] {
  const list: unknown[] | undefined = Array.isArray(raw)
    ? raw
    : raw && typeof raw === 'object' && Array.isArray((raw as { candidates?: unknown }).candidates)
      ? (raw as { candidates: unknown[] }).candidates
      : undefined;
  if (!list) throw new InputValidationError(`${field} must be a JSON array of candidates`, field);
  const out = new Map<string, ApprovalCandidate>();
  list.forEach((item, index) => {
    let value: unknown = item;
    if (item && typeof item === 'object' && 'candidate' in item) {
      const status = (item as { status?: unknown }).status;
      if (status !== undefined && status !== 'tagged' && status !== 'already-tagged') return;
      value = item.candidate;
    }
    const candidate = parseOrThrow(ApprovalCandidateSchema, value, `${field}[${index}]`);
    out.set(candidate.endpointArn, { ...candidate, manifestUri: candidate.manifestUri ?? s3Uri(bucket, manifestKey(candidate)) });
  });
  return [...out.values()];
}

/** Enough to decide from the mail for most sweeps, far below SNS's 256 KB message limit for the largest. */
export const EMAIL_ENDPOINT_LIMIT = 100;

const instancesText = (c: ApprovalCandidate): string => (c.instanceType ? `${c.instanceType} × ${c.instanceCount}` : 'serverless');

function endpointLine(c: ApprovalCandidate): string {
  const owners = ownerText(c.ownerTags);
  return `  - ${c.endpointName} (${c.region}, ${instancesText(c)}): ${money(c.monthlyCostUsd)}/month, last invoked ${lastInvoked(c.lastInvokedAt, c.idleSince)}${owners === 'none' ? '' : `, ${owners}`}${c.expired ? `, EXPIRED (auto-delete-after passed)${c.stillInvoked ? `, STILL INVOKED: ${c.stillInvoked}` : ''}` : ''}`;
}

/** Per account, most expensive first; past the limit, a count of what only the page lists. */
function endpointLines(candidates: readonly ApprovalCandidate[]): string[] {
  const accounts = new Map<string, ApprovalCandidate[]>();
  for (const c of candidates) accounts.set(c.accountId, [...(accounts.get(c.accountId) ?? []), c]);
  const lines: string[] = [];
  let listed = 0;
  for (const [account, items] of [...accounts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`Account ${account}: ${items.length} endpoint${items.length === 1 ? '' : 's'}, ${money(totalMonthly(items).total)}/month`);
    const byCost = [...items].sort((a, b) => (b.monthlyCostUsd ?? -1) - (a.monthlyCostUsd ?? -1));
    const shown = byCost.slice(0, Math.max(0, EMAIL_ENDPOINT_LIMIT - listed));
    lines.push(...shown.map(endpointLine));
    listed += shown.length;
  }
  if (listed < candidates.length) lines.push(`... and ${count(candidates.length - listed)} more endpoints: the page lists every one.`);
  return lines;
}

/** Who decides: the first approver, or (with groups) this group with its quorum. */
function decidesText(group: GroupPlan | undefined): string {
  if (!group) return 'The first decision by any approver counts.';
  const quorum =
    group.requiredApprovals === 1 ? 'one approval deletes an endpoint' : `${group.requiredApprovals} approvers must approve an endpoint before it is deleted`;
  return `Your group "${group.name}" decides these endpoints: ${quorum}, and one rejection keeps it.`;
}

export function approvalMessage(record: ApprovalRecord, url: string, group?: GroupPlan): { subject: string; message: string } {
  const { total, unknown } = totalMonthly(record.candidates);
  const n = record.candidates.length;
  const subject = `zombie-sweep: ${count(n)} idle SageMaker endpoint${n === 1 ? '' : 's'}, ${money(total)}/month: decision needed`.slice(0, 100);
  const message = [
    `zombie-sweep found ${count(n)} idle SageMaker endpoint${n === 1 ? '' : 's'} costing ${money(total)} per month${unknown > 0 ? ` (plus ${count(unknown)} of unknown cost)` : ''}.`,
    `Sweep ${record.sweepId}, started by ${record.requestedBy}. Each one is archived and tagged zombie=confirmed; nothing is deleted without a decision.`,
    '',
    `Review and decide here (this link is personal to you and valid until ${record.expiresAt}):`,
    url,
    '',
    `Opening the link changes nothing: you decide on the page, per endpoint, and confirm before anything is deleted. ${decidesText(group)}`,
    `If nobody decides by ${record.expiresAt}, nothing is deleted. Endpoints you keep are left alone for ${record.rejectExemptDays} days.`,
    '',
    'Endpoints, most expensive first:',
    ...endpointLines(record.candidates),
  ].join('\n');
  return { subject, message };
}

export async function requestApproval(deps: ApprovalRequestDeps, rawInput: unknown): Promise<RequestApprovalResult> {
  const input = parseOrThrow(RequestApprovalInputSchema, rawInput, 'approval request');
  const s3 = deps.clients.hub(S3Client);
  const log = deps.log.child({ sweepId: input.sweepId });
  const candidates = await loadCandidates(deps, s3, input);
  if (candidates.length === 0)
    throw new InputValidationError('candidates: nothing to approve (the workflow should skip approval when no endpoint was tagged)', 'candidates');

  const existing = await readApprovalRecord(s3, deps.archiveBucket, input.sweepId);
  const { record, expiresSeconds } = approvalRecordOf(input, candidates, existing, deps.clock.now());
  const written = await writeJson(s3, deps.archiveBucket, layout.approval(input.sweepId), record, existing ? { ifMatch: existing.etag } : { ifNoneMatch: '*' });
  if (!written.written) throw new InputValidationError(`the approval record of sweep ${input.sweepId} changed concurrently; one request per sweep`, 'sweepId');
  const summary = { sweepId: input.sweepId, candidates: candidates.length, approvers: record.approvers.length, expiresAt: record.expiresAt };

  // A decision recorded against an earlier attempt's token goes to this attempt's token: decided once.
  const decision = await readDecisionRecord(s3, deps.archiveBucket, input.sweepId);
  if (decision) {
    log.info('decision already recorded; forwarding it to the new task token', { status: decision.value.status });
    await deliverDecision(deps, decision, input.taskToken);
    return { ...summary, status: 'already-decided' };
  }
  if (record.notifiedAt) {
    log.info('approvers were already notified for this request');
    return { ...summary, status: 'already-requested' };
  }

  await mailApprovers(deps, input.sweepId, record, expiresSeconds);
  await auditApprovalRequested(deps, input, record);
  const notified = await writeJson(
    s3,
    deps.archiveBucket,
    layout.approval(input.sweepId),
    { ...record, notifiedAt: deps.clock.now().toISOString() },
    { ifMatch: written.etag },
  );
  if (!notified.written) log.warn('approval record changed while marking it notified');
  log.info('approval requested', { approvers: record.approvers.length, candidates: candidates.length, expiresAt: record.expiresAt });
  return { ...summary, status: 'requested' };
}

type ParsedRequest = z.output<typeof RequestApprovalInputSchema>;

async function loadCandidates(deps: ApprovalRequestDeps, s3: S3Client, input: ParsedRequest): Promise<ApprovalCandidate[]> {
  if (input.candidatesKey === undefined) return normalizeCandidates(input.candidates, deps.archiveBucket, 'candidates');
  return readCandidateList(s3, deps.archiveBucket, input.candidatesKey);
}

function approvalRecordOf(
  input: ParsedRequest,
  candidates: ApprovalCandidate[],
  existing: Awaited<ReturnType<typeof readApprovalRecord>>,
  now: Date,
): { record: ApprovalRecord; expiresSeconds: number } {
  const grouped = input.groups.length > 0 || input.requiredApprovals > 1;
  // Links are bound to the record's expiry; a retried request keeps it (and so the links already mailed) while it lies ahead.
  const keepExpiry = existing && Date.parse(existing.value.expiresAt) > now.getTime();
  const expiresSeconds = keepExpiry ? Math.floor(Date.parse(existing.value.expiresAt) / 1000) : Math.floor(now.getTime() / 1000) + input.timeoutSeconds;
  const record: ApprovalRecord = {
    version: 1,
    sweepId: input.sweepId,
    taskToken: input.taskToken,
    requestedAt: keepExpiry ? existing.value.requestedAt : now.toISOString(),
    requestedBy: input.requestedBy,
    expiresAt: new Date(expiresSeconds * 1000).toISOString(),
    approvers: input.approvers,
    rejectExemptDays: input.rejectExemptDays,
    candidates,
    notifiedAt: keepExpiry ? existing.value.notifiedAt : undefined,
    ...(grouped ? { groups: routeCandidates(candidates, input.groups, input) } : {}),
  };
  if (grouped) record.approvers = [...new Set(record.groups!.flatMap((g) => g.approvers))];
  return { record, expiresSeconds };
}

async function mailApprovers(deps: ApprovalRequestDeps, sweepId: string, record: ApprovalRecord, expiresSeconds: number): Promise<void> {
  const notifier = deps.notifier;
  // One message per approver, or per approver of each group: a link names its group and shows only its endpoints.
  const mailings: { approver: string; group: GroupPlan | undefined }[] = record.groups
    ? record.groups.flatMap((g) => g.approvers.map((approver) => ({ approver, group: g })))
    : record.approvers.map((approver) => ({ approver, group: undefined }));
  await mapLimit(mailings, 4, async ({ approver, group }) => {
    const link = await signLink(deps.signer, sweepId, approver, expiresSeconds, group?.name);
    const { subject, message } = approvalMessage(group ? groupView(record, group) : record, approvalUrl(deps.approvalBaseUrl, sweepId, link), group);
    await notifier.publish({ subject, body: message, attributes: { approver } });
  });
}

/** One sweep-level event and one per endpoint, so the trail of each endpoint shows who was asked. */
async function auditApprovalRequested(deps: ApprovalRequestDeps, input: ParsedRequest, record: ApprovalRecord): Promise<void> {
  const candidates = record.candidates;
  const audit = auditWriter(deps);
  const { total, unknown } = totalMonthly(candidates);
  const groupOf = new Map((record.groups ?? []).flatMap((g) => g.endpoints.map((arn) => [arn, g.name] as const)));
  const details = {
    approvers: record.approvers,
    ...(record.groups
      ? { groups: record.groups.map((g) => ({ name: g.name, approvers: g.approvers, requiredApprovals: g.requiredApprovals, endpoints: g.endpoints.length })) }
      : {}),
    expiresAt: record.expiresAt,
    candidates: candidates.length,
    totalMonthlyCostUsd: total,
    unknownCostCount: unknown,
  };
  await appendAuditEvent(audit, { type: 'approval-requested', actor: input.requestedBy, sweepId: input.sweepId, details });
  await mapLimit(candidates, 8, (c) =>
    appendAuditEvent(audit, {
      type: 'approval-requested',
      actor: input.requestedBy,
      ...endpointWhere(c),
      details: {
        approvers: input.approvers,
        expiresAt: record.expiresAt,
        monthlyCostUsd: c.monthlyCostUsd,
        manifestUri: c.manifestUri,
        ...(groupOf.has(c.endpointArn) ? { group: groupOf.get(c.endpointArn) } : {}),
      },
    }),
  );
}

/** The candidate list a state passed by its archive-bucket key (`candidatesKey`, which keeps the state payload small). */
export async function readCandidateList(s3: S3Client, bucket: string, key: string): Promise<ApprovalCandidate[]> {
  const file = await readJson(s3, bucket, key, z.unknown());
  if (!file) throw new InputValidationError(`candidatesKey: no object at ${key} in the archive bucket`, 'candidatesKey');
  return normalizeCandidates(file.value, bucket, 'candidatesKey');
}
