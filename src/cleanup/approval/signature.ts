import { timingSafeEqual } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { layout } from '../../core/layout.ts';
import type { MacSigner } from './links.ts';
import { readDecisionRecord, type DecisionRecord, type GroupDecisionRecord, type Stored } from './store.ts';

/**
 * Decision records are MAC-signed (HMAC-SHA-256 in KMS) by whoever may decide: the approval endpoint
 * after a valid signed POST, or the local runner's explicit auto-approve. ApplyDecision and Delete
 * verify the MAC before acting, so write access to the archive bucket or to Step Functions'
 * SendTaskSuccess is not enough to decide: the workflow receives only a reference to the record
 * (`{ decisionKey, decisionMac }`), never the decision itself, which also keeps the task output small
 * whatever the number of candidates (Step Functions caps a task result at 256 KiB,
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions).
 */

/** What the approval task returns: where the signed decision is, and its MAC (a cross-check; the record's MAC is what is verified). */
export const DecisionRefSchema = z.strictObject({
  decisionKey: z.string().min(1).max(1024),
  decisionMac: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be a 43-character base64url MAC')
    .optional(),
});
export type DecisionRef = z.infer<typeof DecisionRefSchema>;

// A purpose prefix distinct from approval links' keeps a link MAC from ever verifying as a decision (and back).
const PURPOSE = 'zombie-sweep/decision/v1';

/**
 * The decided content: what a signature vouches for. Delivery bookkeeping (status, lease, errors)
 * changes after signing and is left out. A record closed before delivery keeps its lists in
 * `requested`, so it still verifies as what was decided.
 */
export function decisionMessage(record: DecisionRecord): Uint8Array {
  const lists = record.status === 'window-closed' && record.requested ? record.requested : record;
  const content: unknown[] = [
    record.sweepId,
    record.approver,
    record.decidedAt,
    record.action,
    record.source,
    [...lists.approved].sort(),
    [...lists.rejected].sort(),
  ];
  // Only a grouped decision carries group references; records without them sign exactly as before.
  if (record.groups) content.push([...record.groups].sort((a, b) => a.group.localeCompare(b.group)).map((g) => [g.group, g.decisionKey, g.mac]));
  // Appended only when used, so records signed before scale-to-zero existed still verify, and a list added
  // or removed afterwards (someone with write access to the bucket) breaks the signature.
  if (lists.scaleToZero !== undefined) content.push(['scaleToZero', [...lists.scaleToZero].sort()]);
  return new TextEncoder().encode(`${PURPOSE}\n${JSON.stringify(content)}`);
}

export async function signDecision(signer: MacSigner, record: Omit<DecisionRecord, 'mac'>): Promise<DecisionRecord> {
  const mac = await signer.sign(decisionMessage(record));
  return { ...record, mac: Buffer.from(mac).toString('base64url') };
}

export async function decisionSignatureValid(signer: MacSigner | undefined, record: DecisionRecord): Promise<boolean> {
  if (!signer || !record.mac) return false;
  const mac = Buffer.from(record.mac, 'base64url');
  if (mac.length !== 32) return false;
  return signer.verify(decisionMessage(record), mac);
}

export type SignedDecision = { ok: true; stored: Stored<DecisionRecord> } | { ok: false; reason: string };

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// A verified (sweep, etag) needs no second KMS call while a warm Lambda applies or deletes more of the same sweep.
const verified = new WeakMap<S3Client, Set<string>>();

/**
 * Reads the sweep's decision record and checks it is the one the workflow was handed (when a
 * reference is given) and that its MAC verifies. Every "no" says why, for the anomaly event.
 */
export async function readSignedDecision(s3: S3Client, bucket: string, signer: MacSigner | undefined, sweepId: string, ref?: unknown): Promise<SignedDecision> {
  let expectedMac: string | undefined;
  if (ref !== undefined) {
    const parsed = DecisionRefSchema.safeParse(ref);
    if (!parsed.success)
      return { ok: false, reason: 'the approval task completed with an output that is not a decision reference ({ decisionKey, decisionMac })' };
    if (parsed.data.decisionKey !== layout.decision(sweepId))
      return { ok: false, reason: `the approval task's decision reference points at ${parsed.data.decisionKey}, not this sweep's decision record` };
    expectedMac = parsed.data.decisionMac;
  }
  const stored = await readDecisionRecord(s3, bucket, sweepId);
  if (!stored) return { ok: false, reason: 'no decision record exists for this sweep' };
  if (stored.value.sweepId !== sweepId) return { ok: false, reason: `the decision record names sweep ${stored.value.sweepId}` };
  if (expectedMac !== undefined && (!stored.value.mac || !sameMac(expectedMac, stored.value.mac)))
    return { ok: false, reason: 'the decision record is not the one the approval task was completed with (MAC differs)' };
  const cache = verified.get(s3) ?? new Set<string>();
  verified.set(s3, cache);
  const cacheKey = `${bucket}/${sweepId}/${stored.etag}`;
  if (cache.has(cacheKey)) return { ok: true, stored };
  if (!stored.value.mac) return { ok: false, reason: 'the decision record carries no signature' };
  if (!(await decisionSignatureValid(signer, stored.value))) return { ok: false, reason: 'the decision record signature does not verify (forged or altered)' };
  cache.add(cacheKey);
  return { ok: true, stored };
}

const GROUP_PURPOSE = 'zombie-sweep/group-decision/v1';

/** A group's decided content: its outcome and every vote that led to it. */
export function groupDecisionMessage(record: GroupDecisionRecord): Uint8Array {
  const votes = record.approvals.map((v) => [v.approver, v.at, [...v.approved].sort(), [...v.rejected].sort()]);
  const content = [
    record.sweepId,
    record.group,
    record.decidedAt ?? null,
    record.requiredApprovals,
    [...record.approved].sort(),
    [...record.rejected].sort(),
    votes,
  ];
  return new TextEncoder().encode(`${GROUP_PURPOSE}\n${JSON.stringify(content)}`);
}

export async function signGroupDecision(signer: MacSigner, record: GroupDecisionRecord): Promise<GroupDecisionRecord> {
  const mac = await signer.sign(groupDecisionMessage(record));
  return { ...record, mac: Buffer.from(mac).toString('base64url') };
}

export async function groupDecisionValid(signer: MacSigner | undefined, record: GroupDecisionRecord): Promise<boolean> {
  if (!signer || !record.mac || record.status !== 'decided') return false;
  const mac = Buffer.from(record.mac, 'base64url');
  return mac.length === 32 && signer.verify(groupDecisionMessage(record), mac);
}
