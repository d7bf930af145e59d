import { DeleteTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { appendAuditEvent } from '../../audit/events.ts';
import { mapLimit } from '../../core/concurrency.ts';
import { InputValidationError } from '../../core/errors.ts';
import { layout } from '../../core/layout.ts';
import { SweepIdSchema, parseOrThrow } from '../../core/schemas.ts';
import { TAG, ZOMBIE_VALUE } from '../../core/tags.ts';
import { normalizeCandidates } from '../approval/request.ts';
import { readJson, writeJson, type ApprovalCandidate } from '../approval/store.ts';
import { unmarkRejectedChildren } from '../reject.ts';
import {
  auditWriter,
  endpointWhere,
  describeEndpointOrUndefined,
  hasAuditEvent,
  readEndpointTags,
  retryableOr,
  tagTargetOf,
  type CleanupDeps,
} from '../endpoint.ts';
import { readNoticeRecord, readVetoes, type NoticeRecord, type VetoRecord } from './store.ts';
import { tagChangeGuard } from '../tag-intent.ts';

/**
 * Applying owners' vetoes. The approval page records a veto and nothing else (it holds no member
 * access); the workflow, with the tag capability, removes the endpoint's `zombie` tag, so the veto is
 * the same thing as an owner removing the tag by hand, which Delete's re-verification already honours.
 * Runs after the notice period (ApplyVetoes) and again in ApplyDecision for vetoes made while the
 * approvers were deciding; Delete also skips an endpoint with a veto on record.
 */

export type VetoOutcome = 'untagged' | 'already-untagged' | 'gone';

/** Removes this sweep's `zombie` tag from a vetoed endpoint; its marked children become `zombie=rejected`. Idempotent. */
export async function untagVetoed(deps: CleanupDeps, candidate: ApprovalCandidate, veto: VetoRecord): Promise<VetoOutcome> {
  const where = endpointWhere(candidate);
  const sagemaker = deps.clients.target(SageMakerClient, tagTargetOf(candidate));
  const details = { step: 'untagged', owner: veto.owner, vetoedAt: veto.vetoedAt };
  try {
    const endpoint = await describeEndpointOrUndefined(sagemaker, candidate.endpointName);
    if (!endpoint || (endpoint.EndpointArn !== undefined && endpoint.EndpointArn !== candidate.endpointArn)) return 'gone';
    const before = await readEndpointTags(sagemaker, candidate.endpointArn);
    const ours = before[TAG.zombie] === ZOMBIE_VALUE.confirmed && before[TAG.sweepId] === candidate.sweepId;
    const intent = { ...where, actor: veto.owner, tagsBefore: before };
    if (ours) {
      await tagChangeGuard(auditWriter(deps), intent, { step: 'veto', resources: [candidate.endpointArn], remove: [TAG.zombie] })();
      await sagemaker.send(new DeleteTagsCommand({ ResourceArn: candidate.endpointArn, TagKeys: [TAG.zombie] }));
    }
    let beforeChild: (() => Promise<void>) | undefined;
    const children = await unmarkRejectedChildren(sagemaker, endpoint, candidate.endpointName, (all) =>
      (beforeChild ??= tagChangeGuard(auditWriter(deps), intent, {
        step: 'veto',
        resources: all.map((c) => c.arn),
        set: { [TAG.zombie]: ZOMBIE_VALUE.rejected },
      }))(),
    );
    if (!ours && children.length === 0) {
      if (!(await hasAuditEvent(deps, candidate, 'vetoed')))
        await appendAuditEvent(auditWriter(deps), {
          ...where,
          type: 'vetoed',
          actor: veto.owner,
          tagsBefore: before,
          tagsAfter: before,
          details: { ...details, note: "the zombie tag was no longer this sweep's" },
        });
      return 'already-untagged';
    }
    const after = { ...before };
    if (ours) delete after[TAG.zombie];
    await appendAuditEvent(auditWriter(deps), {
      ...where,
      type: 'vetoed',
      actor: veto.owner,
      tagsBefore: before,
      tagsAfter: after,
      details: { ...details, children },
    });
    return 'untagged';
  } catch (error) {
    throw retryableOr(error);
  }
}

/**
 * The vetoes a step applied, in the sweep's own files (`sweeps/<id>/<file>`), so the Report step counts
 * them with the access it already has (it never reads `approvals/`).
 */
export const VETOED_FILES = { afterNotice: 'vetoed-after-notice.json', atDecision: 'vetoed-at-decision.json' } as const;
export const VetoedListSchema = z.array(z.object({ endpointArn: z.string(), owner: z.string(), vetoedAt: z.string() }));

/** Untags every vetoed candidate and records them in `file`; returns the ones still up for approval. */
export async function withoutVetoed(
  deps: CleanupDeps,
  sweepId: string,
  candidates: readonly ApprovalCandidate[],
  file: (typeof VETOED_FILES)[keyof typeof VETOED_FILES],
): Promise<{ kept: ApprovalCandidate[]; vetoed: ApprovalCandidate[] }> {
  const s3 = deps.clients.hub(S3Client);
  const vetoes = await readVetoes(s3, deps.archiveBucket, sweepId);
  const vetoed = candidates.filter((c) => vetoes.has(c.endpointArn));
  await mapLimit(vetoed, 8, (c) => untagVetoed(deps, c, vetoes.get(c.endpointArn)!));
  const listed = vetoed.map((c) => ({ endpointArn: c.endpointArn, owner: vetoes.get(c.endpointArn)!.owner, vetoedAt: vetoes.get(c.endpointArn)!.vetoedAt }));
  await writeJson(s3, deps.archiveBucket, layout.sweepFile(sweepId, file), listed);
  return { kept: candidates.filter((c) => !vetoes.has(c.endpointArn)), vetoed };
}

/** Each candidate with who was told about it and whether the notice could reach them, for the approvers to see. */
export function withOwnerNotice(candidates: readonly ApprovalCandidate[], notice: NoticeRecord): ApprovalCandidate[] {
  const told = new Map(Object.entries(notice.owners).flatMap(([to, arns]) => arns.map((arn) => [arn, to] as const)));
  return candidates.map((c) => {
    const to = told.get(c.endpointArn);
    if (!to) return c;
    const forwardedFrom = notice.forwarded?.[c.endpointArn];
    return { ...c, ownerNotice: { to, delivery: notice.delivery?.[to] ?? 'unchecked', ...(forwardedFrom ? { forwardedFrom } : {}) } };
  });
}

/** The candidates left to the approvers once vetoed ones are out (CollectTagged's own list stays as it was). */
export const AFTER_NOTICE_FILE = 'candidates-after-notice.json';

export const ApplyVetoesInputSchema = z.object({
  step: z.literal('apply-vetoes'),
  sweepId: SweepIdSchema,
  /** CollectTagged's result; what this step returns replaces it, so the approval steps read the remaining candidates. */
  tagged: z.looseObject({ key: z.string().min(1), count: z.number().int().min(0) }),
});

export type ApplyVetoesResult = Record<string, unknown> & { key: string; count: number; vetoed: number };

export async function applyVetoes(deps: CleanupDeps, rawInput: unknown): Promise<ApplyVetoesResult> {
  const input = parseOrThrow(ApplyVetoesInputSchema, rawInput, 'apply-vetoes input');
  const s3 = deps.clients.hub(S3Client);
  const file = await readJson(s3, deps.archiveBucket, input.tagged.key, z.unknown());
  if (!file) throw new InputValidationError(`tagged.key: no object at ${input.tagged.key} in the archive bucket`, 'tagged.key');
  const candidates = normalizeCandidates(file.value, deps.archiveBucket, 'tagged.key');
  const { kept, vetoed } = await withoutVetoed(deps, input.sweepId, candidates, VETOED_FILES.afterNotice);
  const notice = await readNoticeRecord(s3, deps.archiveBucket, input.sweepId);
  const key = layout.sweepFile(input.sweepId, AFTER_NOTICE_FILE);
  await writeJson(s3, deps.archiveBucket, key, notice ? withOwnerNotice(kept, notice.value) : kept);
  deps.log.info('owner vetoes applied', { sweepId: input.sweepId, vetoed: vetoed.length, remaining: kept.length });
  return { ...input.tagged, key, count: kept.length, vetoed: vetoed.length };
}
