import type { S3Client } from '@aws-sdk/client-s3';
import { readJsonObject, writeJsonObject, type WriteCondition } from '../../core/s3-json.ts';
import { z } from 'zod';
import { CandidateSchema, EmailSchema, SweepIdSchema } from '../../core/schemas.ts';
import { InputValidationError } from '../../core/errors.ts';
import { layout } from '../../core/layout.ts';

/**
 * The approval record (`approvals/<sweep>/request.json`) and the decision record
 * (`approvals/<sweep>/decision.json`) in the archive bucket, with the conditional writes that make
 * "one request per sweep" and "a decision is recorded once" hold under concurrent clicks.
 */

/** A tagged zombie as the approver sees it. `manifestUri` defaults to the documented layout location. */
export const ApprovalCandidateSchema = CandidateSchema.extend({
  manifestUri: z.string().startsWith('s3://').optional(),
});
export type ApprovalCandidate = z.infer<typeof ApprovalCandidateSchema>;

export const ApprovalRecordSchema = z.object({
  version: z.literal(1),
  sweepId: SweepIdSchema,
  /** The `.waitForTaskToken` token. Sensitive: never logged, never in a page or a URL. */
  taskToken: z.string().min(1).max(8192),
  requestedAt: z.string(),
  requestedBy: z.string(),
  /** Links and the decision window end here (the task's TimeoutSeconds from the request). */
  expiresAt: z.string(),
  approvers: z.array(EmailSchema).min(1),
  rejectExemptDays: z.number().int().min(1),
  candidates: z.array(ApprovalCandidateSchema),
  /** Set once every approver's message was published for this expiry, so a retried request does not mail twice. */
  notifiedAt: z.string().optional(),
  /** Approver groups (src/cleanup/approval/groups.ts); absent: one decision by any approver, as before groups existed. */
  groups: z
    .array(z.object({ name: z.string(), approvers: z.array(EmailSchema).min(1), requiredApprovals: z.number().int().min(1), endpoints: z.array(z.string()) }))
    .optional(),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecordSchema>;

export const DecisionStatusSchema = z.enum([
  /** Recorded, SendTaskSuccess not (yet) accepted: a retry re-sends exactly this decision. */
  'pending',
  /** Step Functions accepted it: the workflow acts on `approved` / `rejected`. */
  'delivered',
  /** Step Functions no longer accepted the token: nothing is approved (`requested` keeps what was asked). */
  'window-closed',
]);
export type DecisionStatus = z.infer<typeof DecisionStatusSchema>;

const ArnList = z.array(z.string());

export const DecisionRecordSchema = z.object({
  version: z.literal(1),
  sweepId: SweepIdSchema,
  approver: z.string().min(1),
  decidedAt: z.string(),
  action: z.enum(['approve', 'reject-all']),
  approved: ArnList,
  rejected: ArnList,
  /**
   * Approved endpoints to scale to zero instead of deleting (src/cleanup/scale-to-zero.ts). Absent on
   * records from before the option existed; when present it is part of the signed content.
   */
  scaleToZero: ArnList.optional(),
  status: DecisionStatusSchema,
  /**
   * approval-page: an approver's POST; auto-approve: `start --local --auto-approve`; timeout: nobody
   * decided in time. task-output: written by earlier versions from an unsigned task output; never
   * written now, and never acted on (it carries no valid `mac`).
   */
  source: z.enum(['approval-page', 'auto-approve', 'task-output', 'timeout']),
  /** base64url HMAC-SHA-256 of the decided content (src/cleanup/approval/signature.ts); without a valid one, nothing is deleted. */
  mac: z.string().optional(),
  deliveredAt: z.string().optional(),
  closedAt: z.string().optional(),
  closedReason: z.string().optional(),
  requested: z.object({ approved: ArnList, rejected: ArnList, scaleToZero: ArnList.optional() }).optional(),
  /** While `pending`: a request has been handing it to Step Functions since then (absent once that attempt failed). */
  sendStartedAt: z.string().optional(),
  /** While `pending`: why the last send failed; with `maybeSent`, whether that attempt may still have reached Step Functions. */
  lastSendError: z.string().optional(),
  maybeSent: z.boolean().optional(),
  /** A sweep with approver groups: each group's signed record this decision combines (covered by `mac`). */
  groups: z.array(z.object({ group: z.string(), decisionKey: z.string(), mac: z.string() })).optional(),
});
export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;

export interface Stored<T> {
  value: T;
  etag: string;
}

export async function readJson<S extends z.ZodType>(s3: S3Client, bucket: string, key: string, schema: S): Promise<Stored<z.output<S>> | undefined> {
  const stored = await readJsonObject(s3, bucket, key);
  if (!stored) return undefined;
  const parsed = schema.safeParse(stored.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || '(root)';
    throw new InputValidationError(`s3://${bucket}/${key} is malformed at ${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  return { value: parsed.data, etag: stored.etag };
}

/** Writes JSON; with a condition, returns `{ written: false }` instead of overwriting what someone else wrote. */
export function writeJson(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
  condition?: WriteCondition,
): Promise<{ written: true; etag: string } | { written: false }> {
  return writeJsonObject(s3, bucket, key, value, { condition });
}

export const readApprovalRecord = (s3: S3Client, bucket: string, sweepId: string) => readJson(s3, bucket, layout.approval(sweepId), ApprovalRecordSchema);
export const readDecisionRecord = (s3: S3Client, bucket: string, sweepId: string) => readJson(s3, bucket, layout.decision(sweepId), DecisionRecordSchema);

/**
 * What the workflow receives from the approval task: a reference to the signed record, never the
 * decision itself (DecisionRefSchema in ./signature.ts). Constant size whatever the candidate count.
 */
export function taskOutput(decision: DecisionRecord): { decisionKey: string; decisionMac?: string } {
  return { decisionKey: layout.decision(decision.sweepId), ...(decision.mac ? { decisionMac: decision.mac } : {}) };
}

/** One approver's vote in a group: the ticked endpoints approved, the others rejected. */
export const GroupVoteSchema = z.object({ approver: z.string().min(1), at: z.string(), approved: ArnList, rejected: ArnList });
export type GroupVote = z.infer<typeof GroupVoteSchema>;

/**
 * A group's decision record (`approvals/<sweep>/groups/<group>/decision.json`): the votes so far,
 * and once every endpoint of the group is settled (rejected by anyone, or approved by
 * `requiredApprovals` distinct approvers), the outcome, MAC-signed with the decision key.
 */
export const GroupDecisionRecordSchema = z.object({
  version: z.literal(1),
  sweepId: SweepIdSchema,
  group: z.string(),
  requiredApprovals: z.number().int().min(1),
  endpoints: ArnList,
  approvals: z.array(GroupVoteSchema),
  status: z.enum(['collecting', 'decided']),
  approved: ArnList,
  rejected: ArnList,
  decidedAt: z.string().optional(),
  mac: z.string().optional(),
});
export type GroupDecisionRecord = z.infer<typeof GroupDecisionRecordSchema>;

export const readGroupDecision = (s3: S3Client, bucket: string, sweepId: string, group: string) =>
  readJson(s3, bucket, layout.groupDecision(sweepId, group), GroupDecisionRecordSchema);
