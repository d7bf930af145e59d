import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { layout } from '../../core/layout.ts';
import { EmailSchema, SweepIdSchema } from '../../core/schemas.ts';
import { ApprovalCandidateSchema, readJson, writeJson, type ApprovalCandidate } from '../approval/store.ts';

/**
 * The owner notice (`approvals/<sweep>/notice.json`, one per sweep) and the owners' vetoes
 * (`approvals/<sweep>/vetoes/<account>/<region>/<endpoint>.json`, one object per endpoint written
 * once, so concurrent vetoes of different endpoints never contend for one record).
 */

export const NoticeRecordSchema = z.object({
  version: z.literal(1),
  sweepId: SweepIdSchema,
  noticedAt: z.string(),
  /** The approvers are asked from then on. */
  noticeEndsAt: z.string(),
  /** Veto links work until then: the end of the notice period plus the approval window. */
  vetoUntil: z.string(),
  /** Address told → the ARNs of the endpoints in their notice. */
  owners: z.record(EmailSchema, z.array(z.string())),
  /** Endpoint ARN → its tag owner, for endpoints whose notice went to the account's owner instead (the tag's address had no confirmed subscription). */
  forwarded: z.record(z.string(), EmailSchema).optional(),
  /** Address told → whether the topic had a confirmed subscription for it when the notice was written. */
  delivery: z.record(EmailSchema, z.enum(['subscribed', 'no-subscription', 'unchecked'])).optional(),
  candidates: z.array(ApprovalCandidateSchema),
  /** Set once every owner's notice was published, so a retried step does not mail twice. */
  notifiedAt: z.string().optional(),
});
export type NoticeRecord = z.infer<typeof NoticeRecordSchema>;

export const VetoRecordSchema = z.object({
  version: z.literal(1),
  sweepId: SweepIdSchema,
  endpointArn: z.string(),
  owner: EmailSchema,
  vetoedAt: z.string(),
});
export type VetoRecord = z.infer<typeof VetoRecordSchema>;

export const readNoticeRecord = (s3: S3Client, bucket: string, sweepId: string) => readJson(s3, bucket, layout.notice(sweepId), NoticeRecordSchema);

const vetoKey = (c: Pick<ApprovalCandidate, 'sweepId' | 'accountId' | 'region' | 'endpointName'>) =>
  layout.veto(c.sweepId, c.accountId, c.region, c.endpointName);

/** Records the veto once; a second click (or a second owner) finds it already there. */
export async function writeVeto(s3: S3Client, bucket: string, candidate: ApprovalCandidate, owner: string, at: Date): Promise<'recorded' | 'already-vetoed'> {
  const record: VetoRecord = { version: 1, sweepId: candidate.sweepId, endpointArn: candidate.endpointArn, owner, vetoedAt: at.toISOString() };
  const written = await writeJson(s3, bucket, vetoKey(candidate), record, { ifNoneMatch: '*' });
  return written.written ? 'recorded' : 'already-vetoed';
}

export async function readVeto(
  s3: S3Client,
  bucket: string,
  candidate: Pick<ApprovalCandidate, 'sweepId' | 'accountId' | 'region' | 'endpointName'>,
): Promise<VetoRecord | undefined> {
  return (await readJson(s3, bucket, vetoKey(candidate), VetoRecordSchema))?.value;
}

/** Every veto of a sweep, by endpoint ARN (one List call per thousand vetoes, then one GET each). */
export async function readVetoes(s3: S3Client, bucket: string, sweepId: string): Promise<Map<string, VetoRecord>> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: layout.vetoPrefix(sweepId), ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const vetoes = new Map<string, VetoRecord>();
  for (const key of keys) {
    const stored = await readJson(s3, bucket, key, VetoRecordSchema);
    if (stored && stored.value.sweepId === sweepId) vetoes.set(stored.value.endpointArn, stored.value);
  }
  return vetoes;
}
