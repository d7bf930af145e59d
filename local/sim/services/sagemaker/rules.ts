import { SimError } from '../../protocol.ts';
import type { EndpointConfigRecord, ProductionVariantSpec, Tag } from './model.ts';
import { VARIANT_NAME_PATTERN } from './model.ts';

/**
 * SageMaker's create-time rules for models, endpoint configs and tags, shared by the API handlers and
 * the scenario loader (a scenario cannot seed what AWS would refuse to create).
 */

const invalid = (message: string) => new SimError('ValidationException', message);

/** https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html and AddTags (50 tags per resource). */
export const MAX_TAGS_PER_RESOURCE = 50;
const TAG_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

export function validateTags(tags: Tag[], otherExistingKeys: number): void {
  for (const [index, tag] of tags.entries()) {
    const at = `tags.${index + 1}`;
    if (typeof tag?.Key !== 'string' || tag.Key.length < 1 || tag.Key.length > 128 || !TAG_PATTERN.test(tag.Key)) {
      throw invalid(
        `1 validation error detected: Value '${String(tag?.Key)}' at '${at}.member.key' failed to satisfy constraint: Member must have length between 1 and 128 and satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)`,
      );
    }
    if (typeof tag.Value !== 'string' || tag.Value.length > 256 || !TAG_PATTERN.test(tag.Value)) {
      throw invalid(
        `1 validation error detected: Value '${String(tag.Value)}' at '${at}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256 and satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)`,
      );
    }
    if (tag.Key.toLowerCase().startsWith('aws:')) throw invalid(`Tag keys starting with 'aws:' are reserved for system use (key: ${tag.Key}).`);
  }
  const distinct = new Set(tags.map((t) => t.Key)).size;
  if (otherExistingKeys + distinct > MAX_TAGS_PER_RESOURCE) {
    throw invalid(`A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would give it ${otherExistingKeys + distinct}.`);
  }
}

function validateS3DataSource(source: unknown, at: string): void {
  const s = source as Record<string, unknown> | undefined;
  if (!s || typeof s.S3Uri !== 'string' || !s.S3Uri.startsWith('s3://')) throw invalid(`${at}.S3Uri must be an s3:// URI.`);
  if (s.S3DataType !== 'S3Prefix' && s.S3DataType !== 'S3Object') throw invalid(`${at}.S3DataType must be S3Prefix or S3Object.`);
  if (s.CompressionType !== 'None' && s.CompressionType !== 'Gzip') throw invalid(`${at}.CompressionType must be None or Gzip.`);
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3ModelDataSource.html: Gzip means one tar.gz object.
  if (s.CompressionType === 'Gzip' && s.S3DataType !== 'S3Object') throw invalid(`${at}: CompressionType Gzip requires S3DataType S3Object.`);
  if (s.S3DataType === 'S3Prefix' && !s.S3Uri.endsWith('/')) throw invalid(`${at}.S3Uri must end with "/" when S3DataType is S3Prefix.`);
}

function validateContainer(container: unknown, at: string): void {
  const c = container as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object') throw invalid(`${at} must be a container definition.`);
  if (typeof c.Image !== 'string' && typeof c.ModelPackageName !== 'string') throw invalid(`${at} must specify Image or ModelPackageName.`);
  if (c.ModelDataUrl !== undefined && c.ModelDataSource !== undefined) throw invalid(`${at}: specify either ModelDataUrl or ModelDataSource, not both.`);
  if (c.ModelDataUrl !== undefined && (typeof c.ModelDataUrl !== 'string' || !/^(s3|https):\/\//.test(c.ModelDataUrl)))
    throw invalid(`${at}.ModelDataUrl must be an s3:// or https:// URL.`);
  if (c.Mode !== undefined && c.Mode !== 'SingleModel' && c.Mode !== 'MultiModel') throw invalid(`${at}.Mode must be SingleModel or MultiModel.`);
  if (c.ModelDataSource !== undefined) validateS3DataSource((c.ModelDataSource as Record<string, unknown>).S3DataSource, `${at}.ModelDataSource.S3DataSource`);
  const additional = c.AdditionalModelDataSources;
  if (additional !== undefined) {
    if (!Array.isArray(additional)) throw invalid(`${at}.AdditionalModelDataSources must be a list.`);
    additional.forEach((a: Record<string, unknown>, i) => {
      if (typeof a?.ChannelName !== 'string') throw invalid(`${at}.AdditionalModelDataSources.${i + 1}.ChannelName is required.`);
      validateS3DataSource(a.S3DataSource, `${at}.AdditionalModelDataSources.${i + 1}.S3DataSource`);
    });
  }
}

/** CreateModel: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html */
export function validateModelSpec(spec: Record<string, unknown>): void {
  const { PrimaryContainer: primary, Containers: containers } = spec;
  if (primary !== undefined && containers !== undefined) throw invalid('Specify either PrimaryContainer or Containers, not both.');
  if (primary === undefined && containers === undefined) throw invalid('A model needs a PrimaryContainer or Containers.');
  if (primary !== undefined) validateContainer(primary, 'PrimaryContainer');
  if (containers !== undefined) {
    if (!Array.isArray(containers) || containers.length < 1 || containers.length > 15)
      throw invalid("1 validation error detected: Value at 'containers' failed to satisfy constraint: Member must have length between 1 and 15");
    containers.forEach((c, i) => validateContainer(c, `Containers.${i + 1}`));
  }
}

/**
 * CreateEndpointConfig: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html
 * Instance variants need InstanceType and InitialInstanceCount; serverless variants a ServerlessConfig
 * and no instance type; inference-component configs set ExecutionRoleArn and leave ModelName out.
 */
export function validateEndpointConfigSpec(spec: Record<string, unknown>, requireModel: (name: string) => void): EndpointConfigRecord['spec'] {
  const variants = spec.ProductionVariants;
  if (!Array.isArray(variants))
    throw invalid("1 validation error detected: Value null at 'productionVariants' failed to satisfy constraint: Member must not be null");
  if (variants.length < 1 || variants.length > 10)
    throw invalid("1 validation error detected: Value at 'productionVariants' failed to satisfy constraint: Member must have length between 1 and 10");
  const forComponents = typeof spec.ExecutionRoleArn === 'string';
  const names = new Set<string>();
  for (const [index, raw] of (variants as ProductionVariantSpec[]).entries()) {
    const at = `productionVariants.${index + 1}.member`;
    if (typeof raw?.VariantName !== 'string' || !VARIANT_NAME_PATTERN.test(raw.VariantName)) {
      throw invalid(
        `1 validation error detected: Value '${String(raw?.VariantName)}' at '${at}.variantName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
      );
    }
    if (names.has(raw.VariantName)) throw invalid(`The variant name ${raw.VariantName} is used more than once in the endpoint configuration.`);
    names.add(raw.VariantName);
    if (raw.ServerlessConfig) {
      const s = raw.ServerlessConfig;
      if (raw.InstanceType !== undefined || raw.InitialInstanceCount !== undefined)
        throw invalid(`Variant ${raw.VariantName}: ServerlessConfig cannot be combined with InstanceType or InitialInstanceCount.`);
      if (![1024, 2048, 3072, 4096, 5120, 6144].includes(s.MemorySizeInMB))
        throw invalid(`Variant ${raw.VariantName}: ServerlessConfig.MemorySizeInMB must be one of 1024, 2048, 3072, 4096, 5120, 6144.`);
      if (!Number.isInteger(s.MaxConcurrency) || s.MaxConcurrency < 1 || s.MaxConcurrency > 200)
        throw invalid(`Variant ${raw.VariantName}: ServerlessConfig.MaxConcurrency must be from 1 to 200.`);
      if (
        s.ProvisionedConcurrency !== undefined &&
        (!Number.isInteger(s.ProvisionedConcurrency) || s.ProvisionedConcurrency < 1 || s.ProvisionedConcurrency > s.MaxConcurrency)
      ) {
        throw invalid(`Variant ${raw.VariantName}: ServerlessConfig.ProvisionedConcurrency must be from 1 to MaxConcurrency.`);
      }
    } else {
      if (typeof raw.InstanceType !== 'string' || !raw.InstanceType.startsWith('ml.'))
        throw invalid(`Variant ${raw.VariantName}: InstanceType is required for instance-based variants (for example ml.m5.large).`);
      if (!Number.isInteger(raw.InitialInstanceCount) || (raw.InitialInstanceCount as number) < 1)
        throw invalid(`Variant ${raw.VariantName}: InitialInstanceCount must be an integer of at least 1.`);
    }
    if (forComponents) {
      if (raw.ModelName !== undefined)
        throw invalid(`Variant ${raw.VariantName}: an endpoint configuration with ExecutionRoleArn hosts inference components and must not name a model.`);
      if (raw.ServerlessConfig) throw invalid(`Variant ${raw.VariantName}: inference components are not supported on serverless variants.`);
    } else {
      if (typeof raw.ModelName !== 'string') throw invalid(`Variant ${raw.VariantName}: ModelName is required.`);
      requireModel(raw.ModelName);
    }
  }
  if (spec.AsyncInferenceConfig !== undefined) {
    const output = (spec.AsyncInferenceConfig as Record<string, unknown>).OutputConfig as Record<string, unknown> | undefined;
    if (!output || (typeof output.S3OutputPath !== 'string' && typeof output.S3FailurePath !== 'string'))
      throw invalid('AsyncInferenceConfig.OutputConfig needs S3OutputPath or S3FailurePath.');
    if ((variants as ProductionVariantSpec[]).some((v) => v.ServerlessConfig))
      throw invalid('Asynchronous inference is not supported with serverless variants.');
  }
  return spec as EndpointConfigRecord['spec'];
}
