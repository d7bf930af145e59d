import { createHash } from 'node:crypto';
import type {
  ContainerDefinition,
  CreateEndpointConfigInput,
  CreateInferenceComponentInput,
  CreateModelInput,
  ProductionVariant,
  S3ModelDataSource,
} from '@aws-sdk/client-sagemaker';
import { PreconditionFailedError } from '../../core/errors.ts';
import { TAG, WORKFLOW_TAG_PREFIX, ZOMBIE_VALUE, type TagMap } from '../../core/tags.ts';
import type { Manifest } from '../snapshot/manifest.ts';

/**
 * Restore, pure part: from a manifest to the exact Create* requests, with every artifact URI pointing
 * at its archived copy. Names: a model or config keeps its original name when that name is free or
 * already holds exactly what restore would create (a re-run); otherwise it becomes
 * `<name>-restored-<sweepId>` (shortened with a hash past SageMaker's 63 characters). Deletion keeps
 * models and configs by default, and those still point at the original artifacts, which may be gone:
 * restore never reuses them.
 */

type Json = Record<string, unknown>;

/** Source URI as the description wrote it -> where restore must point (archive copy, or the same URI for by-reference artifacts). */
export function uriMapOf(manifest: Manifest): Map<string, string> {
  const map = new Map<string, string>();
  for (const source of manifest.sources) map.set(source.uri, source.byReference || !source.archiveUri ? source.uri : source.archiveUri);
  return map;
}

function mapUri(map: Map<string, string>, uri: string, where: string): string {
  const target = map.get(uri);
  if (target === undefined) throw new PreconditionFailedError(`${where}: the manifest records no archived copy of ${uri}`, 'artifact-not-in-manifest');
  return target;
}

function rewriteS3Source(source: S3ModelDataSource, map: Map<string, string>, where: string): S3ModelDataSource {
  return clean({
    S3Uri: mapUri(map, source.S3Uri!, where),
    S3DataType: source.S3DataType,
    CompressionType: source.CompressionType,
    ModelAccessConfig: source.ModelAccessConfig,
    HubAccessConfig: source.HubAccessConfig,
    ManifestS3Uri: source.ManifestS3Uri ? mapUri(map, source.ManifestS3Uri, where) : undefined,
    // ETag/ManifestEtag describe the original objects; the archive copies have their own.
  }) as unknown as S3ModelDataSource;
}

const CONTAINER_FIELDS = [
  'ContainerHostname',
  'Image',
  'ImageConfig',
  'Mode',
  'Environment',
  'ModelPackageName',
  'InferenceSpecificationName',
  'MultiModelConfig',
  'ContainerMetricsConfig',
] as const;

export function rewriteContainer(container: ContainerDefinition, map: Map<string, string>, where: string): ContainerDefinition {
  const out: Json = {};
  for (const field of CONTAINER_FIELDS) if (container[field] !== undefined) out[field] = container[field];
  if (container.ModelDataUrl) out.ModelDataUrl = mapUri(map, container.ModelDataUrl, `${where}.ModelDataUrl`);
  if (container.ModelDataSource?.S3DataSource)
    out.ModelDataSource = { S3DataSource: rewriteS3Source(container.ModelDataSource.S3DataSource, map, `${where}.ModelDataSource`) };
  if (container.AdditionalModelDataSources?.length) {
    out.AdditionalModelDataSources = container.AdditionalModelDataSources.map((extra, i) => ({
      ChannelName: extra.ChannelName,
      S3DataSource: rewriteS3Source(extra.S3DataSource!, map, `${where}.AdditionalModelDataSources[${i}]`),
    }));
  }
  return out;
}

/** The CreateModel request (without name and tags) that rebuilds a described model on archived artifacts. */
export function modelSpecOf(described: Json, map: Map<string, string>): Omit<CreateModelInput, 'ModelName' | 'Tags'> {
  const name = String(described.ModelName);
  const primary = described.PrimaryContainer as ContainerDefinition | undefined;
  const containers = described.Containers as ContainerDefinition[] | undefined;
  return clean({
    PrimaryContainer: primary ? rewriteContainer(primary, map, `model ${name} PrimaryContainer`) : undefined,
    Containers: containers?.length ? containers.map((c, i) => rewriteContainer(c, map, `model ${name} Containers[${i}]`)) : undefined,
    InferenceExecutionConfig: described.InferenceExecutionConfig,
    ExecutionRoleArn: described.ExecutionRoleArn,
    VpcConfig: described.VpcConfig,
    EnableNetworkIsolation: described.EnableNetworkIsolation,
  });
}

/** Whether an existing model (DescribeModel) is exactly what restore would create. */
export function sameModel(existing: Json, desired: Omit<CreateModelInput, 'ModelName' | 'Tags'>): boolean {
  const normalize = (model: Json) => {
    const containers = ((model.PrimaryContainer ? [model.PrimaryContainer] : (model.Containers ?? [])) as ContainerDefinition[]).map((c) => {
      const copy = { ...c } as Json;
      if (copy.Mode === 'SingleModel') delete copy.Mode;
      if (copy.Environment && Object.keys(copy.Environment).length === 0) delete copy.Environment;
      const source = (copy.ModelDataSource as { S3DataSource?: Json } | undefined)?.S3DataSource;
      if (source) copy.ModelDataSource = { S3DataSource: { ...source, ETag: undefined, ManifestEtag: undefined } };
      return copy;
    });
    return canonical({
      containers,
      role: model.ExecutionRoleArn,
      vpc: model.VpcConfig,
      isolation: model.EnableNetworkIsolation ?? false,
      execution: model.InferenceExecutionConfig,
    });
  };
  return normalize(existing) === normalize(desired);
}

const VARIANT_DROP = new Set<string>([
  'CurrentInstanceCount',
  'DesiredInstanceCount',
  'CurrentWeight',
  'DesiredWeight',
  'DeployedImages',
  'CurrentServerlessConfig',
  'DesiredServerlessConfig',
  'VariantStatus',
]);

function variantSpec(variant: Json, modelNames: Map<string, string>): ProductionVariant {
  const out: Json = {};
  for (const [key, value] of Object.entries(variant)) if (!VARIANT_DROP.has(key) && value !== undefined) out[key] = value;
  if (typeof variant.ModelName === 'string') out.ModelName = modelNames.get(variant.ModelName) ?? variant.ModelName;
  return out as unknown as ProductionVariant;
}

const CONFIG_FIELDS = [
  'DataCaptureConfig',
  'KmsKeyId',
  'AsyncInferenceConfig',
  'ExplainerConfig',
  'ExecutionRoleArn',
  'VpcConfig',
  'EnableNetworkIsolation',
  'MetricsConfig',
] as const;

/** The CreateEndpointConfig request (without name and tags): same variants, instance types and counts, serverless and async settings. */
export function endpointConfigSpecOf(described: Json, modelNames: Map<string, string>): Omit<CreateEndpointConfigInput, 'EndpointConfigName' | 'Tags'> {
  const out: Json = {};
  for (const field of CONFIG_FIELDS) if (described[field] !== undefined) out[field] = described[field];
  out.ProductionVariants = ((described.ProductionVariants ?? []) as Json[]).map((v) => variantSpec(v, modelNames));
  const shadows = (described.ShadowProductionVariants ?? []) as Json[];
  if (shadows.length > 0) out.ShadowProductionVariants = shadows.map((v) => variantSpec(v, modelNames));
  return out as unknown as Omit<CreateEndpointConfigInput, 'EndpointConfigName' | 'Tags'>;
}

export function sameEndpointConfig(existing: Json, desired: Omit<CreateEndpointConfigInput, 'EndpointConfigName' | 'Tags'>): boolean {
  const normalize = (config: Json) => {
    const picked: Json = {};
    for (const field of [...CONFIG_FIELDS, 'ProductionVariants', 'ShadowProductionVariants']) picked[field] = config[field];
    picked.ProductionVariants = ((config.ProductionVariants ?? []) as Json[]).map((v) => variantSpec(v, new Map()));
    picked.ShadowProductionVariants = ((config.ShadowProductionVariants ?? []) as Json[]).map((v) => variantSpec(v, new Map()));
    return canonical(picked);
  };
  return normalize(existing) === normalize(desired);
}

/** Inference components in creation order (a base component before the adapters built on it). */
export function componentSpecsOf(
  manifest: Manifest,
  map: Map<string, string>,
  modelNames: Map<string, string>,
  componentNames: Map<string, string>,
  endpointName: string,
): CreateInferenceComponentInput[] {
  const described = manifest.inferenceComponents as Json[];
  const ordered = [...described].sort((a, b) => Number(Boolean(specOf(a).BaseInferenceComponentName)) - Number(Boolean(specOf(b).BaseInferenceComponentName)));
  return ordered.map((component) => {
    const name = String(component.InferenceComponentName);
    const spec = specOf(component);
    const container = spec.Container as Json | undefined;
    const runtime = (component.RuntimeConfig ?? {}) as Json;
    return clean({
      InferenceComponentName: componentNames.get(name) ?? name,
      EndpointName: endpointName,
      VariantName: component.VariantName,
      Specification: clean({
        ModelName: typeof spec.ModelName === 'string' ? (modelNames.get(spec.ModelName) ?? spec.ModelName) : undefined,
        Container: container
          ? clean({
              Image: (container.DeployedImage as Json | undefined)?.SpecifiedImage ?? container.Image,
              ArtifactUrl: typeof container.ArtifactUrl === 'string' ? mapUri(map, container.ArtifactUrl, `inference component ${name}`) : undefined,
              Environment: container.Environment,
            })
          : undefined,
        StartupParameters: spec.StartupParameters,
        ComputeResourceRequirements: spec.ComputeResourceRequirements,
        BaseInferenceComponentName:
          typeof spec.BaseInferenceComponentName === 'string'
            ? (componentNames.get(spec.BaseInferenceComponentName) ?? spec.BaseInferenceComponentName)
            : undefined,
      }),
      RuntimeConfig: { CopyCount: Number(runtime.DesiredCopyCount ?? runtime.CurrentCopyCount ?? 1) },
    }) as unknown as CreateInferenceComponentInput;
  });
}

function specOf(component: Json): Json {
  return (component.Specification ?? {}) as Json;
}

/**
 * The restored endpoint's tags: the owner's own tags as they were, without the workflow's `zombie*`
 * keys (and AWS-reserved `aws:` keys, which cannot be set), plus `zombie=restored` and the manifest it came from.
 */
export function restoredTags(original: TagMap, manifestUri: string): TagMap {
  const tags: TagMap = {};
  for (const [key, value] of Object.entries(original)) {
    if (key.startsWith(WORKFLOW_TAG_PREFIX) || key.startsWith('aws:')) continue;
    tags[key] = value;
  }
  tags[TAG.zombie] = ZOMBIE_VALUE.restored;
  tags[TAG.snapshot] = manifestUri;
  return tags;
}

const NAME_LIMIT = 63;

/** `<name>-restored-<sweepId>`, shortened to SageMaker's 63 characters with a stable hash when needed. */
export function restoredName(original: string, sweepId: string): string {
  const plain = `${original}-restored-${sweepId}`;
  if (plain.length <= NAME_LIMIT) return plain;
  const tail = `-restored-${createHash('sha256').update(`${original}\n${sweepId}`).digest('hex').slice(0, 8)}`;
  return `${original.slice(0, NAME_LIMIT - tail.length).replace(/-+$/, '')}${tail}`;
}

/** Application Auto Scaling resource ids follow the endpoint's (and components') new names. */
export function scalingResourceId(resourceId: string, originalEndpoint: string, endpointName: string, componentNames: Map<string, string>): string {
  const variant = /^endpoint\/([^/]+)\/variant\/(.+)$/.exec(resourceId);
  if (variant && variant[1] === originalEndpoint) return `endpoint/${endpointName}/variant/${variant[2]}`;
  const component = /^inference-component\/(.+)$/.exec(resourceId);
  if (component) return `inference-component/${componentNames.get(component[1]!) ?? component[1]}`;
  return resourceId;
}

function clean(value: Json): Json {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** JSON with sorted keys, for structural comparison. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Json)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
