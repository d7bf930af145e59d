import { HeadObjectCommand, ListObjectsV2Command, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  DescribeEndpointConfigCommand,
  DescribeInferenceComponentCommand,
  DescribeModelCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import {
  ApplicationAutoScalingClient,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalableDimension,
} from '@aws-sdk/client-application-auto-scaling';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ClientFactory, TargetRef } from '../../core/clients.ts';
import { pollUntil, systemSleeper, type Clock, type Sleeper } from '../../core/clock.ts';
import { errorMessage, errorName, PreconditionFailedError } from '../../core/errors.ts';
import { layout, parseS3Uri, s3Uri } from '../../core/layout.ts';
import type { Log } from '../../core/log.ts';
import { tagMapToList, type TagMap } from '../../core/tags.ts';
import { appendAuditEvent, type AuditWriter } from '../../audit/events.ts';
import { isS3NotFound, unlessSageMakerNotFound } from '../../core/aws-errors.ts';
import { describeEndpoint } from '../snapshot/describe.ts';
import { ManifestSchema, type Manifest } from '../snapshot/manifest.ts';
import { readJsonObject } from '../../core/s3-json.ts';
import { restoreScaledToZero } from './scaled-to-zero.ts';
import {
  componentSpecsOf,
  endpointConfigSpecOf,
  modelSpecOf,
  restoredName,
  restoredTags,
  sameEndpointConfig,
  sameModel,
  scalingResourceId,
  uriMapOf,
} from './plan.ts';

export interface RestoreRequest {
  /** `s3://bucket/manifests/...json`; or give `endpointArn` + `archiveBucket` to use its newest manifest. */
  manifestUri?: string;
  endpointArn?: string;
  archiveBucket?: string;
  /** Assume this role in the endpoint's account; without it the caller's own credentials must be in that account. */
  roleName?: string;
  externalId?: string;
  /** Restore under another name (the original name is refused while an endpoint holds it). */
  endpointName?: string;
  /** Wait until the endpoint is InService (always done when components or scaling must follow). */
  wait?: boolean;
}

export interface RestoreDeps {
  factory: ClientFactory;
  clock: Clock;
  /** How the wait for InService passes time; the system's by default. */
  sleeper?: Sleeper;
  log: Log;
  auditRetention?: AuditWriter['retention'];
  pollIntervalMs?: number;
  waitTimeoutMs?: number;
}

export interface RestoreResult {
  manifestUri: string;
  endpointName: string;
  endpointArn: string;
  endpointConfigName: string;
  status: string;
  models: { original: string; name: string; action: 'created' | 'reused' }[];
  inferenceComponents: { original: string; name: string }[];
  scalableTargets: number;
  tags: TagMap;
  warnings: string[];
}

/** Finds the manifest to restore from: the given URI, or the newest snapshot of the endpoint. */
export async function locateManifest(s3: S3Client, request: RestoreRequest): Promise<{ manifest: Manifest; uri: string }> {
  let uri = request.manifestUri;
  if (!uri) {
    const arn = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):endpoint\/(.+)$/.exec(request.endpointArn ?? '');
    if (!arn || !request.archiveBucket)
      throw new PreconditionFailedError('restore needs a manifest URI, or an endpoint ARN and the archive bucket', 'no-manifest');
    const prefix = layout.manifestPrefix(arn[2]!, arn[1]!, arn[3]!);
    let newest: { key: string; at: number } | undefined;
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: request.archiveBucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        if (!/^[^/]+\.json$/.test(key.slice(prefix.length))) continue;
        const at = object.LastModified?.getTime() ?? 0;
        if (!newest || at > newest.at || (at === newest.at && key > newest.key)) newest = { key, at };
      }
    }
    if (!newest)
      throw new PreconditionFailedError(`no snapshot manifest for ${request.endpointArn} under s3://${request.archiveBucket}/${prefix}`, 'no-manifest');
    uri = s3Uri(request.archiveBucket, newest.key);
  }
  const { bucket, key } = parseS3Uri(uri);
  const raw = (await readJsonObject(s3, bucket, key))?.value;
  if (raw === undefined) throw new PreconditionFailedError(`manifest ${uri} does not exist`, 'no-manifest');
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success)
    throw new PreconditionFailedError(`${uri} is not a zombie-sweep snapshot manifest: ${parsed.error.issues[0]?.message}`, 'invalid-manifest');
  return { manifest: parsed.data, uri };
}

/** The archived endpoint config under its own name, or a free variant of it; an identical one already there is reused. */
async function restoreEndpointConfig(
  sagemaker: SageMakerClient,
  manifest: Manifest,
  configSpec: ReturnType<typeof endpointConfigSpecOf>,
  resourceTags: ReturnType<typeof tagMapToList>,
): Promise<{ name: string; state: string }> {
  const config = await chooseName(manifest.endpointConfigName, manifest.sweepId, async (candidate) => {
    const found = await unlessSageMakerNotFound(() => sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: candidate })));
    return found === undefined ? 'free' : sameEndpointConfig(found as never, configSpec) ? 'same' : 'taken';
  });
  if (config.state === 'free') await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: config.name, ...configSpec, Tags: resourceTags }));
  return config;
}

/**
 * Recreates the endpoint a manifest describes, on its archived artifacts. Refuses (PreconditionFailedError)
 * when the endpoint name is taken, the credentials are in another account, or an archived artifact is missing.
 */
export async function restoreEndpoint(request: RestoreRequest, deps: RestoreDeps): Promise<RestoreResult> {
  const s3 = deps.factory.hub(S3Client);
  const { manifest, uri } = await locateManifest(s3, request);
  const target: TargetRef = { accountId: manifest.accountId, region: manifest.region, roleName: request.roleName, externalId: request.externalId };
  const name = request.endpointName ?? manifest.endpointName;
  const log = deps.log.child({ accountId: manifest.accountId, region: manifest.region, endpointName: name });
  const caller = await deps.factory.hub(STSClient).send(new GetCallerIdentityCommand({}));
  if (!request.roleName && caller.Account !== manifest.accountId) {
    throw new PreconditionFailedError(
      `the snapshot is of account ${manifest.accountId} but your credentials are in ${caller.Account}; pass --role-name to assume a role there`,
      'wrong-account',
    );
  }
  const sagemaker = deps.factory.target(SageMakerClient, target);
  const existing = await describeEndpoint(sagemaker, name);
  // Scaled to zero instead of deleted: it still exists, and restoring means its capacity back (./scaled-to-zero.ts).
  const scaledBack = existing && !request.endpointName ? await restoreScaledToZero(deps, manifest, uri, target, existing, caller.Arn ?? 'unknown') : undefined;
  if (scaledBack) return scaledBack;
  if (existing) {
    throw new PreconditionFailedError(
      `endpoint ${name} already exists in ${manifest.accountId}/${manifest.region} (${existing.EndpointStatus}); restore refused (use --endpoint-name to restore under another name)`,
      'endpoint-exists',
    );
  }
  await checkArchive(s3, manifest);

  const map = uriMapOf(manifest);
  const tags = restoredTags(manifest.tags, uri);
  const resourceTags = tagMapToList({ zombie: tags.zombie!, 'zombie-snapshot': uri });
  const { models, modelNames } = await restoreModels(sagemaker, manifest, map, resourceTags);
  const configSpec = endpointConfigSpecOf(manifest.endpointConfig, modelNames);
  const config = await restoreEndpointConfig(sagemaker, manifest, configSpec, resourceTags);
  const created = await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: config.name, Tags: tagMapToList(tags) }));
  log.info('endpoint restore started', { endpointConfigName: config.name, manifestUri: uri });

  const componentNames = await componentNamesOf(sagemaker, manifest);
  const targets = manifest.autoscaling.scalableTargets;
  const warnings: string[] = [...manifest.notes.map((note) => `snapshot note: ${note}`)];
  let status = 'Creating';
  if (request.wait || manifest.inferenceComponents.length > 0 || targets.length > 0) {
    status = await waitInService(sagemaker, name, deps);
    const components = componentSpecsOf(manifest, map, modelNames, componentNames, name);
    for (const component of components) await sagemaker.send(new CreateInferenceComponentCommand({ ...component, Tags: resourceTags }));
    warnings.push(...(await restoreScaling(deps.factory.target(ApplicationAutoScalingClient, target), manifest, name, componentNames)));
  }

  const result: RestoreResult = {
    manifestUri: uri,
    endpointName: name,
    endpointArn: created.EndpointArn ?? '',
    endpointConfigName: config.name,
    status,
    models,
    inferenceComponents: [...componentNames.entries()].map(([original, restored]) => ({ original, name: restored })),
    scalableTargets: targets.length,
    tags,
    warnings,
  };
  await auditRestored({ s3, bucket: parseS3Uri(uri).bucket, clock: deps.clock, retention: deps.auditRetention }, manifest, result, caller.Arn ?? 'unknown');
  return result;
}

type RestoredModel = RestoreResult['models'][number];

/** Recreates each model on its archived artifacts, or reuses one that already holds exactly that (a re-run). */
async function restoreModels(
  sagemaker: SageMakerClient,
  manifest: Manifest,
  map: Map<string, string>,
  resourceTags: ReturnType<typeof tagMapToList>,
): Promise<{ models: RestoredModel[]; modelNames: Map<string, string> }> {
  const models: RestoredModel[] = [];
  const modelNames = new Map<string, string>();
  for (const described of manifest.models) {
    const original = String(described.ModelName);
    const spec = modelSpecOf(described, map);
    const chosen = await chooseName(original, manifest.sweepId, async (candidate) => {
      const found = await unlessSageMakerNotFound(() => sagemaker.send(new DescribeModelCommand({ ModelName: candidate })));
      return found === undefined ? 'free' : sameModel(found as never, spec) ? 'same' : 'taken';
    });
    if (chosen.state === 'free') await sagemaker.send(new CreateModelCommand({ ModelName: chosen.name, ...spec, Tags: resourceTags }));
    modelNames.set(original, chosen.name);
    models.push({ original, name: chosen.name, action: chosen.state === 'free' ? 'created' : 'reused' });
  }
  return { models, modelNames };
}

/** Original inference component name -> the name it is restored under (components are never reused). */
async function componentNamesOf(sagemaker: SageMakerClient, manifest: Manifest): Promise<Map<string, string>> {
  const componentNames = new Map<string, string>();
  for (const component of manifest.inferenceComponents) {
    const original = String(component.InferenceComponentName);
    const chosen = await chooseName(original, manifest.sweepId, async (candidate) => {
      const found = await unlessSageMakerNotFound(() => sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: candidate })));
      return found === undefined ? 'free' : 'taken';
    });
    componentNames.set(original, chosen.name);
  }
  return componentNames;
}

async function auditRestored(audit: AuditWriter, manifest: Manifest, result: RestoreResult, actor: string): Promise<void> {
  const endpointArn = result.endpointArn || undefined;
  const details = {
    manifestUri: result.manifestUri,
    originalEndpointName: manifest.endpointName,
    endpointConfigName: result.endpointConfigName,
    models: result.models.map((m) => `${m.original} -> ${m.name} (${m.action})`),
    inferenceComponents: result.inferenceComponents.map((c) => `${c.original} -> ${c.name}`),
  };
  const event = { type: 'restored' as const, actor, sweepId: manifest.sweepId, accountId: manifest.accountId, region: manifest.region };
  await appendAuditEvent(audit, { ...event, endpointName: result.endpointName, endpointArn, tagsBefore: {}, tagsAfter: result.tags, details });
  if (result.endpointName !== manifest.endpointName) {
    // The original endpoint's own timeline says where it came back.
    await appendAuditEvent(audit, {
      ...event,
      endpointName: manifest.endpointName,
      endpointArn: manifest.endpointArn,
      details: { ...details, restoredAs: endpointArn },
    });
  }
}

/** The original name if free or identical, else `<name>-restored-<sweep>` under the same rule. */
async function chooseName(
  original: string,
  sweepId: string,
  probe: (name: string) => Promise<'free' | 'same' | 'taken'>,
): Promise<{ name: string; state: 'free' | 'same' }> {
  for (const candidate of [original, restoredName(original, sweepId)]) {
    const state = await probe(candidate);
    if (state !== 'taken') return { name: candidate, state };
  }
  throw new PreconditionFailedError(
    `both ${original} and ${restoredName(original, sweepId)} exist with a different definition; delete or rename one and retry`,
    'name-taken',
  );
}

/** Every archived single object must still be there with the checksum the manifest recorded, and every tree non-empty. */
async function checkArchive(s3: S3Client, manifest: Manifest): Promise<void> {
  for (const entry of manifest.artifacts) {
    if (entry.byReference || !entry.archiveUri || manifest.sources[entry.source]?.kind !== 'object') continue;
    const { bucket, key } = parseS3Uri(entry.archiveUri);
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
      if (entry.archiveCrc64nvme && head.ChecksumCRC64NVME && head.ChecksumCRC64NVME !== entry.archiveCrc64nvme) {
        throw new PreconditionFailedError(`archived artifact ${entry.archiveUri} no longer matches the manifest's checksum`, 'artifact-changed');
      }
    } catch (error) {
      if (isS3NotFound(error)) throw new PreconditionFailedError(`archived artifact ${entry.archiveUri} is missing`, 'artifact-missing');
      throw error;
    }
  }
  for (const source of manifest.sources) {
    if (source.kind !== 'prefix' || source.byReference || !source.archiveUri || source.objectCount === 0) continue;
    const { bucket, key } = parseS3Uri(source.archiveUri);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    if ((listed.KeyCount ?? 0) === 0) throw new PreconditionFailedError(`archived tree ${source.archiveUri} is empty`, 'artifact-missing');
  }
}

async function waitInService(sagemaker: SageMakerClient, name: string, deps: RestoreDeps): Promise<string> {
  let status = 'missing';
  const polled = await pollUntil(
    { clock: deps.clock, sleeper: deps.sleeper ?? systemSleeper, intervalMs: deps.pollIntervalMs ?? 15_000, timeoutMs: deps.waitTimeoutMs ?? 30 * 60_000 },
    async () => {
      const endpoint = await describeEndpoint(sagemaker, name);
      status = endpoint?.EndpointStatus ?? 'missing';
      if (status === 'InService') return status;
      if (status === 'Failed' || status === 'missing')
        throw new PreconditionFailedError(
          `restored endpoint ${name} is ${status}${endpoint?.FailureReason ? `: ${endpoint.FailureReason}` : ''}`,
          'endpoint-failed',
        );
      return undefined;
    },
  );
  if (polled.done) return polled.value;
  throw new PreconditionFailedError(
    `restored endpoint ${name} is still ${status}; its inference components and scaling were not restored yet`,
    'endpoint-not-ready',
  );
}

/** Re-registers scalable targets and target-tracking policies; what cannot be restored becomes a warning. */
async function restoreScaling(
  client: ApplicationAutoScalingClient,
  manifest: Manifest,
  endpointName: string,
  componentNames: Map<string, string>,
): Promise<string[]> {
  const warnings: string[] = [];
  for (const target of manifest.autoscaling.scalableTargets) {
    const resourceId = scalingResourceId(String(target.ResourceId), manifest.endpointName, endpointName, componentNames);
    try {
      await client.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'sagemaker',
          ResourceId: resourceId,
          ScalableDimension: target.ScalableDimension as ScalableDimension,
          MinCapacity: target.MinCapacity as number,
          MaxCapacity: target.MaxCapacity as number,
        }),
      );
    } catch (error) {
      warnings.push(`scalable target ${resourceId} not restored: ${errorName(error)}: ${errorMessage(error)}`);
    }
  }
  for (const policy of manifest.autoscaling.scalingPolicies ?? []) {
    const resourceId = scalingResourceId(String(policy.ResourceId), manifest.endpointName, endpointName, componentNames);
    if (policy.PolicyType !== 'TargetTrackingScaling') {
      warnings.push(`scaling policy ${String(policy.PolicyName)} (${String(policy.PolicyType)}) not restored: recreate it and its CloudWatch alarms by hand`);
      continue;
    }
    try {
      await client.send(
        new PutScalingPolicyCommand({
          PolicyName: String(policy.PolicyName),
          ServiceNamespace: 'sagemaker',
          ResourceId: resourceId,
          ScalableDimension: policy.ScalableDimension as ScalableDimension,
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: policy.TargetTrackingScalingPolicyConfiguration as never,
        }),
      );
    } catch (error) {
      warnings.push(`scaling policy ${String(policy.PolicyName)} not restored: ${errorName(error)}: ${errorMessage(error)}`);
    }
  }
  return warnings;
}
