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
import { detailsOf, type AuditEvent, type AuditEventType, type AuditWriter, type DetailedEventType, type DetailsOf } from '../audit/events.ts';
import { endpointEventsOf } from '../audit/reader.ts';
import { deleteSessionTags } from '../core/capabilities.ts';
import type { ClientFactory, TargetRef } from '../core/clients.ts';
import type { Clock } from '../core/clock.ts';
import { mapLimit } from '../core/concurrency.ts';
import { RetryableAwsError, errorMessage, errorName } from '../core/errors.ts';
import { layout } from '../core/layout.ts';
import type { Log } from '../core/log.ts';
import type { Candidate } from '../core/schemas.ts';
import { TAG, ZOMBIE_VALUE, tagListToMap, type TagMap } from '../core/tags.ts';
import { isS3NotFound, isSageMakerNotFound, isTransient, unlessSageMakerNotFound } from '../core/aws-errors.ts';
import type { MacSigner } from './approval/links.ts';

/**
 * The small endpoint helpers every cleanup step shares: the deps they take, the member-account
 * capabilities they act through, tag and child-resource reads, and the endpoint's audit history.
 * What an AWS error means is decided in src/core/aws-errors.ts.
 */

/** The fields that name one endpoint within one sweep. */
export type EndpointRef = Pick<Candidate, 'accountId' | 'region' | 'endpointName' | 'sweepId'>;

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

/** Where an endpoint's log lines and audit events belong: the fields every one of them carries. */
export type EndpointWhere = {
  sweepId: string;
  accountId: string;
  region: string;
  endpointName: string;
  endpointArn: string;
};

export function endpointWhere(c: EndpointWhere): EndpointWhere {
  return { sweepId: c.sweepId, accountId: c.accountId, region: c.region, endpointName: c.endpointName, endpointArn: c.endpointArn };
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
  return unlessSageMakerNotFound(() => sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName })));
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
      components.push({
        kind: 'inference-component',
        name: ic.InferenceComponentName,
        arn: ic.InferenceComponentArn,
        status: ic.InferenceComponentStatus ?? 'Unknown',
      });
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
  return unlessSageMakerNotFound(() => readEndpointTags(sagemaker, arn));
}

/** An endpoint config and the models of its variants (what DeletionSettings may remove), with their ARNs; missing ones are left out. */
export async function configAndModels(
  sagemaker: SageMakerClient,
  configName: string | undefined,
): Promise<{ config?: ChildResource; models: ChildResource[] }> {
  if (!configName) return { models: [] };
  let described: DescribeEndpointConfigCommandOutput;
  try {
    described = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
  } catch (error) {
    if (isSageMakerNotFound(error)) return { models: [] };
    throw error;
  }
  const config: ChildResource | undefined = described.EndpointConfigArn
    ? { kind: 'endpoint-config', name: configName, arn: described.EndpointConfigArn }
    : undefined;
  const modelNames = [
    ...new Set([...(described.ProductionVariants ?? []), ...(described.ShadowProductionVariants ?? [])].flatMap((v) => (v.ModelName ? [v.ModelName] : []))),
  ];
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

/** True when an event of `type` for `sweepId` is already in the endpoint's audit history (a retried step must not lose or double it). */
export async function hasAuditEvent(deps: CleanupDeps, candidate: EndpointRef, type: AuditEventType): Promise<boolean> {
  return (await auditEventsOf(deps, candidate, type)).length > 0;
}

/** The endpoint's events of `type` for `sweepId`, oldest first. */
export function auditEventsOf(deps: CleanupDeps, candidate: EndpointRef, type: AuditEventType): Promise<AuditEvent[]> {
  const { accountId, region, endpointName, sweepId } = candidate;
  return endpointEventsOf(deps.clients.hub(S3Client), deps.archiveBucket, { accountId, region, endpointName, sweepId, type });
}

/** The endpoint's events of `type` for `sweepId`, oldest first, with their details read through the type's schema. */
export async function typedEventsOf<T extends DetailedEventType>(
  deps: CleanupDeps,
  candidate: EndpointRef,
  type: T,
): Promise<(AuditEvent & { typed: DetailsOf<T> | undefined })[]> {
  return (await auditEventsOf(deps, candidate, type)).map((event) => ({ ...event, typed: detailsOf(event, type) }));
}
