import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  SageMakerClient,
  paginateListEndpoints,
  paginateListInferenceComponents,
  paginateListTags,
  type DescribeEndpointCommandOutput,
  type DescribeEndpointConfigCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { deleteSessionTags } from '../core/capabilities.ts';
import type { ClientFactory, TargetRef } from '../core/clients.ts';
import type { Clock } from '../core/clock.ts';
import type { Log } from '../core/log.ts';
import type { Candidate } from '../core/schemas.ts';
import { mapLimit } from '../core/concurrency.ts';
import { RetryableAwsError, errorMessage, errorName } from '../core/errors.ts';
import { layout } from '../core/layout.ts';
import { TAG, ZOMBIE_VALUE, tagListToMap, type TagMap } from '../core/tags.ts';
import { isNotFound, isTransient } from '../detection/aws-errors.ts';
import { toDescribedEndpoint } from '../detection/inventory.ts';
import { fetchDailySums, invocationSeries, summarizeUsage } from '../detection/metrics.ts';
import { judgeExemption } from '../detection/rules.ts';
import { type AuditEvent, type AuditEventType, type AuditWriter } from '../audit/events.ts';
import { endpointEventsOf } from '../audit/reader.ts';
import type { MacSigner } from './approval/links.ts';
import { readSignedDecision } from './approval/signature.ts';
import { readVeto } from './notice/store.ts';
import { isS3NotFound } from './approval/store.ts';
import { archivedArtifactsProblem } from './archive-check.ts';

/**
 * Reads an endpoint's current state and re-verifies, at delete time, everything docs/design.md lists under
 * "Deletion re-verification". Also home of the small endpoint helpers the other cleanup steps share.
 */

/** What every cleanup step needs; handlers build it from the environment, tests from the simulator. */
export interface CleanupDeps {
  clients: ClientFactory;
  archiveBucket: string;
  clock: Clock;
  log: Log;
  /** Object Lock retention for audit objects (omit for buckets without Object Lock). */
  auditRetention?: AuditWriter['retention'];
  /**
   * Verifies (and, in the approval endpoint and the local auto-approve, signs) decision records. A
   * step that acts on a decision without one acts on nothing: unsigned decisions are never applied.
   */
  decisionSigner?: MacSigner;
}

export function auditWriter(deps: CleanupDeps): AuditWriter {
  return { s3: deps.clients.hub(S3Client), bucket: deps.archiveBucket, clock: deps.clock, retention: deps.auditRetention };
}

/** The member account of a candidate, reached through the configured role itself (the read capability). */
export function targetOf(candidate: Pick<Candidate, 'accountId' | 'region' | 'roleName' | 'externalId'>): TargetRef {
  return { accountId: candidate.accountId, region: candidate.region, roleName: candidate.roleName, externalId: candidate.externalId };
}

/** The tag capability (tag step, rejecting): writes the workflow's own tag keys, deletes nothing. */
export function tagTargetOf(candidate: Pick<Candidate, 'accountId' | 'region' | 'roleName' | 'externalId'>): TargetRef {
  return { ...targetOf(candidate), capability: 'tag' };
}

/**
 * The delete capability: its session carries the sweep id as a session tag, and IAM lets it delete only
 * resources whose `zombie-sweep-id` tag equals it. It cannot write tags.
 */
export function deleteTargetOf(candidate: Pick<Candidate, 'accountId' | 'region' | 'roleName' | 'externalId' | 'sweepId'>): TargetRef {
  return { ...targetOf(candidate), capability: 'delete', sessionTags: deleteSessionTags(candidate.sweepId) };
}

export function manifestKey(candidate: Pick<Candidate, 'accountId' | 'region' | 'endpointName' | 'sweepId'>): string {
  return layout.manifest(candidate.accountId, candidate.region, candidate.endpointName, candidate.sweepId);
}

/** SageMaker answers a missing endpoint, tag target or inference component with ValidationException "Could not find ...". */
export const isSageMakerNotFound = isNotFound;

/** IAM refused the call (in a member account: a resource without the tag the policy requires). */
export function isAccessDenied(error: unknown): boolean {
  const name = errorName(error);
  return name === 'AccessDeniedException' || name === 'AccessDenied';
}

/** Errors worth a state-machine retry become RetryableAwsError (its name is what the ASL Retry matches). */
export function retryableOr(error: unknown): unknown {
  if (error instanceof RetryableAwsError) return error;
  return isTransient(error) ? new RetryableAwsError(`${errorName(error)}: ${errorMessage(error)}`, { cause: error }) : error;
}

export async function manifestExists(deps: CleanupDeps, key: string): Promise<boolean> {
  try {
    await deps.clients.hub(S3Client).send(new HeadObjectCommand({ Bucket: deps.archiveBucket, Key: key }));
    return true;
  } catch (error) {
    if (isS3NotFound(error)) return false;
    throw retryableOr(error);
  }
}

export async function readEndpointTags(sagemaker: SageMakerClient, endpointArn: string): Promise<TagMap> {
  const tags: TagMap = {};
  for await (const page of paginateListTags({ client: sagemaker }, { ResourceArn: endpointArn, MaxResults: 100 })) {
    Object.assign(tags, tagListToMap(page.Tags));
  }
  return tags;
}

export async function describeEndpointOrUndefined(sagemaker: SageMakerClient, endpointName: string): Promise<DescribeEndpointCommandOutput | undefined> {
  try {
    return await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  } catch (error) {
    if (isSageMakerNotFound(error)) return undefined;
    throw error;
  }
}

export async function listInferenceComponentNames(sagemaker: SageMakerClient, endpointName: string): Promise<string[]> {
  return (await listInferenceComponents(sagemaker, endpointName)).map((ic) => ic.name);
}

/** A resource the endpoint depends on that IAM judges by its own tags, not the endpoint's. */
export interface ChildResource {
  kind: 'inference-component' | 'endpoint-config' | 'model';
  name: string;
  arn: string;
}

export async function listInferenceComponents(sagemaker: SageMakerClient, endpointName: string): Promise<(ChildResource & { status: string })[]> {
  const components: (ChildResource & { status: string })[] = [];
  for await (const page of paginateListInferenceComponents({ client: sagemaker }, { EndpointNameEquals: endpointName, MaxResults: 100 })) {
    for (const ic of page.InferenceComponents ?? []) {
      if (!ic.InferenceComponentName || !ic.InferenceComponentArn) continue;
      components.push({ kind: 'inference-component', name: ic.InferenceComponentName, arn: ic.InferenceComponentArn, status: ic.InferenceComponentStatus ?? 'Unknown' });
    }
  }
  return components;
}

/**
 * The tags that let the member role delete a child resource (policies/member-role-policy.json allows
 * Delete* only where the resource's OWN `zombie` tag is `confirmed`: IAM cannot see the endpoint's tags).
 */
export function deletionMark(sweepId: string): TagMap {
  return { [TAG.zombie]: ZOMBIE_VALUE.confirmed, [TAG.sweepId]: sweepId };
}

export function carriesDeletionMark(tags: TagMap, sweepId: string): boolean {
  return tags[TAG.zombie] === ZOMBIE_VALUE.confirmed && tags[TAG.sweepId] === sweepId;
}

/** Tags of any SageMaker resource, or undefined when it no longer exists. */
export async function readTagsOrUndefined(sagemaker: SageMakerClient, arn: string): Promise<TagMap | undefined> {
  try {
    return await readEndpointTags(sagemaker, arn);
  } catch (error) {
    if (isSageMakerNotFound(error)) return undefined;
    throw error;
  }
}

/** An endpoint config and the models of its variants (what DeletionSettings may remove), with their ARNs; missing ones are left out. */
export async function configAndModels(sagemaker: SageMakerClient, configName: string | undefined): Promise<{ config?: ChildResource; models: ChildResource[] }> {
  if (!configName) return { models: [] };
  let described: DescribeEndpointConfigCommandOutput;
  try {
    described = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
  } catch (error) {
    if (isSageMakerNotFound(error)) return { models: [] };
    throw error;
  }
  const config: ChildResource | undefined = described.EndpointConfigArn ? { kind: 'endpoint-config', name: configName, arn: described.EndpointConfigArn } : undefined;
  const modelNames = [...new Set([...(described.ProductionVariants ?? []), ...(described.ShadowProductionVariants ?? [])].flatMap((v) => (v.ModelName ? [v.ModelName] : [])))];
  const models = await mapLimit(modelNames, 4, async (name): Promise<ChildResource | undefined> => {
    try {
      const model = await sagemaker.send(new DescribeModelCommand({ ModelName: name }));
      return model.ModelArn ? { kind: 'model', name, arn: model.ModelArn } : undefined;
    } catch (error) {
      if (isSageMakerNotFound(error)) return undefined;
      throw error;
    }
  });
  return { config, models: models.filter((m): m is ChildResource => m !== undefined) };
}

/** Configs and models that other endpoints of the account-region still use (only looked up when removal is asked for: it describes every endpoint). */
export async function inUseByOthers(sagemaker: SageMakerClient, endpointName: string): Promise<{ configs: Set<string>; models: Set<string> }> {
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
 * Metrics reach CloudWatch a few minutes late, so an invocation just before detection may not have
 * been visible to it: the window starts this much earlier. The error is toward skipping, never toward deleting.
 */
export const PUBLICATION_LAG_MARGIN_MS = 5 * 60_000;

/**
 * Invocations from `since` (less the lag margin) to `now`, over exactly the series detection counts
 * (src/detection/metrics.ts: every variant, every inference component, async processed requests).
 */
export async function invocationsSince(
  cloudwatch: CloudWatchClient,
  endpoint: DescribeEndpointCommandOutput,
  inferenceComponents: readonly string[],
  since: Date,
  now: Date,
): Promise<{ invocations: number; error?: string }> {
  const described = toDescribedEndpoint(endpoint);
  const series = invocationSeries(
    described,
    inferenceComponents.map((name) => ({ inferenceComponentName: name, endpointName: described.endpointName })),
  );
  return summarizeUsage(await fetchDailySums(cloudwatch, series, new Date(since.getTime() - PUBLICATION_LAG_MARGIN_MS), now));
}

/** True when an event of `type` for `sweepId` is already in the endpoint's audit history (a retried step must not lose or double it). */
export async function hasAuditEvent(deps: CleanupDeps, candidate: Pick<Candidate, 'accountId' | 'region' | 'endpointName' | 'sweepId'>, type: AuditEventType): Promise<boolean> {
  return (await auditEventsOf(deps, candidate, type)).length > 0;
}

/** The endpoint's events of `type` for `sweepId`, oldest first. */
export function auditEventsOf(deps: CleanupDeps, candidate: Pick<Candidate, 'accountId' | 'region' | 'endpointName' | 'sweepId'>, type: AuditEventType): Promise<AuditEvent[]> {
  const { accountId, region, endpointName, sweepId } = candidate;
  return endpointEventsOf(deps.clients.hub(S3Client), deps.archiveBucket, { accountId, region, endpointName, sweepId, type });
}

export type Reverification =
  | { outcome: 'verified'; tags: TagMap; endpoint: DescribeEndpointCommandOutput; inferenceComponents: string[]; approvedBy: string }
  /** Deletion already under way (an earlier attempt of this step started it). */
  | { outcome: 'deleting'; tags: TagMap; approvedBy: string; endpointConfigName?: string }
  | { outcome: 'gone' }
  | { outcome: 'failed'; check: ReverifyCheck; reason: string; tags?: TagMap };

export type ReverifyCheck = 'approved' | 'vetoed' | 'manifest' | 'archive' | 'exists' | 'in-service' | 'tags' | 'exempt' | 'unchanged' | 'invocations';

/** Every check docs/design.md requires, cheapest first. Nothing here changes anything. */
export async function reverify(deps: CleanupDeps, candidate: Candidate, action: 'delete' | 'scale-to-zero' = 'delete'): Promise<Reverification> {
  const fail = (check: ReverifyCheck, reason: string, tags?: TagMap): Reverification => ({ outcome: 'failed', check, reason, tags });
  const s3 = deps.clients.hub(S3Client);

  const signed = await readSignedDecision(s3, deps.archiveBucket, deps.decisionSigner, candidate.sweepId);
  if (!signed.ok) return fail('approved', signed.reason);
  const decision = signed.stored;
  if (decision.value.status !== 'delivered') return fail('approved', `the sweep's decision is ${decision.value.status}, not delivered`);
  if (!decision.value.approved.includes(candidate.endpointArn)) return fail('approved', `not approved by ${decision.value.approver}`);
  // The two actions exclude each other: an endpoint chosen for scale to zero is never deleted, and back.
  const scaling = decision.value.scaleToZero?.includes(candidate.endpointArn) ?? false;
  if (action === 'delete' && scaling) return fail('approved', `${decision.value.approver} chose scale to zero, not deletion`);
  if (action === 'scale-to-zero' && !scaling) return fail('approved', `${decision.value.approver} did not choose scale to zero`);
  const approvedBy = decision.value.approver;
  const veto = await readVeto(s3, deps.archiveBucket, candidate);
  if (veto) return fail('vetoed', `its owner ${veto.owner} vetoed deletion at ${veto.vetoedAt}`);

  const key = manifestKey(candidate);
  if (!(await manifestExists(deps, key))) return fail('manifest', `no verified snapshot manifest at s3://${deps.archiveBucket}/${key}`);
  const archiveProblem = await archivedArtifactsProblem({ s3, archiveBucket: deps.archiveBucket, manifestKey: key }).catch((error: unknown) => {
    throw retryableOr(error);
  });
  if (archiveProblem) return fail('archive', archiveProblem);

  const sagemaker = deps.clients.target(SageMakerClient, deleteTargetOf(candidate));
  const endpoint = await describeEndpointOrUndefined(sagemaker, candidate.endpointName);
  if (!endpoint) return { outcome: 'gone' };
  if (endpoint.EndpointArn && endpoint.EndpointArn !== candidate.endpointArn) return fail('exists', `the endpoint now has ARN ${endpoint.EndpointArn}: it was recreated`);

  // An endpoint already Deleting can finish between the describe and the tag read: that is gone, not a failure.
  const tags = await readTagsOrUndefined(sagemaker, candidate.endpointArn);
  if (!tags) return { outcome: 'gone' };
  const zombie = tags[TAG.zombie];
  if (zombie !== ZOMBIE_VALUE.confirmed) return fail('tags', zombie === undefined ? `the ${TAG.zombie} tag was removed` : `the ${TAG.zombie} tag is now "${zombie}"`, tags);
  if (tags[TAG.sweepId] !== candidate.sweepId) return fail('tags', `the ${TAG.sweepId} tag is now "${tags[TAG.sweepId] ?? ''}", not ${candidate.sweepId}`, tags);

  if (endpoint.EndpointStatus === 'Deleting') return { outcome: 'deleting', tags, approvedBy, endpointConfigName: endpoint.EndpointConfigName };
  if (endpoint.EndpointStatus !== 'InService') return fail('in-service', `the endpoint is ${endpoint.EndpointStatus ?? 'in an unknown state'}, not InService`, tags);

  const now = deps.clock.now();
  const exemption = judgeExemption(tags, now);
  if (exemption.exempt) return fail('exempt', `the owner exempted it: ${exemption.reason}`, tags);

  const detectedAt = new Date(candidate.detectedAt);
  if (Number.isNaN(detectedAt.getTime())) return fail('invocations', `detectedAt "${candidate.detectedAt}" is not a time`, tags);
  // A detection time ahead of this clock would leave no window to check: never read that as "not invoked".
  if (detectedAt.getTime() - PUBLICATION_LAG_MARGIN_MS > now.getTime()) return fail('invocations', `detectedAt ${candidate.detectedAt} is after now (${now.toISOString()}); cannot check usage since detection`, tags);
  if (endpoint.LastModifiedTime && endpoint.LastModifiedTime.getTime() > detectedAt.getTime()) {
    return fail('unchanged', `the endpoint was updated at ${endpoint.LastModifiedTime.toISOString()}, after detection`, tags);
  }

  const inferenceComponents = await listInferenceComponentNames(sagemaker, candidate.endpointName);
  const cloudwatch = deps.clients.target(CloudWatchClient, deleteTargetOf(candidate));
  const usage = await invocationsSince(cloudwatch, endpoint, inferenceComponents, detectedAt, now);
  if (usage.error) return fail('invocations', `metrics could not be read completely (${usage.error})`, tags);
  if (usage.invocations > 0) return fail('invocations', `invoked ${usage.invocations} time(s) since detection at ${candidate.detectedAt}`, tags);

  return { outcome: 'verified', tags, endpoint, inferenceComponents, approvedBy };
}
