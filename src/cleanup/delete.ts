import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  paginateDescribeScalableTargets,
  type ScalableDimension,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteInferenceComponentCommand,
  DeleteModelCommand,
  SageMakerClient,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { appendAuditEvent, type AuditWriter, type DeletedDetails, type IntentAction, type RemovedResources, type SkippedDetails } from '../audit/events.ts';
import { chunk, mapLimit } from '../core/concurrency.ts';
import { errorMessage, errorName } from '../core/errors.ts';
import { s3Uri } from '../core/layout.ts';
import type { Log } from '../core/log.ts';
import { DeletionSettingsSchema, parseOrThrow } from '../core/schemas.ts';
import { TAG, ZOMBIE_VALUE, type TagMap } from '../core/tags.ts';
import { isAccessDenied, isSageMakerNotFound } from '../core/aws-errors.ts';
import { ApprovalCandidateSchema, type ApprovalCandidate } from './approval/store.ts';
import {
  auditWriter,
  carriesDeletionMark,
  configAndModels,
  deleteTargetOf,
  describeEndpointOrUndefined,
  endpointWhere,
  hasAuditEvent,
  inUseByOthers,
  listInferenceComponents,
  manifestKey,
  readEndpointTags,
  readTagsOrUndefined,
  retryableOr,
  typedEventsOf,
  type ChildResource,
  type CleanupDeps,
} from './endpoint.ts';
import { reverify, type Reverification } from './reverify.ts';

/**
 * Delete one approved endpoint, after re-verifying everything (src/cleanup/reverify.ts). Inference
 * components go first (with their scaling targets; SageMaker refuses DeleteEndpoint while an endpoint
 * has components), then the variants' scaling targets, then the endpoint; configs and models stay
 * unless DeletionSettings say otherwise. Already gone = done.
 *
 * The endpoint's own tags are the single source of truth: they are re-read just before the first
 * component is deleted and again before DeleteEndpoint. Each component (and config or model) must
 * also carry this sweep's `zombie=confirmed` mark itself, which is what the member role's IAM policy
 * requires to delete it: one that does not keeps the whole endpoint, before anything is deleted.
 *
 * `deleting` means "call again": the workflow's DeleteApproved loop (statemachine/sweep.asl.json)
 * re-invokes this step after a Wait while it answers `deleting`, a bounded number of times.
 * Every irreversible call is audited as soon as AWS accepts it, before any wait: `components-deleted`
 * after DeleteInferenceComponent, `deleted` after DeleteEndpoint. That `deleted` event is how a retry
 * that finds the endpoint gone knows this sweep deleted it (and then finishes config/model removal).
 *
 * Residual window: an owner who vetoes after the components are gone and before DeleteEndpoint keeps
 * the endpoint without its components and scaling targets (deregistering a target also deletes its
 * policies and scheduled actions). The `skipped` event lists them; nothing re-creates them on the kept
 * endpoint (`zombie-sweep restore` refuses while the endpoint exists): the manifest describes them.
 */

export const DeleteInputSchema = z.object({
  candidate: ApprovalCandidateSchema,
  deletion: DeletionSettingsSchema.default({ deleteEndpointConfig: false, deleteModels: false }),
  /** Which call of the workflow's DeleteApproved loop this is; on the last one, components still deleting end in a skip. */
  recheck: z.object({ round: z.number().int().min(0), maxRounds: z.number().int().min(0) }).optional(),
});
export type DeleteInput = z.input<typeof DeleteInputSchema>;

export type DeleteStatus = 'deleted' | 'deleting' | 'skipped' | 'already-gone';

export interface DeleteResult {
  endpointArn: string;
  endpointName: string;
  accountId: string;
  region: string;
  status: DeleteStatus;
  /** Why it was skipped, or what is still in progress. */
  reason?: string;
  /** The failed re-verification check, for skips. */
  check?: string;
}

/**
 * Delete never sleeps: it looks once whether what it asked SageMaker to delete is gone and otherwise
 * answers `deleting`; the workflow's Wait state paces the next look (a Lambda billed while it
 * sleeps cost more than the rest of a cleanup).
 */
export type DeleteDeps = CleanupDeps;

export async function deleteEndpoint(deps: DeleteDeps, rawInput: unknown): Promise<DeleteResult> {
  const run = new DeleteRun(deps, parseOrThrow(DeleteInputSchema, rawInput, 'delete input'));
  try {
    const check = await reverify(deps, run.candidate);
    switch (check.outcome) {
      case 'failed':
        return await run.skip(check.check, check.reason, 'zombie-sweep', check.tags);
      case 'gone':
        return await resumeGone(run);
      case 'deleting': {
        const accepted = { actor: check.approvedBy, tagsBefore: check.tags, configName: check.endpointConfigName };
        return await awaitEndpointGone(run, accepted, { manifestUri: run.manifestUri, approvedBy: check.approvedBy });
      }
      case 'verified': {
        const called = await deleteVerified(run, check);
        if ('status' in called) return called;
        return await awaitEndpointGone(run, { actor: check.approvedBy, tagsBefore: check.tags, configName: called.configName }, called.details);
      }
    }
  } catch (error) {
    throw retryableOr(error);
  }
}

/** Who DeleteEndpoint was called for, and what the removal after it needs. */
interface AcceptedDeletion {
  actor: string;
  tagsBefore?: TagMap;
  configName?: string;
}

/** One call of the delete step: its input, and the audit and result vocabulary every phase shares. */
class DeleteRun {
  readonly candidate: ApprovalCandidate;
  readonly deletion: z.output<typeof DeletionSettingsSchema>;
  readonly recheck: z.output<typeof DeleteInputSchema>['recheck'];
  readonly log: Log;
  readonly audit: AuditWriter;
  readonly manifestUri: string;
  readonly where: Pick<DeleteResult, 'endpointArn' | 'endpointName' | 'accountId' | 'region'> & { sweepId: string };

  constructor(
    readonly deps: DeleteDeps,
    input: z.output<typeof DeleteInputSchema>,
  ) {
    const { candidate } = input;
    this.candidate = candidate;
    this.deletion = input.deletion;
    this.recheck = input.recheck;
    this.log = deps.log.child({ sweepId: candidate.sweepId, accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName });
    this.audit = auditWriter(deps);
    this.where = endpointWhere(candidate);
    this.manifestUri = s3Uri(deps.archiveBucket, manifestKey(candidate));
  }

  /** On the last call of the workflow's loop, components still deleting end in a skip. */
  get lastRound(): boolean {
    return this.recheck !== undefined && this.recheck.round >= this.recheck.maxRounds;
  }

  /** The member account's clients, through the delete capability. */
  sagemaker(): SageMakerClient {
    return this.deps.clients.target(SageMakerClient, deleteTargetOf(this.candidate));
  }

  scaling(): ApplicationAutoScalingClient {
    return this.deps.clients.target(ApplicationAutoScalingClient, deleteTargetOf(this.candidate));
  }

  result(status: DeleteStatus, reason?: string, check?: string): DeleteResult {
    return { ...this.where, status, ...(reason ? { reason } : {}), ...(check ? { check } : {}) };
  }

  async skip(check: string, reason: string, actor: string, tagsBefore?: TagMap, undone?: Omit<SkippedDetails, 'step' | 'check'>): Promise<DeleteResult> {
    const details: SkippedDetails = { step: 'delete', check, ...undone };
    await appendAuditEvent(this.audit, { ...this.where, type: 'skipped', actor, reason, tagsBefore, details });
    this.log.warn('deletion skipped', { check, reason });
    return this.result('skipped', reason, check);
  }

  /** Write-ahead: durably on record before the call it announces, so no deletion can happen unaudited. */
  async intend(action: IntentAction, resources: string[], actor: string, tagsBefore?: TagMap): Promise<void> {
    if (resources.length === 0) return;
    const reason = `about to ${action.replace(/-/g, ' ')}: ${resources.join(', ')}`;
    await appendAuditEvent(this.audit, { ...this.where, type: 'intent', actor, tagsBefore, reason, details: { action, step: 'delete', resources } });
  }

  async recordDeleted(accepted: AcceptedDeletion, details: DeletedDetails): Promise<void> {
    await appendAuditEvent(this.audit, { ...this.where, type: 'deleted', actor: accepted.actor, tagsBefore: accepted.tagsBefore, tagsAfter: {}, details });
  }
}

/**
 * The endpoint is gone. Our `deleted` event is written as soon as DeleteEndpoint is accepted: with it,
 * "gone" means we deleted it. Without it, an intent to delete the endpoint means an earlier attempt
 * called DeleteEndpoint and died before recording the outcome: the deletion is still this sweep's.
 */
async function resumeGone(run: DeleteRun): Promise<DeleteResult> {
  const ours = await typedEventsOf(run.deps, run.candidate, 'deleted');
  const accepted = ours.find((e) => e.typed?.status === 'accepted') ?? ours[0];
  if (accepted) {
    return await complete(
      run,
      { actor: accepted.actor, tagsBefore: accepted.tagsBefore, configName: accepted.typed?.endpointConfigName },
      'deleted by an earlier attempt',
    );
  }
  const intended = (await typedEventsOf(run.deps, run.candidate, 'intent')).find((e) => e.typed?.action === 'delete-endpoint');
  if (intended?.typed) {
    const recovered = { actor: intended.actor, tagsBefore: intended.tagsBefore, configName: intended.typed.endpointConfigName };
    await run.recordDeleted(recovered, {
      ...intended.typed,
      action: undefined,
      resources: undefined,
      status: 'accepted',
      recoveredFromIntent: intended.eventId,
    });
    return await complete(run, recovered, 'deleted by an earlier attempt');
  }
  if (!(await hasAuditEvent(run.deps, run.candidate, 'skipped'))) {
    const details: SkippedDetails = { step: 'delete', check: 'exists' };
    await appendAuditEvent(run.audit, {
      ...run.where,
      type: 'skipped',
      actor: 'zombie-sweep',
      reason: 'the endpoint no longer exists (deleted outside this step)',
      details,
    });
  }
  return run.result('already-gone', 'the endpoint no longer exists');
}

/**
 * Recorded the moment DeleteEndpoint is accepted (or found under way), before waiting: see resumeGone.
 * Then one look whether the endpoint is gone; the workflow's Wait paces the next.
 */
async function awaitEndpointGone(run: DeleteRun, accepted: AcceptedDeletion, details: DeletedDetails): Promise<DeleteResult> {
  if (!(await hasAuditEvent(run.deps, run.candidate, 'deleted'))) {
    await run.recordDeleted(accepted, { ...details, endpointConfigName: accepted.configName, status: 'accepted' });
  }
  if ((await describeEndpointOrUndefined(run.sagemaker(), run.candidate.endpointName)) !== undefined) {
    run.log.info('endpoint deletion in progress');
    return run.result('deleting', 'DeleteEndpoint accepted; the endpoint is still being deleted');
  }
  return await complete(run, accepted);
}

/** After our DeleteEndpoint and once the endpoint is gone: the optional config/model removal, audited once. */
async function complete(run: DeleteRun, accepted: AcceptedDeletion, reason?: string): Promise<DeleteResult> {
  const removalWanted = run.deletion.deleteEndpointConfig || run.deletion.deleteModels;
  if (removalWanted && !(await typedEventsOf(run.deps, run.candidate, 'deleted')).some((e) => e.typed?.removed !== undefined)) {
    const intend = (action: IntentAction, names: string[]) => run.intend(action, names, accepted.actor);
    const removed = await removeConfigAndModels(run.sagemaker(), run.candidate, accepted.configName, run.deletion, intend);
    await run.recordDeleted(accepted, { step: 'remove-config-and-models', manifestUri: run.manifestUri, status: 'deleted', removed });
  }
  run.log.info('endpoint deleted');
  return run.result('deleted', reason);
}

type Verified = Extract<Reverification, { outcome: 'verified' }>;

/**
 * A verified endpoint: its inference components go first (with their scaling targets), then, once
 * they are gone and the endpoint still carries the mark, the variants' scaling targets and the
 * endpoint itself. Returns the result when the run ends here, else what the `deleted` event records.
 */
async function deleteVerified(run: DeleteRun, check: Verified): Promise<DeleteResult | { details: DeletedDetails; configName?: string }> {
  const components = await listInferenceComponents(run.sagemaker(), run.candidate.endpointName);
  const cleared = await clearComponents(run, check, components);
  if ('status' in cleared) return cleared;
  const { progress, icTargets, announceTargets } = cleared;
  // Waiting for inference components can take minutes: an owner's veto in that time still counts.
  const latest = await readEndpointTags(run.sagemaker(), run.candidate.endpointArn);
  if (!carriesDeletionMark(latest, run.candidate.sweepId)) {
    return await keep(run, progress, 'tags', `the ${TAG.zombie} or ${TAG.sweepId} tag changed during deletion`, latest, icTargets);
  }
  const variantIds = variantNames(check.endpoint).map((v) => `endpoint/${run.candidate.endpointName}/variant/${v}`);
  const variantTargets = await deregisterScalableTargets(run.scaling(), variantIds, announceTargets);
  const configName = check.endpoint.EndpointConfigName;
  const details: DeletedDetails = {
    manifestUri: run.manifestUri,
    approvedBy: check.approvedBy,
    inferenceComponents: components.map((ic) => ic.name),
    deregisteredScalableTargets: [...icTargets, ...variantTargets],
  };
  const reason = `about to delete endpoint ${run.candidate.endpointName}`;
  const intent = { ...details, action: 'delete-endpoint', step: 'delete', resources: [run.candidate.endpointName], endpointConfigName: configName };
  await appendAuditEvent(run.audit, { ...run.where, type: 'intent', actor: check.approvedBy, tagsBefore: latest, reason, details: intent });
  try {
    // The member role may call this only while the endpoint is tagged zombie=confirmed: a veto at the last instant is refused here.
    await run.sagemaker().send(new DeleteEndpointCommand({ EndpointName: run.candidate.endpointName }));
  } catch (error) {
    if (isSageMakerNotFound(error)) return run.result('already-gone', 'the endpoint disappeared during deletion');
    if (isAccessDenied(error)) {
      const why = `DeleteEndpoint was refused (${errorMessage(error)}); the zombie tag probably changed at the last moment`;
      return await keep(run, progress, 'delete-permission', why, check.tags, [...icTargets, ...variantTargets]);
    }
    throw error;
  }
  return { details, configName };
}

function variantNames(endpoint: DescribeEndpointCommandOutput): string[] {
  return [...(endpoint.ProductionVariants ?? []), ...(endpoint.ShadowProductionVariants ?? [])].flatMap((v) => (v.VariantName ? [v.VariantName] : []));
}

/** Components this run found already deleting, and those it started deleting. */
interface ComponentProgress {
  underway: string[];
  started: string[];
}

/** What a kept endpoint has lost so far: the skip event's details (nothing re-registers or re-creates them). */
function undone(run: DeleteRun, progress: ComponentProgress, targets: string[]) {
  return { manifestUri: run.manifestUri, inferenceComponentsDeleted: [...progress.underway, ...progress.started], deregisteredScalableTargets: targets };
}

/** Skip after something was already undone: the skip names what the kept endpoint lost. */
async function keep(run: DeleteRun, progress: ComponentProgress, check: string, why: string, tags: TagMap, targets: string[]): Promise<DeleteResult> {
  const lost = undone(run, progress, targets);
  // A later round of the workflow's loop sees no components: an earlier round deleted them.
  const earlier = lost.inferenceComponentsDeleted.length === 0 && (await hasAuditEvent(run.deps, run.candidate, 'components-deleted'));
  return run.skip(check, `${why}; the endpoint is kept${lostSuffix(lost, earlier)}`, 'zombie-sweep', tags, {
    ...lost,
    ...(earlier ? { componentsDeletedEarlier: true } : {}),
  });
}

/**
 * Removes the endpoint's inference components and their scaling targets, after checking each carries
 * the mark and re-reading the endpoint's tags: the last look before the first irreversible call.
 * Returns the result when the run ends here (a skip, or `deleting` while components are still going).
 */
async function clearComponents(run: DeleteRun, check: Verified, components: (ChildResource & { status: string })[]) {
  const { candidate } = run;
  const sagemaker = run.sagemaker();
  const unmarked = await unmarkedResources(sagemaker, components, candidate.sweepId);
  if (unmarked.length > 0) {
    return await run.skip(
      'component-tags',
      `inference component(s) ${unmarked.join(', ')} do not carry ${TAG.zombie}=${ZOMBIE_VALUE.confirmed} of sweep ${candidate.sweepId}; nothing was deleted`,
      'zombie-sweep',
      check.tags,
    );
  }
  // Re-verification read the tags before the metrics and the component tags: the last look before the first irreversible call.
  const current = await readEndpointTags(sagemaker, candidate.endpointArn);
  if (!carriesDeletionMark(current, candidate.sweepId)) {
    return await run.skip('tags', `the ${TAG.zombie} or ${TAG.sweepId} tag changed during re-verification; nothing was deleted`, 'zombie-sweep', current);
  }
  const announceTargets = (targets: string[]) => run.intend('deregister-scalable-targets', targets, check.approvedBy, current);
  const icTargets = await deregisterScalableTargets(
    run.scaling(),
    components.map((ic) => `inference-component/${ic.name}`),
    announceTargets,
  );
  const progress: ComponentProgress = { underway: components.filter((ic) => ic.status === 'Deleting').map((ic) => ic.name), started: [] };
  await run.intend(
    'delete-inference-components',
    components.filter((ic) => ic.status !== 'Deleting').map((ic) => ic.name),
    check.approvedBy,
    current,
  );
  const refused = await deleteComponents(sagemaker, components, progress);
  if (refused) return await keep(run, progress, 'delete-permission', refused, current, icTargets);
  // Audited before the wait: a component deletion must be on record even if the endpoint is kept or this run dies.
  if (progress.started.length > 0 || (progress.underway.length > 0 && !(await hasAuditEvent(run.deps, candidate, 'components-deleted')))) {
    await appendAuditEvent(run.audit, {
      ...run.where,
      type: 'components-deleted',
      actor: check.approvedBy,
      tagsBefore: current,
      details: { step: 'delete', ...undone(run, progress, icTargets) },
    });
  }
  if (components.length > 0 && (await listInferenceComponents(sagemaker, candidate.endpointName)).length > 0) {
    if (run.lastRound) {
      const why = `inference components were still being deleted after ${run.recheck!.round} rounds of waiting; DeleteEndpoint was not called`;
      return await keep(run, progress, 'components-deleting', why, current, icTargets);
    }
    run.log.info('inference components still deleting');
    return run.result('deleting', 'inference components are still being deleted; the endpoint is deleted when the workflow calls Delete again');
  }
  return { progress, icTargets, announceTargets };
}

/** Starts deleting every component not already deleting; returns why when IAM refused one (then the endpoint is kept). */
async function deleteComponents(
  sagemaker: SageMakerClient,
  components: readonly (ChildResource & { status: string })[],
  progress: ComponentProgress,
): Promise<string | undefined> {
  for (const ic of components) {
    if (ic.status === 'Deleting') continue;
    try {
      await sagemaker.send(new DeleteInferenceComponentCommand({ InferenceComponentName: ic.name }));
      progress.started.push(ic.name);
    } catch (error) {
      if (isSageMakerNotFound(error)) continue;
      // The role may delete a component only while it carries zombie=confirmed: its owner un-marked it just now.
      if (isAccessDenied(error)) return `DeleteInferenceComponent ${ic.name} was refused (${errorMessage(error)})`;
      throw error;
    }
  }
  return undefined;
}

/** The words a skip adds when something was already undone on the endpoint it keeps (empty when nothing was). */
function lostSuffix(lost: { inferenceComponentsDeleted: string[]; deregisteredScalableTargets: string[] }, componentsDeletedEarlier: boolean): string {
  const parts = [
    ...(lost.inferenceComponentsDeleted.length > 0 ? [`inference component(s) ${lost.inferenceComponentsDeleted.join(', ')}`] : []),
    ...(componentsDeletedEarlier ? ['the inference components an earlier attempt deleted (see its components-deleted event)'] : []),
    ...(lost.deregisteredScalableTargets.length > 0
      ? [`auto-scaling target(s) ${lost.deregisteredScalableTargets.join(', ')} (with their policies and scheduled actions)`]
      : []),
  ];
  if (parts.length === 0) return '; nothing was deleted';
  return ` without ${parts.join(' and ')}, already removed; nothing re-creates them on the kept endpoint (zombie-sweep restore refuses while it exists): the snapshot manifest describes them`;
}

/** Names of the resources that lack this sweep's deletion mark (resources gone meanwhile count as marked: nothing to delete). */
async function unmarkedResources(sagemaker: SageMakerClient, resources: readonly { name: string; arn: string }[], sweepId: string): Promise<string[]> {
  const tags = await mapLimit(resources, 4, (r) => readTagsOrUndefined(sagemaker, r.arn));
  return resources.filter((_, i) => tags[i] !== undefined && !carriesDeletionMark(tags[i], sweepId)).map((r) => r.name);
}

/**
 * Deregisters every Application Auto Scaling target of these resources (all dimensions), after
 * `announce` has recorded the ones found (write-ahead). Returns `resourceId dimension` strings.
 */
async function deregisterScalableTargets(
  scaling: ApplicationAutoScalingClient,
  resourceIds: readonly string[],
  announce: (targets: string[]) => Promise<void>,
): Promise<string[]> {
  const found: { resourceId: string; dimension: ScalableDimension }[] = [];
  // DescribeScalableTargets filters by at most 50 resource ids per call.
  for (const ids of chunk(resourceIds, 50)) {
    for await (const page of paginateDescribeScalableTargets({ client: scaling }, { ServiceNamespace: 'sagemaker', ResourceIds: ids })) {
      for (const target of page.ScalableTargets ?? [])
        if (target.ResourceId && target.ScalableDimension) found.push({ resourceId: target.ResourceId, dimension: target.ScalableDimension });
    }
  }
  const labels = found.map((t) => `${t.resourceId} ${t.dimension}`);
  await announce(labels);
  for (const target of found) {
    try {
      await scaling.send(
        new DeregisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: target.resourceId, ScalableDimension: target.dimension }),
      );
    } catch (error) {
      if (errorName(error) !== 'ObjectNotFoundException') throw error;
    }
  }
  return labels;
}

/**
 * Optional removal after the endpoint is gone. Configs and models are kept by default: they cost
 * nothing and make restore trivial; the manifest holds their full descriptions either way. Even when
 * removal is asked for, a config or model is kept when another endpoint still uses it, or when it does
 * not carry this sweep's `zombie=confirmed` mark (the tag step marks it only when removal was asked for
 * at tagging time and nothing else used it; without the mark the member role may not delete it).
 */
async function removeConfigAndModels(
  sagemaker: SageMakerClient,
  candidate: { endpointName: string; sweepId: string },
  configName: string | undefined,
  deletion: z.output<typeof DeletionSettingsSchema>,
  intend: (action: 'delete-endpoint-config' | 'delete-models', names: string[]) => Promise<void>,
): Promise<RemovedResources> {
  const removed: RemovedResources = { models: [], kept: [] };
  if (!configName) return removed;
  const { config, models } = await configAndModels(sagemaker, configName);
  const inUse = await inUseByOthers(sagemaker, candidate.endpointName);
  const keep = (what: string, why: string) => {
    removed.kept.push(`${what} (${why})`);
    return false;
  };
  const removeIfMarked = async (what: string, arn: string, shared: boolean, call: () => Promise<unknown>): Promise<boolean> => {
    if (shared) return keep(what, 'used by another endpoint');
    const tags = await readTagsOrUndefined(sagemaker, arn);
    if (!tags) return false;
    if (!carriesDeletionMark(tags, candidate.sweepId)) return keep(what, `not tagged ${TAG.zombie}=${ZOMBIE_VALUE.confirmed} by sweep ${candidate.sweepId}`);
    const [kind, name] = what.startsWith('model ')
      ? (['delete-models', what.slice(6)] as const)
      : (['delete-endpoint-config', what.replace(/^endpoint config /, '')] as const);
    await intend(kind, [name]);
    try {
      await call();
      return true;
    } catch (error) {
      if (isSageMakerNotFound(error)) return false;
      if (isAccessDenied(error)) return keep(what, `deletion refused: ${errorMessage(error)}`);
      throw error;
    }
  };
  if (deletion.deleteModels) {
    for (const model of models) {
      if (
        await removeIfMarked(`model ${model.name}`, model.arn, inUse.models.has(model.name), () =>
          sagemaker.send(new DeleteModelCommand({ ModelName: model.name })),
        )
      )
        removed.models.push(model.name);
    }
  }
  if (deletion.deleteEndpointConfig && config) {
    if (
      await removeIfMarked(`endpoint config ${config.name}`, config.arn, inUse.configs.has(config.name), () =>
        sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: config.name })),
      )
    )
      removed.endpointConfig = config.name;
  }
  return removed;
}
