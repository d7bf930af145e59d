import { ApplicationAutoScalingClient, DeregisterScalableTargetCommand, paginateDescribeScalableTargets, type ScalableDimension } from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteInferenceComponentCommand,
  DeleteModelCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { appendAuditEvent, type IntentAction } from '../audit/events.ts';
import { chunk, mapLimit } from '../core/concurrency.ts';
import { errorMessage, errorName } from '../core/errors.ts';
import { s3Uri } from '../core/layout.ts';
import { DeletionSettingsSchema, parseOrThrow } from '../core/schemas.ts';
import { TAG, ZOMBIE_VALUE, type TagMap } from '../core/tags.ts';
import { ApprovalCandidateSchema } from './approval/store.ts';
import {
  auditEventsOf,
  auditWriter,
  carriesDeletionMark,
  configAndModels,
  describeEndpointOrUndefined,
  hasAuditEvent,
  inUseByOthers,
  isAccessDenied,
  isSageMakerNotFound,
  listInferenceComponents,
  manifestKey,
  readEndpointTags,
  readTagsOrUndefined,
  retryableOr,
  reverify,
  deleteTargetOf,
  type CleanupDeps,
} from './reverify.ts';

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
  const { candidate, deletion, recheck } = parseOrThrow(DeleteInputSchema, rawInput, 'delete input');
  const lastRound = recheck !== undefined && recheck.round >= recheck.maxRounds;
  const log = deps.log.child({ sweepId: candidate.sweepId, accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName });
  const audit = auditWriter(deps);
  const where = { sweepId: candidate.sweepId, accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName, endpointArn: candidate.endpointArn };
  const manifestUri = s3Uri(deps.archiveBucket, manifestKey(candidate));
  const result = (status: DeleteStatus, reason?: string, check?: string): DeleteResult => ({ ...where, status, ...(reason ? { reason } : {}), ...(check ? { check } : {}) });
  const skip = async (check: string, reason: string, actor: string, tagsBefore?: TagMap, undone?: Record<string, unknown>): Promise<DeleteResult> => {
    await appendAuditEvent(audit, { ...where, type: 'skipped', actor, reason, tagsBefore, details: { step: 'delete', check, ...undone } });
    log.warn('deletion skipped', { check, reason });
    return result('skipped', reason, check);
  };
  /** Write-ahead: durably on record before the call it announces, so no deletion can happen unaudited. */
  const intend = async (action: IntentAction, resources: string[], actor: string, tagsBefore?: TagMap): Promise<void> => {
    if (resources.length === 0) return;
    await appendAuditEvent(audit, { ...where, type: 'intent', actor, tagsBefore, reason: `about to ${action.replace(/-/g, ' ')}: ${resources.join(', ')}`, details: { action, step: 'delete', resources } });
  };
  const removalWanted = deletion.deleteEndpointConfig || deletion.deleteModels;
  /** After our DeleteEndpoint and once the endpoint is gone: the optional config/model removal, audited once. */
  const complete = async (accepted: { actor: string; tagsBefore?: TagMap; configName?: string }, reason?: string): Promise<DeleteResult> => {
    if (removalWanted && !(await auditEventsOf(deps, candidate, 'deleted')).some((e) => e.details?.removed !== undefined)) {
      const sagemaker = deps.clients.target(SageMakerClient, deleteTargetOf(candidate));
      const removed = await removeConfigAndModels(sagemaker, candidate, accepted.configName, deletion, (action, names) => intend(action, names, accepted.actor));
      await appendAuditEvent(audit, { ...where, type: 'deleted', actor: accepted.actor, tagsBefore: accepted.tagsBefore, tagsAfter: {}, details: { step: 'remove-config-and-models', manifestUri, status: 'deleted', removed } });
    }
    log.info('endpoint deleted');
    return result('deleted', reason);
  };

  try {
    const check = await reverify(deps, candidate);
    if (check.outcome === 'failed') return await skip(check.check, check.reason, 'zombie-sweep', check.tags);
    if (check.outcome === 'gone') {
      // Our `deleted` event is written as soon as DeleteEndpoint is accepted: with it, "gone" means we deleted it.
      const ours = await auditEventsOf(deps, candidate, 'deleted');
      const accepted = ours.find((e) => e.details?.status === 'accepted') ?? ours[0];
      if (accepted) {
        const configName = typeof accepted.details?.endpointConfigName === 'string' ? accepted.details.endpointConfigName : undefined;
        return await complete({ actor: accepted.actor, tagsBefore: accepted.tagsBefore, configName }, 'deleted by an earlier attempt');
      }
      // An earlier attempt announced DeleteEndpoint and died before recording its outcome: the deletion is this sweep's.
      const intended = (await auditEventsOf(deps, candidate, 'intent')).find((e) => e.details?.action === 'delete-endpoint');
      if (intended) {
        const configName = typeof intended.details?.endpointConfigName === 'string' ? intended.details.endpointConfigName : undefined;
        await appendAuditEvent(audit, { ...where, type: 'deleted', actor: intended.actor, tagsBefore: intended.tagsBefore, tagsAfter: {}, details: { ...intended.details, action: undefined, resources: undefined, status: 'accepted', recoveredFromIntent: intended.eventId } });
        return await complete({ actor: intended.actor, tagsBefore: intended.tagsBefore, configName }, 'deleted by an earlier attempt');
      }
      if (!(await hasAuditEvent(deps, candidate, 'skipped'))) {
        await appendAuditEvent(audit, { ...where, type: 'skipped', actor: 'zombie-sweep', reason: 'the endpoint no longer exists (deleted outside this step)', details: { step: 'delete', check: 'exists' } });
      }
      return result('already-gone', 'the endpoint no longer exists');
    }

    const sagemaker = deps.clients.target(SageMakerClient, deleteTargetOf(candidate));
    const scaling = deps.clients.target(ApplicationAutoScalingClient, deleteTargetOf(candidate));
    const details: Record<string, unknown> = { manifestUri, approvedBy: check.approvedBy };
    let configName = check.outcome === 'deleting' ? check.endpointConfigName : undefined;

    if (check.outcome === 'verified') {
      configName = check.endpoint.EndpointConfigName;
      const variants = [...(check.endpoint.ProductionVariants ?? []), ...(check.endpoint.ShadowProductionVariants ?? [])].flatMap((v) => (v.VariantName ? [v.VariantName] : []));
      const components = await listInferenceComponents(sagemaker, candidate.endpointName);
      const unmarked = await unmarkedResources(sagemaker, components, candidate.sweepId);
      if (unmarked.length > 0) {
        return await skip('component-tags', `inference component(s) ${unmarked.join(', ')} do not carry ${TAG.zombie}=${ZOMBIE_VALUE.confirmed} of sweep ${candidate.sweepId}; nothing was deleted`, 'zombie-sweep', check.tags);
      }
      // Re-verification read the tags before the metrics and the component tags: the last look before the first irreversible call.
      const current = await readEndpointTags(sagemaker, candidate.endpointArn);
      if (!carriesDeletionMark(current, candidate.sweepId)) {
        return await skip('tags', `the ${TAG.zombie} or ${TAG.sweepId} tag changed during re-verification; nothing was deleted`, 'zombie-sweep', current);
      }
      const announceTargets = (targets: string[]) => intend('deregister-scalable-targets', targets, check.approvedBy, current);
      const icTargets = await deregisterScalableTargets(scaling, components.map((ic) => `inference-component/${ic.name}`), announceTargets);
      const underway = components.filter((ic) => ic.status === 'Deleting').map((ic) => ic.name);
      const started: string[] = [];
      /** What a kept endpoint has lost so far: the skip event's details (#4: nothing re-registers or re-creates them). */
      const undone = (targets: string[]) => ({ manifestUri, inferenceComponentsDeleted: [...underway, ...started], deregisteredScalableTargets: targets });
      const keep = async (check: string, why: string, tags: TagMap, targets: string[]) => {
        const lost = undone(targets);
        // A later round of the workflow's loop sees no components: an earlier round deleted them.
        const earlier = lost.inferenceComponentsDeleted.length === 0 && (await hasAuditEvent(deps, candidate, 'components-deleted'));
        return skip(check, `${why}; the endpoint is kept${lostSuffix(lost, earlier)}`, 'zombie-sweep', tags, { ...lost, ...(earlier ? { componentsDeletedEarlier: true } : {}) });
      };
      await intend('delete-inference-components', components.filter((ic) => ic.status !== 'Deleting').map((ic) => ic.name), check.approvedBy, current);
      for (const ic of components) {
        if (ic.status === 'Deleting') continue;
        try {
          await sagemaker.send(new DeleteInferenceComponentCommand({ InferenceComponentName: ic.name }));
          started.push(ic.name);
        } catch (error) {
          if (isSageMakerNotFound(error)) continue;
          // The role may delete a component only while it carries zombie=confirmed: its owner un-marked it just now.
          if (isAccessDenied(error)) {
            return await keep('delete-permission', `DeleteInferenceComponent ${ic.name} was refused (${errorMessage(error)})`, current, icTargets);
          }
          throw error;
        }
      }
      details.inferenceComponents = components.map((ic) => ic.name);
      // Audited before the wait: a component deletion must be on record even if the endpoint is kept or this run dies.
      if (started.length > 0 || (underway.length > 0 && !(await hasAuditEvent(deps, candidate, 'components-deleted')))) {
        await appendAuditEvent(audit, { ...where, type: 'components-deleted', actor: check.approvedBy, tagsBefore: current, details: { step: 'delete', ...undone(icTargets) } });
      }
      if (components.length > 0 && (await listInferenceComponents(sagemaker, candidate.endpointName)).length > 0) {
        if (lastRound) {
          return await keep('components-deleting', `inference components were still being deleted after ${recheck.round} rounds of waiting; DeleteEndpoint was not called`, current, icTargets);
        }
        log.info('inference components still deleting');
        return result('deleting', 'inference components are still being deleted; the endpoint is deleted when the workflow calls Delete again');
      }
      // Waiting for inference components can take minutes: an owner's veto in that time still counts.
      const latest = await readEndpointTags(sagemaker, candidate.endpointArn);
      if (!carriesDeletionMark(latest, candidate.sweepId)) {
        return await keep('tags', `the ${TAG.zombie} or ${TAG.sweepId} tag changed during deletion`, latest, icTargets);
      }
      const variantTargets = await deregisterScalableTargets(scaling, variants.map((v) => `endpoint/${candidate.endpointName}/variant/${v}`), announceTargets);
      details.deregisteredScalableTargets = [...icTargets, ...variantTargets];
      await appendAuditEvent(audit, {
        ...where,
        type: 'intent',
        actor: check.approvedBy,
        tagsBefore: latest,
        reason: `about to delete endpoint ${candidate.endpointName}`,
        details: { ...details, action: 'delete-endpoint', step: 'delete', resources: [candidate.endpointName], endpointConfigName: configName },
      });
      try {
        // The member role may call this only while the endpoint is tagged zombie=confirmed: a veto at the last instant is refused here.
        await sagemaker.send(new DeleteEndpointCommand({ EndpointName: candidate.endpointName }));
      } catch (error) {
        if (isSageMakerNotFound(error)) return result('already-gone', 'the endpoint disappeared during deletion');
        if (isAccessDenied(error)) {
          return await keep('delete-permission', `DeleteEndpoint was refused (${errorMessage(error)}); the zombie tag probably changed at the last moment`, check.tags, [...icTargets, ...variantTargets]);
        }
        throw error;
      }
    }

    // Recorded the moment DeleteEndpoint is accepted (or found under way), before waiting: see the gone branch above.
    if (!(await hasAuditEvent(deps, candidate, 'deleted'))) {
      await appendAuditEvent(audit, { ...where, type: 'deleted', actor: check.approvedBy, tagsBefore: check.tags, tagsAfter: {}, details: { ...details, endpointConfigName: configName, status: 'accepted' } });
    }
    const gone = (await describeEndpointOrUndefined(sagemaker, candidate.endpointName)) === undefined;
    if (!gone) {
      log.info('endpoint deletion in progress');
      return result('deleting', 'DeleteEndpoint accepted; the endpoint is still being deleted');
    }
    return await complete({ actor: check.approvedBy, tagsBefore: check.tags, configName });
  } catch (error) {
    throw retryableOr(error);
  }
}

/** The words a skip adds when something was already undone on the endpoint it keeps (empty when nothing was). */
function lostSuffix(lost: { inferenceComponentsDeleted: string[]; deregisteredScalableTargets: string[] }, componentsDeletedEarlier: boolean): string {
  const parts = [
    ...(lost.inferenceComponentsDeleted.length > 0 ? [`inference component(s) ${lost.inferenceComponentsDeleted.join(', ')}`] : []),
    ...(componentsDeletedEarlier ? ['the inference components an earlier attempt deleted (see its components-deleted event)'] : []),
    ...(lost.deregisteredScalableTargets.length > 0 ? [`auto-scaling target(s) ${lost.deregisteredScalableTargets.join(', ')} (with their policies and scheduled actions)`] : []),
  ];
  if (parts.length === 0) return '; nothing was deleted';
  return ` without ${parts.join(' and ')}, already removed; nothing re-creates them on the kept endpoint (zombie-sweep restore refuses while it exists): the snapshot manifest describes them`;
}

/** Names of the resources that lack this sweep's deletion mark (resources gone meanwhile count as marked: nothing to delete). */
async function unmarkedResources(sagemaker: SageMakerClient, resources: readonly { name: string; arn: string }[], sweepId: string): Promise<string[]> {
  const tags = await mapLimit(resources, 4, (r) => readTagsOrUndefined(sagemaker, r.arn));
  return resources.filter((_, i) => tags[i] !== undefined && !carriesDeletionMark(tags[i]!, sweepId)).map((r) => r.name);
}

/**
 * Deregisters every Application Auto Scaling target of these resources (all dimensions), after
 * `announce` has recorded the ones found (write-ahead). Returns `resourceId dimension` strings.
 */
async function deregisterScalableTargets(scaling: ApplicationAutoScalingClient, resourceIds: readonly string[], announce: (targets: string[]) => Promise<void>): Promise<string[]> {
  const found: { resourceId: string; dimension: ScalableDimension }[] = [];
  // DescribeScalableTargets filters by at most 50 resource ids per call.
  for (const ids of chunk(resourceIds, 50)) {
    for await (const page of paginateDescribeScalableTargets({ client: scaling }, { ServiceNamespace: 'sagemaker', ResourceIds: ids })) {
      for (const target of page.ScalableTargets ?? []) if (target.ResourceId && target.ScalableDimension) found.push({ resourceId: target.ResourceId, dimension: target.ScalableDimension });
    }
  }
  const labels = found.map((t) => `${t.resourceId} ${t.dimension}`);
  await announce(labels);
  for (const target of found) {
    try {
      await scaling.send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: target.resourceId, ScalableDimension: target.dimension }));
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
): Promise<{ endpointConfig?: string; models: string[]; kept: string[] }> {
  const removed: { endpointConfig?: string; models: string[]; kept: string[] } = { models: [], kept: [] };
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
    const [kind, name] = what.startsWith('model ') ? (['delete-models', what.slice(6)] as const) : (['delete-endpoint-config', what.replace(/^endpoint config /, '')] as const);
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
      if (await removeIfMarked(`model ${model.name}`, model.arn, inUse.models.has(model.name), () => sagemaker.send(new DeleteModelCommand({ ModelName: model.name })))) removed.models.push(model.name);
    }
  }
  if (deletion.deleteEndpointConfig && config) {
    if (await removeIfMarked(`endpoint config ${config.name}`, config.arn, inUse.configs.has(config.name), () => sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: config.name })))) removed.endpointConfig = config.name;
  }
  return removed;
}
