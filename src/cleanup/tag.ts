import { AddTagsCommand, DeleteTagsCommand, SageMakerClient, type DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { appendAuditEvent, type NewAuditEvent } from '../audit/events.ts';
import { isoDate } from '../core/clock.ts';
import { PreconditionFailedError, errorMessage, errorName } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import { s3Uri } from '../core/layout.ts';
import { DeletionSettingsSchema, parseOrThrow } from '../core/schemas.ts';
import { TAG, ZOMBIE_VALUE, tagMapToList, type TagMap } from '../core/tags.ts';
import { judgeExemption } from '../detection/rules.ts';
import { protectedByTags } from '../core/protected.ts';
import { ApprovalCandidateSchema, type ApprovalCandidate } from './approval/store.ts';
import {
  auditWriter,
  carriesDeletionMark,
  configAndModels,
  deletionMark,
  describeEndpointOrUndefined,
  hasAuditEvent,
  inUseByOthers,
  listInferenceComponents,
  manifestExists,
  manifestKey,
  readEndpointTags,
  readTagsOrUndefined,
  retryableOr,
  tagTargetOf,
  type ChildResource,
  type CleanupDeps,
} from './endpoint.ts';
import { isSageMakerNotFound } from '../core/aws-errors.ts';
import { tagChangeGuard } from './tag-intent.ts';

/**
 * Tag: marks a snapshotted zombie `zombie=confirmed` with the contract tags, in ONE AddTags call, and
 * only when the snapshot manifest exists (a manifest's presence means a complete, verified snapshot).
 *
 * The member role may delete an inference component, endpoint config or model only while THAT
 * resource carries `zombie=confirmed` (IAM evaluates aws:ResourceTag of the resource in the request,
 * never its endpoint's). So the resources Delete will remove get `zombie=confirmed` and
 * `zombie-sweep-id` first: every inference component, and the config and models when DeletionSettings
 * remove them (unless another endpoint uses them). They are marked BEFORE the endpoint, so an endpoint
 * tagged confirmed always has its children marked; a failure in between un-marks them again.
 */

export const TagInputSchema = z.object({
  candidate: ApprovalCandidateSchema,
  /** The sweep's principal, written to `zombie-confirmed-by`. */
  requestedBy: z.string().min(1).max(512).default('zombie-sweep'),
  /**
   * The sweep's DeletionSettings: a config or model Delete may remove must be marked too. Optional for
   * callers that do not pass it yet; absent means keep configs and models (the documented default, docs/design.md).
   */
  deletion: DeletionSettingsSchema.default({ deleteEndpointConfig: false, deleteModels: false }),
});
export type TagInput = z.input<typeof TagInputSchema>;
type TagInputParsed = z.output<typeof TagInputSchema>;

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

/** A child resource as the tag step left it; `before` holds only its previous zombie tags. */
export interface MarkedChild extends ChildResource {
  status: 'tagged' | 'already-tagged';
  before: TagMap;
}

interface ChildPlan {
  children: ChildResource[];
  /** Configs and models removal would want but that stay unmarked, with why. */
  notMarked: { kind: ChildResource['kind']; name: string; reason: string }[];
}

/** The resources Delete will remove besides the endpoint, i.e. those the member role must be allowed to delete. */
async function childrenToMark(sagemaker: SageMakerClient, endpoint: DescribeEndpointCommandOutput, endpointName: string, deletion: TagInputParsed['deletion']): Promise<ChildPlan> {
  const components: ChildResource[] = (await listInferenceComponents(sagemaker, endpointName)).map(({ kind, name, arn }) => ({ kind, name, arn }));
  if (!deletion.deleteEndpointConfig && !deletion.deleteModels) return { children: components, notMarked: [] };
  const { config, models } = await configAndModels(sagemaker, endpoint.EndpointConfigName);
  // Delete keeps what another endpoint uses; marking it would make a live endpoint's config or model deletable by the role.
  const inUse = await inUseByOthers(sagemaker, endpointName);
  const plan: ChildPlan = { children: components, notMarked: [] };
  const wanted = [...(deletion.deleteEndpointConfig && config ? [config] : []), ...(deletion.deleteModels ? models : [])];
  for (const child of wanted) {
    const shared = child.kind === 'model' ? inUse.models.has(child.name) : inUse.configs.has(child.name);
    if (shared) plan.notMarked.push({ kind: child.kind, name: child.name, reason: 'used by another endpoint; Delete keeps it' });
    else plan.children.push(child);
  }
  return plan;
}

const zombieKeys = (tags: TagMap): TagMap => Object.fromEntries([TAG.zombie, TAG.sweepId].flatMap((k) => (tags[k] === undefined ? [] : [[k, tags[k]]])));

/** One AddTags per child that lacks the mark; `changed` collects those written, for `unmarkChildren`. A child gone meanwhile is left out. */
async function markChildren(sagemaker: SageMakerClient, children: readonly ChildResource[], sweepId: string, changed: MarkedChild[], beforeWrite: () => Promise<void>): Promise<MarkedChild[]> {
  const marked: MarkedChild[] = [];
  for (const child of children) {
    const before = await readTagsOrUndefined(sagemaker, child.arn);
    if (!before) continue;
    if (carriesDeletionMark(before, sweepId)) {
      marked.push({ ...child, status: 'already-tagged', before: zombieKeys(before) });
      continue;
    }
    await beforeWrite();
    try {
      await sagemaker.send(new AddTagsCommand({ ResourceArn: child.arn, Tags: tagMapToList(deletionMark(sweepId)) }));
    } catch (error) {
      if (isSageMakerNotFound(error)) continue;
      throw error;
    }
    const done: MarkedChild = { ...child, status: 'tagged', before: zombieKeys(before) };
    changed.push(done);
    marked.push(done);
  }
  return marked;
}

/** Best effort: puts back the zombie tags children had before this run, so no child of an unconfirmed endpoint stays deletable. */
async function unmarkChildren(sagemaker: SageMakerClient, changed: readonly MarkedChild[], log: Log): Promise<void> {
  for (const child of changed) {
    try {
      const absent = [TAG.zombie, TAG.sweepId].filter((k) => child.before[k] === undefined);
      if (Object.keys(child.before).length > 0) await sagemaker.send(new AddTagsCommand({ ResourceArn: child.arn, Tags: tagMapToList(child.before) }));
      if (absent.length > 0) await sagemaker.send(new DeleteTagsCommand({ ResourceArn: child.arn, TagKeys: absent }));
    } catch (error) {
      log.warn('could not un-mark a child resource; it carries zombie=confirmed without a confirmed endpoint', { arn: child.arn, error: `${errorName(error)}: ${errorMessage(error)}` });
    }
  }
}

const childSummary = (children: readonly MarkedChild[]) => children.map(({ kind, name, arn, status }) => ({ kind, name, arn, status }));

async function auditAlreadyTagged(audit: ReturnType<typeof auditWriter>, who: Omit<NewAuditEvent, 'type'>, tags: TagMap, details: Record<string, unknown>): Promise<void> {
  await appendAuditEvent(audit, { ...who, type: 'tagged', tagsBefore: tags, tagsAfter: tags, details: { ...details, note: 'endpoint tags were already in place from an earlier attempt' } });
}

export async function tagEndpoint(deps: CleanupDeps, rawInput: unknown): Promise<TagResult> {
  const input = parseOrThrow(TagInputSchema, rawInput, 'tag input');
  const candidate = input.candidate;
  const where = { sweepId: candidate.sweepId, accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName, endpointArn: candidate.endpointArn };
  const [log, audit] = [deps.log.child(where), auditWriter(deps)];

  const refuse = async (reason: string, message: string, tagsBefore?: TagMap): Promise<never> => {
    await appendAuditEvent(audit, { ...where, type: 'skipped', actor: input.requestedBy, reason: message, tagsBefore, details: { step: 'tag', check: reason } });
    log.warn('not tagged', { reason, detail: message });
    throw new PreconditionFailedError(`${candidate.endpointArn} not tagged: ${message}`, reason);
  };

  const key = manifestKey(candidate);
  const manifestUri = s3Uri(deps.archiveBucket, key);
  if (manifestUri.length > TAG_VALUE_MAX) return refuse('manifest-uri-too-long', `the manifest URI is longer than ${TAG_VALUE_MAX} characters`);
  if (!(await manifestExists(deps, key))) return refuse('manifest-missing', `no verified snapshot manifest at ${manifestUri}`);

  const sagemaker = deps.clients.target(SageMakerClient, tagTargetOf(candidate));
  try {
    const endpoint = await describeEndpointOrUndefined(sagemaker, candidate.endpointName);
    if (!endpoint) return await refuse('endpoint-gone', 'the endpoint no longer exists');
    if (endpoint.EndpointArn && endpoint.EndpointArn !== candidate.endpointArn) return await refuse('endpoint-recreated', `the endpoint now has ARN ${endpoint.EndpointArn}`);

    const before = await readEndpointTags(sagemaker, candidate.endpointArn);
    const now = deps.clock.now();
    const exemption = judgeExemption(before, now);
    const shield = protectedByTags(before);
    if (shield) return await refuse('protected', `${shield}; zombie-sweep never tags a protected endpoint`, before);
    if (exemption.exempt) return await refuse('exempt', `the owner exempted it: ${exemption.reason}`, before);

    const desired = confirmationTags(candidate, manifestUri, input.requestedBy, now);
    const result: TagResult = { status: 'tagged', endpointArn: candidate.endpointArn, candidate: { ...candidate, manifestUri } };
    // The confirmation date is the only value that changes on a re-run the next day; it does not make the tags different.
    const alreadyTagged = Object.entries(desired).every(([k, v]) => k === TAG.confirmedDate || before[k] === v) && before[TAG.confirmedDate] !== undefined;

    const plan = await childrenToMark(sagemaker, endpoint, candidate.endpointName, input.deletion);
    const beforeWrite = tagChangeGuard(audit, { ...where, actor: input.requestedBy, tagsBefore: before }, { step: 'tag', resources: [...plan.children.map((c) => c.arn), candidate.endpointArn], set: desired });
    const changed: MarkedChild[] = [];
    let children: MarkedChild[];
    try {
      children = await markChildren(sagemaker, plan.children, candidate.sweepId, changed, beforeWrite);
      if (!alreadyTagged) await beforeWrite().then(() => sagemaker.send(new AddTagsCommand({ ResourceArn: candidate.endpointArn, Tags: tagMapToList(desired) })));
    } catch (error) {
      // The endpoint is not confirmed (or was already, by an earlier run, when nothing above is un-done).
      if (!alreadyTagged) await unmarkChildren(sagemaker, changed, log);
      throw error;
    }
    const childDetails = { children: childSummary(children), ...(plan.notMarked.length > 0 ? { notMarked: plan.notMarked } : {}) };

    if (alreadyTagged) {
      // A run that tagged and then died before its audit write left no event: write it now. Children marked only now are news too.
      if (changed.length > 0 || !(await hasAuditEvent(deps, candidate, 'tagged'))) await auditAlreadyTagged(audit, { ...where, actor: input.requestedBy }, before, { manifestUri, ...childDetails });
      log.info('already tagged', { childrenMarked: changed.length });
      return { ...result, status: 'already-tagged' };
    }

    await appendAuditEvent(audit, {
      ...where,
      type: 'tagged',
      actor: input.requestedBy,
      tagsBefore: before,
      tagsAfter: { ...before, ...desired },
      details: { manifestUri, monthlyCostUsd: candidate.monthlyCostUsd, idleSince: candidate.idleSince, ...childDetails },
    });
    log.info('tagged zombie=confirmed', { manifestUri, children: children.length });
    return result;
  } catch (error) {
    if (error instanceof PreconditionFailedError) throw error;
    throw retryableOr(error);
  }
}
