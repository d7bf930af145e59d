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
  endpointWhere,
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
  type EndpointWhere,
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
async function childrenToMark(
  sagemaker: SageMakerClient,
  endpoint: DescribeEndpointCommandOutput,
  endpointName: string,
  deletion: TagInputParsed['deletion'],
): Promise<ChildPlan> {
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
async function markChildren(
  sagemaker: SageMakerClient,
  children: readonly ChildResource[],
  sweepId: string,
  changed: MarkedChild[],
  beforeWrite: () => Promise<void>,
): Promise<MarkedChild[]> {
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
      log.warn('could not un-mark a child resource; it carries zombie=confirmed without a confirmed endpoint', {
        arn: child.arn,
        error: `${errorName(error)}: ${errorMessage(error)}`,
      });
    }
  }
}

const childSummary = (children: readonly MarkedChild[]) => children.map(({ kind, name, arn, status }) => ({ kind, name, arn, status }));

async function auditAlreadyTagged(
  audit: ReturnType<typeof auditWriter>,
  who: Omit<NewAuditEvent, 'type'>,
  tags: TagMap,
  details: Record<string, unknown>,
): Promise<void> {
  await appendAuditEvent(audit, {
    ...who,
    type: 'tagged',
    tagsBefore: tags,
    tagsAfter: tags,
    details: { ...details, note: 'endpoint tags were already in place from an earlier attempt' },
  });
}

/** One tag run of one endpoint: what every stage shares. */
interface TagRun {
  deps: CleanupDeps;
  input: z.output<typeof TagInputSchema>;
  where: EndpointWhere;
  log: Log;
  audit: ReturnType<typeof auditWriter>;
  sagemaker: SageMakerClient;
}

export async function tagEndpoint(deps: CleanupDeps, rawInput: unknown): Promise<TagResult> {
  const input = parseOrThrow(TagInputSchema, rawInput, 'tag input');
  const candidate = input.candidate;
  const where = endpointWhere(candidate);
  const run: TagRun = {
    deps,
    input,
    where,
    log: deps.log.child(where),
    audit: auditWriter(deps),
    sagemaker: deps.clients.target(SageMakerClient, tagTargetOf(candidate)),
  };
  const key = manifestKey(candidate);
  const manifestUri = s3Uri(deps.archiveBucket, key);
  if (manifestUri.length > TAG_VALUE_MAX) return refuse(run, 'manifest-uri-too-long', `the manifest URI is longer than ${TAG_VALUE_MAX} characters`);
  if (!(await manifestExists(deps, key))) return refuse(run, 'manifest-missing', `no verified snapshot manifest at ${manifestUri}`);
  try {
    const { endpoint, before } = await taggableEndpoint(run);
    const desired = confirmationTags(candidate, manifestUri, input.requestedBy, deps.clock.now());
    const result: TagResult = { status: 'tagged', endpointArn: candidate.endpointArn, candidate: { ...candidate, manifestUri } };
    // The confirmation date is the only value that changes on a re-run the next day; it does not make the tags different.
    const alreadyTagged = Object.entries(desired).every(([k, v]) => k === TAG.confirmedDate || before[k] === v) && before[TAG.confirmedDate] !== undefined;
    const { children, changed, notMarked } = await writeConfirmation(run, endpoint, before, desired, alreadyTagged);
    const details = { manifestUri, children: childSummary(children), ...(notMarked.length > 0 ? { notMarked } : {}) };
    if (alreadyTagged) {
      // A run that tagged and then died before its audit write left no event: write it now. Children marked only now are news too.
      if (changed.length > 0 || !(await hasAuditEvent(deps, candidate, 'tagged')))
        await auditAlreadyTagged(run.audit, { ...where, actor: input.requestedBy }, before, details);
      run.log.info('already tagged', { childrenMarked: changed.length });
      return { ...result, status: 'already-tagged' };
    }
    await appendAuditEvent(run.audit, {
      ...where,
      type: 'tagged',
      actor: input.requestedBy,
      tagsBefore: before,
      tagsAfter: { ...before, ...desired },
      details: { ...details, monthlyCostUsd: candidate.monthlyCostUsd, idleSince: candidate.idleSince },
    });
    run.log.info('tagged zombie=confirmed', { manifestUri, children: children.length });
    return result;
  } catch (error) {
    if (error instanceof PreconditionFailedError) throw error;
    throw retryableOr(error);
  }
}

/** Records why the endpoint is not tagged, then refuses with PreconditionFailedError. */
async function refuse(run: TagRun, reason: string, message: string, tagsBefore?: TagMap): Promise<never> {
  await appendAuditEvent(run.audit, {
    ...run.where,
    type: 'skipped',
    actor: run.input.requestedBy,
    reason: message,
    tagsBefore,
    details: { step: 'tag', check: reason },
  });
  run.log.warn('not tagged', { reason, detail: message });
  throw new PreconditionFailedError(`${run.where.endpointArn} not tagged: ${message}`, reason);
}

/** The endpoint as it is now and its tags, if it is still the one detected and neither protected nor exempt. */
async function taggableEndpoint(run: TagRun): Promise<{ endpoint: DescribeEndpointCommandOutput; before: TagMap }> {
  const { candidate } = run.input;
  const endpoint = await describeEndpointOrUndefined(run.sagemaker, candidate.endpointName);
  if (!endpoint) return refuse(run, 'endpoint-gone', 'the endpoint no longer exists');
  if (endpoint.EndpointArn && endpoint.EndpointArn !== candidate.endpointArn)
    return refuse(run, 'endpoint-recreated', `the endpoint now has ARN ${endpoint.EndpointArn}`);
  const before = await readEndpointTags(run.sagemaker, candidate.endpointArn);
  const shield = protectedByTags(before);
  if (shield) return refuse(run, 'protected', `${shield}; zombie-sweep never tags a protected endpoint`, before);
  const exemption = judgeExemption(before, run.deps.clock.now());
  if (exemption.exempt) return refuse(run, 'exempt', `the owner exempted it: ${exemption.reason}`, before);
  return { endpoint, before };
}

/**
 * Marks the children, then (unless an earlier run did) the endpoint, each tag change preceded by its
 * `change-tags` intent. A failure un-marks the children this run changed: no child of an unconfirmed
 * endpoint stays deletable.
 */
async function writeConfirmation(
  run: TagRun,
  endpoint: DescribeEndpointCommandOutput,
  before: TagMap,
  desired: TagMap,
  alreadyTagged: boolean,
): Promise<{ children: MarkedChild[]; changed: MarkedChild[]; notMarked: Awaited<ReturnType<typeof childrenToMark>>['notMarked'] }> {
  const { candidate } = run.input;
  const plan = await childrenToMark(run.sagemaker, endpoint, candidate.endpointName, run.input.deletion);
  const resources = [...plan.children.map((c) => c.arn), candidate.endpointArn];
  const beforeWrite = tagChangeGuard(run.audit, { ...run.where, actor: run.input.requestedBy, tagsBefore: before }, { step: 'tag', resources, set: desired });
  const changed: MarkedChild[] = [];
  try {
    const children = await markChildren(run.sagemaker, plan.children, candidate.sweepId, changed, beforeWrite);
    if (!alreadyTagged)
      await beforeWrite().then(() => run.sagemaker.send(new AddTagsCommand({ ResourceArn: candidate.endpointArn, Tags: tagMapToList(desired) })));
    return { children, changed, notMarked: plan.notMarked };
  } catch (error) {
    // The endpoint is not confirmed (or was already, by an earlier run, when nothing above is un-done).
    if (!alreadyTagged) await unmarkChildren(run.sagemaker, changed, run.log);
    throw error;
  }
}
