import type {
  ContainerDefinition,
  DescribeEndpointConfigOutput,
  DescribeEndpointOutput,
  DescribeInferenceComponentOutput,
  DescribeModelOutput,
  DescribeModelPackageOutput,
  ModelPackageContainerDefinition,
  S3ModelDataSource,
} from '@aws-sdk/client-sagemaker';
import type { ScalableTarget, ScalingPolicy } from '@aws-sdk/client-application-auto-scaling';
import type { TagMap } from '../../core/tags.ts';
import { SnapshotFailedError } from '../../core/errors.ts';
import { archiveKeyOf, isAwsOwnedBucket, MAX_KEY_BYTES, parseArtifactUri, type S3Location } from './locations.ts';

/** Everything SageMaker and Application Auto Scaling say about the endpoint, as captured for the manifest. */
export interface EndpointDescriptions {
  endpoint: DescribeEndpointOutput;
  endpointConfig: DescribeEndpointConfigOutput;
  models: DescribeModelOutput[];
  modelPackages: ModelPackageRecord[];
  inferenceComponents: DescribeInferenceComponentOutput[];
  tags: TagMap;
  scalableTargets: ScalableTarget[];
  /** Undefined when the service would not describe them (recorded in notes). */
  scalingPolicies?: ScalingPolicy[];
  notes: string[];
}

export interface ModelPackageRecord {
  modelPackageName: string;
  description?: DescribeModelPackageOutput;
  /** Why the package is recorded by reference only (AWS-owned, or not describable). */
  byReferenceReason?: string;
}

/** One thing to archive: a single object, or every object under a prefix (S3Prefix, multi-model). */
export interface ArtifactSource {
  kind: 'object' | 'prefix';
  /** The URI exactly as the description spells it, so restore can map it to its archive copy. */
  uri: string;
  /** Set when the artifact is recorded, not copied. */
  byReference?: string;
  location?: S3Location;
  /** Archive key of the object, or archive prefix of the tree. */
  archiveKey?: string;
  /** Which description fields point at it, e.g. `model/fraud-v2/PrimaryContainer/ModelDataUrl`. */
  usedBy: string[];
  /** A multi-model prefix may legitimately hold no models yet; any other empty prefix means lost artifacts. */
  allowEmpty?: boolean;
}

interface Reference {
  kind: 'object' | 'prefix';
  uri: string;
  usedBy: string;
  allowEmpty?: boolean;
}

function fromS3DataSource(source: S3ModelDataSource | undefined, where: string): Reference[] {
  if (!source?.S3Uri) return [];
  const refs: Reference[] = [{ kind: source.S3DataType === 'S3Prefix' ? 'prefix' : 'object', uri: source.S3Uri, usedBy: `${where}/S3Uri` }];
  if (source.ManifestS3Uri) refs.push({ kind: 'object', uri: source.ManifestS3Uri, usedBy: `${where}/ManifestS3Uri` });
  return refs;
}

function fromContainer(container: ContainerDefinition | ModelPackageContainerDefinition, where: string, multiModel: boolean): Reference[] {
  const refs: Reference[] = [];
  // A multi-model container's ModelDataUrl is the prefix its models are loaded from (SageMaker
  // Developer Guide, "Multi-model endpoints"), so the whole tree is the artifact.
  if (container.ModelDataUrl)
    refs.push({
      kind: multiModel ? 'prefix' : 'object',
      uri: container.ModelDataUrl,
      usedBy: `${where}/ModelDataUrl`,
      ...(multiModel ? { allowEmpty: true } : {}),
    });
  refs.push(...fromS3DataSource(container.ModelDataSource?.S3DataSource, `${where}/ModelDataSource/S3DataSource`));
  (container.AdditionalModelDataSources ?? []).forEach((extra, index) => {
    refs.push(...fromS3DataSource(extra.S3DataSource, `${where}/AdditionalModelDataSources[${index}]/S3DataSource`));
  });
  return refs;
}

function modelReferences(model: DescribeModelOutput, packages: readonly ModelPackageRecord[]): Reference[] {
  const refs: Reference[] = [];
  const containers = model.PrimaryContainer ? [{ container: model.PrimaryContainer, path: 'PrimaryContainer' }] : [];
  (model.Containers ?? []).forEach((container, index) => containers.push({ container, path: `Containers[${index}]` }));
  for (const { container, path } of containers) {
    const where = `model/${model.ModelName}/${path}`;
    refs.push(...fromContainer(container, where, container.Mode === 'MultiModel'));
    if (container.ModelPackageName) {
      const record = packages.find((p) => p.modelPackageName === container.ModelPackageName);
      (record?.description?.InferenceSpecification?.Containers ?? []).forEach((pc, index) => {
        refs.push(...fromContainer(pc, `model-package/${container.ModelPackageName}/Containers[${index}]`, false));
      });
    }
  }
  return refs;
}

function componentReferences(component: DescribeInferenceComponentOutput): Reference[] {
  const specs = [component.Specification, ...(component.Specifications ?? [])];
  const refs: Reference[] = [];
  specs.forEach((spec, index) => {
    const url = spec?.Container?.ArtifactUrl;
    const path = index === 0 ? 'Specification' : `Specifications[${index - 1}]`;
    if (url) refs.push({ kind: 'object', uri: url, usedBy: `inference-component/${component.InferenceComponentName}/${path}/Container/ArtifactUrl` });
  });
  return refs;
}

/**
 * Every artifact the endpoint depends on, deduplicated by (kind, URI), in a stable order. Pure: the
 * same descriptions always give the same list, which the resumable copy loop indexes into.
 */
export function discoverArtifacts(descriptions: EndpointDescriptions, artifactPrefix: string, extraAwsOwned: readonly RegExp[] = []): ArtifactSource[] {
  const refs: Reference[] = [];
  for (const model of descriptions.models) refs.push(...modelReferences(model, descriptions.modelPackages));
  for (const component of descriptions.inferenceComponents) refs.push(...componentReferences(component));

  const byId = new Map<string, ArtifactSource>();
  for (const ref of refs) {
    const id = `${ref.kind} ${ref.uri}`;
    const existing = byId.get(id);
    if (existing) {
      existing.usedBy.push(ref.usedBy);
      if (!ref.allowEmpty) delete existing.allowEmpty;
      continue;
    }
    byId.set(id, toSource(ref, artifactPrefix, extraAwsOwned));
  }
  return [...byId.values()];
}

function toSource(ref: Reference, artifactPrefix: string, extraAwsOwned: readonly RegExp[]): ArtifactSource {
  const location = parseArtifactUri(ref.uri);
  if (!location) {
    throw new SnapshotFailedError(`${ref.usedBy} points at ${JSON.stringify(ref.uri)}, which is not an S3 location the snapshot can archive`);
  }
  if (isAwsOwnedBucket(location.bucket, extraAwsOwned)) {
    return { kind: ref.kind, uri: ref.uri, location, usedBy: [ref.usedBy], byReference: `bucket ${location.bucket} is owned and kept by AWS (JumpStart)` };
  }
  const archiveKey = archiveKeyOf(artifactPrefix, location);
  const allowEmpty = ref.allowEmpty ? { allowEmpty: true } : {};
  if (Buffer.byteLength(archiveKey, 'utf8') > MAX_KEY_BYTES) {
    throw new SnapshotFailedError(`${ref.usedBy}: the archive key for ${ref.uri} would exceed S3's ${MAX_KEY_BYTES}-byte key limit`);
  }
  return { kind: ref.kind, uri: ref.uri, location, archiveKey, usedBy: [ref.usedBy], ...allowEmpty };
}

/** Model packages the models refer to (their containers are described and archived too). */
export function modelPackageNames(models: readonly DescribeModelOutput[]): string[] {
  const names = new Set<string>();
  for (const model of models) {
    for (const container of [model.PrimaryContainer, ...(model.Containers ?? [])]) {
      if (container?.ModelPackageName) names.add(container.ModelPackageName);
    }
  }
  return [...names];
}

/** The models an endpoint runs: its variants' (and shadow variants') models plus its inference components' models. */
export function modelNamesOf(config: DescribeEndpointConfigOutput, components: readonly DescribeInferenceComponentOutput[]): string[] {
  const names = new Set<string>();
  for (const variant of [...(config.ProductionVariants ?? []), ...(config.ShadowProductionVariants ?? [])]) if (variant.ModelName) names.add(variant.ModelName);
  for (const component of components) {
    for (const spec of [component.Specification, ...(component.Specifications ?? [])]) if (spec?.ModelName) names.add(spec.ModelName);
  }
  return [...names];
}
