import { AddTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { appendAuditEvent } from '../audit/events.ts';
import { isoDate } from '../core/clock.ts';
import { PreconditionFailedError } from '../core/errors.ts';
import { s3Uri } from '../core/layout.ts';
import { parseOrThrow } from '../core/schemas.ts';
import { TAG, ZOMBIE_VALUE, tagMapToList, type TagMap } from '../core/tags.ts';
import { judgeExemption } from '../detection/rules.ts';
import { ApprovalCandidateSchema, type ApprovalCandidate } from './approval/store.ts';
import {
  auditWriter,
  describeEndpointOrUndefined,
  hasAuditEvent,
  manifestExists,
  manifestKey,
  readEndpointTags,
  retryableOr,
  targetOf,
  type CleanupDeps,
} from './reverify.ts';

/**
 * Tag: marks a snapshotted zombie `zombie=confirmed` with the DESIGN tags, in ONE AddTags call, and
 * only when the snapshot manifest exists (a manifest's presence means a complete, verified snapshot).
 */

export const TagInputSchema = z.object({
  candidate: ApprovalCandidateSchema,
  /** The sweep's principal, written to `zombie-confirmed-by`. */
  requestedBy: z.string().min(1).max(512).default('zombie-sweep'),
});
export type TagInput = z.input<typeof TagInputSchema>;

export interface TagResult {
  status: 'tagged' | 'already-tagged';
  endpointArn: string;
  /** The candidate as the approval request wants it (with its manifest URI). */
  candidate: ApprovalCandidate;
}

// SageMaker tag values: up to 256 of letters, digits, spaces and _.:/=+-@
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html).
const TAG_VALUE_MAX = 256;
export function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, TAG_VALUE_MAX);
}

export function confirmationTags(candidate: ApprovalCandidate, manifestUri: string, requestedBy: string, now: Date): TagMap {
  return {
    [TAG.zombie]: ZOMBIE_VALUE.confirmed,
    [TAG.sweepId]: candidate.sweepId,
    [TAG.confirmedDate]: isoDate(now),
    [TAG.confirmedBy]: tagValue(requestedBy),
    [TAG.idleSince]: tagValue(candidate.idleSince),
    [TAG.monthlyCostUsd]: candidate.monthlyCostUsd === null ? 'unknown' : candidate.monthlyCostUsd.toFixed(2),
    [TAG.snapshot]: manifestUri,
  };
}

export async function tagEndpoint(deps: CleanupDeps, rawInput: unknown): Promise<TagResult> {
  const input = parseOrThrow(TagInputSchema, rawInput, 'tag input');
  const candidate = input.candidate;
  const log = deps.log.child({ sweepId: candidate.sweepId, accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName });
  const audit = auditWriter(deps);
  const where = { sweepId: candidate.sweepId, accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName, endpointArn: candidate.endpointArn };

  const refuse = async (reason: string, message: string, tagsBefore?: TagMap): Promise<never> => {
    await appendAuditEvent(audit, { ...where, type: 'skipped', actor: input.requestedBy, reason: message, tagsBefore, details: { step: 'tag', check: reason } });
    log.warn('not tagged', { reason, detail: message });
    throw new PreconditionFailedError(`${candidate.endpointArn} not tagged: ${message}`, reason);
  };

  const key = manifestKey(candidate);
  const manifestUri = s3Uri(deps.archiveBucket, key);
  if (manifestUri.length > TAG_VALUE_MAX) return refuse('manifest-uri-too-long', `the manifest URI is longer than ${TAG_VALUE_MAX} characters`);
  if (!(await manifestExists(deps, key))) return refuse('manifest-missing', `no verified snapshot manifest at ${manifestUri}`);

  const sagemaker = deps.clients.target(SageMakerClient, targetOf(candidate));
  try {
    const endpoint = await describeEndpointOrUndefined(sagemaker, candidate.endpointName);
    if (!endpoint) return await refuse('endpoint-gone', 'the endpoint no longer exists');
    if (endpoint.EndpointArn && endpoint.EndpointArn !== candidate.endpointArn) return await refuse('endpoint-recreated', `the endpoint now has ARN ${endpoint.EndpointArn}`);

    const before = await readEndpointTags(sagemaker, candidate.endpointArn);
    const now = deps.clock.now();
    const exemption = judgeExemption(before, now);
    if (exemption.exempt) return await refuse('exempt', `the owner exempted it: ${exemption.reason}`, before);

    const desired = confirmationTags(candidate, manifestUri, input.requestedBy, now);
    const result: TagResult = { status: 'tagged', endpointArn: candidate.endpointArn, candidate: { ...candidate, manifestUri } };
    // The confirmation date is the only value that changes on a re-run the next day; it does not make the tags different.
    const alreadyTagged = Object.entries(desired).every(([k, v]) => k === TAG.confirmedDate || before[k] === v) && before[TAG.confirmedDate] !== undefined;
    if (alreadyTagged) {
      // A run that tagged and then died before its audit write left no event: write it now.
      if (!(await hasAuditEvent(deps, candidate, 'tagged'))) {
        await appendAuditEvent(audit, { ...where, type: 'tagged', actor: input.requestedBy, tagsBefore: before, tagsAfter: before, details: { manifestUri, note: 'tags were already in place from an earlier attempt' } });
      }
      log.info('already tagged');
      return { ...result, status: 'already-tagged' };
    }

    await sagemaker.send(new AddTagsCommand({ ResourceArn: candidate.endpointArn, Tags: tagMapToList(desired) }));
    await appendAuditEvent(audit, { ...where, type: 'tagged', actor: input.requestedBy, tagsBefore: before, tagsAfter: { ...before, ...desired }, details: { manifestUri, monthlyCostUsd: candidate.monthlyCostUsd, idleSince: candidate.idleSince } });
    log.info('tagged zombie=confirmed', { manifestUri });
    return result;
  } catch (error) {
    if (error instanceof PreconditionFailedError) throw error;
    throw retryableOr(error);
  }
}
