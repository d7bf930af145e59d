import { ApplicationAutoScalingClient, DeregisterScalableTargetCommand, paginateDescribeScalableTargets } from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteInferenceComponentCommand,
  DeleteModelCommand,
  DescribeEndpointConfigCommand,
  SageMakerClient,
  paginateListEndpoints,
  paginateListInferenceComponents,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { appendAuditEvent } from '../audit/events.ts';
import { chunk, mapLimit } from '../core/concurrency.ts';
import { errorMessage, errorName } from '../core/errors.ts';
import { s3Uri } from '../core/layout.ts';
import { DeletionSettingsSchema, parseOrThrow } from '../core/schemas.ts';
import { TAG, ZOMBIE_VALUE, type TagMap } from '../core/tags.ts';
import { ApprovalCandidateSchema } from './approval/store.ts';
import { auditWriter, describeEndpointOrUndefined, hasAuditEvent, isSageMakerNotFound, manifestKey, readEndpointTags, retryableOr, reverify, targetOf, type CleanupDeps } from './reverify.ts';

/**
 * Delete one approved endpoint, after re-verifying everything (src/cleanup/reverify.ts). Inference
 * components go first (with their scaling targets), then the variants' scaling targets, then the
 * endpoint; configs and models stay unless DeletionSettings say otherwise. Already gone = done.
 */

export const DeleteInputSchema = z.object({
  candidate: ApprovalCandidateSchema,
  deletion: DeletionSettingsSchema.default({ deleteEndpointConfig: false, deleteModels: false }),
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

export interface DeleteDeps extends CleanupDeps {
  /** How long to wait for inference components and the endpoint to disappear before reporting `deleting`. */
  waitTimeoutMs?: number;
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `done` until true or the deadline; true when it became true. */
async function waitUntil(deps: DeleteDeps, done: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + (deps.waitTimeoutMs ?? 240_000);
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await (deps.sleep ?? defaultSleep)(deps.pollIntervalMs ?? 10_000);
  }
}

export async function deleteEndpoint(deps: DeleteDeps, rawInput: unknown): Promise<DeleteResult> {
  const { candidate, deletion } = parseOrThrow(DeleteInputSchema, rawInput, 'delete input');
  const log = deps.log.child({ sweepId: candidate.sweepId, accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName });
  const audit = auditWriter(deps);
  const where = { sweepId: candidate.sweepId, accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName, endpointArn: candidate.endpointArn };
  const result = (status: DeleteStatus, reason?: string, check?: string): DeleteResult => ({ ...where, status, ...(reason ? { reason } : {}), ...(check ? { check } : {}) });
  const skip = async (check: string, reason: string, actor: string, tagsBefore?: TagMap): Promise<DeleteResult> => {
    await appendAuditEvent(audit, { ...where, type: 'skipped', actor, reason, tagsBefore, details: { step: 'delete', check } });
    log.warn('deletion skipped', { check, reason });
    return result('skipped', reason, check);
  };

  try {
    const check = await reverify(deps, candidate);
    if (check.outcome === 'failed') return await skip(check.check, check.reason, 'zombie-sweep', check.tags);
    if (check.outcome === 'gone') {
      if (await hasAuditEvent(deps, candidate, 'deleted')) return result('deleted', 'deleted by an earlier attempt');
      if (!(await hasAuditEvent(deps, candidate, 'skipped'))) {
        await appendAuditEvent(audit, { ...where, type: 'skipped', actor: 'zombie-sweep', reason: 'the endpoint no longer exists (deleted outside this step)', details: { step: 'delete', check: 'exists' } });
      }
      return result('already-gone', 'the endpoint no longer exists');
    }

    const sagemaker = deps.clients.target(SageMakerClient, targetOf(candidate));
    const scaling = deps.clients.target(ApplicationAutoScalingClient, targetOf(candidate));
    const details: Record<string, unknown> = { manifestUri: s3Uri(deps.archiveBucket, manifestKey(candidate)), approvedBy: check.approvedBy };
    let configName = check.outcome === 'deleting' ? check.endpointConfigName : undefined;

    if (check.outcome === 'verified') {
      configName = check.endpoint.EndpointConfigName;
      const variants = [...(check.endpoint.ProductionVariants ?? []), ...(check.endpoint.ShadowProductionVariants ?? [])].flatMap((v) => (v.VariantName ? [v.VariantName] : []));
      const icTargets = await deregisterScalableTargets(scaling, check.inferenceComponents.map((ic) => `inference-component/${ic}`));
      const icStates = await inferenceComponentStates(sagemaker, candidate.endpointName);
      for (const [name, status] of icStates) {
        if (status === 'Deleting') continue;
        try {
          await sagemaker.send(new DeleteInferenceComponentCommand({ InferenceComponentName: name }));
        } catch (error) {
          if (!isSageMakerNotFound(error)) throw error;
        }
      }
      details.inferenceComponents = [...icStates.keys()];
      if (icStates.size > 0 && !(await waitUntil(deps, async () => (await inferenceComponentStates(sagemaker, candidate.endpointName)).size === 0))) {
        log.info('inference components still deleting');
        return result('deleting', 'inference components are still being deleted; the endpoint is deleted on the next attempt');
      }
      // Waiting for inference components can take minutes: an owner's veto in that time still counts.
      const latest = await readEndpointTags(sagemaker, candidate.endpointArn);
      if (latest[TAG.zombie] !== ZOMBIE_VALUE.confirmed || latest[TAG.sweepId] !== candidate.sweepId) {
        return await skip('tags', `the ${TAG.zombie} or ${TAG.sweepId} tag changed during deletion; the endpoint is kept (its inference components are restorable from the manifest)`, 'zombie-sweep', latest);
      }
      const variantTargets = await deregisterScalableTargets(scaling, variants.map((v) => `endpoint/${candidate.endpointName}/variant/${v}`));
      details.deregisteredScalableTargets = [...icTargets, ...variantTargets];
      try {
        // The member role may call this only while the endpoint is tagged zombie=confirmed: a veto at the last instant is refused here.
        await sagemaker.send(new DeleteEndpointCommand({ EndpointName: candidate.endpointName }));
      } catch (error) {
        if (isSageMakerNotFound(error)) return result('already-gone', 'the endpoint disappeared during deletion');
        if (errorName(error) === 'AccessDeniedException' || errorName(error) === 'AccessDenied') {
          return await skip('delete-permission', `DeleteEndpoint was refused (${errorMessage(error)}); the zombie tag probably changed at the last moment`, 'zombie-sweep', check.tags);
        }
        throw error;
      }
    }

    const gone = await waitUntil(deps, async () => (await describeEndpointOrUndefined(sagemaker, candidate.endpointName)) === undefined);
    if (gone && (deletion.deleteEndpointConfig || deletion.deleteModels)) {
      details.removed = await removeConfigAndModels(sagemaker, candidate.endpointName, configName, deletion);
    }
    if (!(await hasAuditEvent(deps, candidate, 'deleted'))) {
      await appendAuditEvent(audit, { ...where, type: 'deleted', actor: check.approvedBy, tagsBefore: check.tags, tagsAfter: {}, details: { ...details, status: gone ? 'deleted' : 'deleting' } });
    }
    log.info(gone ? 'endpoint deleted' : 'endpoint deletion in progress');
    return gone ? result('deleted') : result('deleting', 'DeleteEndpoint accepted; the endpoint is still being deleted');
  } catch (error) {
    throw retryableOr(error);
  }
}

async function inferenceComponentStates(sagemaker: SageMakerClient, endpointName: string): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for await (const page of paginateListInferenceComponents({ client: sagemaker }, { EndpointNameEquals: endpointName, MaxResults: 100 })) {
    for (const ic of page.InferenceComponents ?? []) if (ic.InferenceComponentName) states.set(ic.InferenceComponentName, ic.InferenceComponentStatus ?? 'Unknown');
  }
  return states;
}

/** Deregisters every Application Auto Scaling target of these resources (all dimensions). Returns `resourceId dimension` strings. */
async function deregisterScalableTargets(scaling: ApplicationAutoScalingClient, resourceIds: readonly string[]): Promise<string[]> {
  const done: string[] = [];
  // DescribeScalableTargets filters by at most 50 resource ids per call.
  for (const ids of chunk(resourceIds, 50)) {
    for await (const page of paginateDescribeScalableTargets({ client: scaling }, { ServiceNamespace: 'sagemaker', ResourceIds: ids })) {
      for (const target of page.ScalableTargets ?? []) {
        if (!target.ResourceId || !target.ScalableDimension) continue;
        try {
          await scaling.send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: target.ResourceId, ScalableDimension: target.ScalableDimension }));
        } catch (error) {
          if (errorName(error) !== 'ObjectNotFoundException') throw error;
        }
        done.push(`${target.ResourceId} ${target.ScalableDimension}`);
      }
    }
  }
  return done;
}

/** Configs and models that other endpoints of the account-region still use (only looked up when removal is asked for). */
async function inUseByOthers(sagemaker: SageMakerClient, endpointName: string): Promise<{ configs: Set<string>; models: Set<string> }> {
  const configs = new Set<string>();
  for await (const page of paginateListEndpoints({ client: sagemaker }, { MaxResults: 100 })) {
    const others = (page.Endpoints ?? []).flatMap((e) => (e.EndpointName && e.EndpointName !== endpointName ? [e.EndpointName] : []));
    const described = await mapLimit(others, 4, (name) => describeEndpointOrUndefined(sagemaker, name));
    for (const d of described) if (d?.EndpointConfigName) configs.add(d.EndpointConfigName);
  }
  const models = new Set<string>();
  await mapLimit([...configs], 4, async (name) => {
    try {
      const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
      for (const v of [...(config.ProductionVariants ?? []), ...(config.ShadowProductionVariants ?? [])]) if (v.ModelName) models.add(v.ModelName);
    } catch (error) {
      if (!isSageMakerNotFound(error)) throw error;
    }
  });
  return { configs, models };
}

/**
 * Optional removal after the endpoint is gone. Configs and models are kept by default: they cost
 * nothing and make restore trivial; the manifest holds their full descriptions either way. A config
 * or model another endpoint still uses is kept even when removal is asked for.
 */
async function removeConfigAndModels(
  sagemaker: SageMakerClient,
  endpointName: string,
  configName: string | undefined,
  deletion: z.output<typeof DeletionSettingsSchema>,
): Promise<{ endpointConfig?: string; models: string[]; kept: string[] }> {
  const removed: { endpointConfig?: string; models: string[]; kept: string[] } = { models: [], kept: [] };
  if (!configName) return removed;
  let models: string[] = [];
  try {
    const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
    models = [...(config.ProductionVariants ?? []), ...(config.ShadowProductionVariants ?? [])].flatMap((v) => (v.ModelName ? [v.ModelName] : []));
  } catch (error) {
    if (!isSageMakerNotFound(error)) throw error;
  }
  const inUse = await inUseByOthers(sagemaker, endpointName);
  const ignoreMissing = async (call: () => Promise<unknown>) => {
    try {
      await call();
      return true;
    } catch (error) {
      if (isSageMakerNotFound(error)) return false;
      throw error;
    }
  };
  if (deletion.deleteModels) {
    for (const model of new Set(models)) {
      if (inUse.models.has(model)) removed.kept.push(`model ${model} (used by another endpoint)`);
      else if (await ignoreMissing(() => sagemaker.send(new DeleteModelCommand({ ModelName: model })))) removed.models.push(model);
    }
  }
  if (deletion.deleteEndpointConfig) {
    if (inUse.configs.has(configName)) removed.kept.push(`endpoint config ${configName} (used by another endpoint)`);
    else if (await ignoreMissing(() => sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: configName })))) removed.endpointConfig = configName;
  }
  return removed;
}
