/**
 * The simulated SageMaker's resources. Create inputs are kept in their API shape (minus name and tags)
 * so Describe answers carry every field a caller set, exactly as AWS echoes them back.
 * Shapes: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html and
 * API_DescribeEndpointConfig.html, API_DescribeModel.html, API_DescribeInferenceComponent.html.
 */
export type EndpointStatus =
  'OutOfService' | 'Creating' | 'Updating' | 'SystemUpdating' | 'RollingBack' | 'InService' | 'Deleting' | 'Failed' | 'UpdateRollbackFailed';
export const ENDPOINT_STATUSES: readonly EndpointStatus[] = [
  'OutOfService',
  'Creating',
  'Updating',
  'SystemUpdating',
  'RollingBack',
  'InService',
  'Deleting',
  'Failed',
  'UpdateRollbackFailed',
];

export type InferenceComponentStatus = 'InService' | 'Creating' | 'Updating' | 'Failed' | 'Deleting';
export const INFERENCE_COMPONENT_STATUSES: readonly InferenceComponentStatus[] = ['InService', 'Creating', 'Updating', 'Failed', 'Deleting'];

export interface Tag {
  Key: string;
  Value: string;
}

export interface ServerlessConfig {
  MemorySizeInMB: number;
  MaxConcurrency: number;
  ProvisionedConcurrency?: number;
}

/** A production variant as CreateEndpointConfig takes it (the fields the simulator reads; others are kept verbatim). */
export interface ProductionVariantSpec {
  VariantName: string;
  ModelName?: string;
  InitialInstanceCount?: number;
  InstanceType?: string;
  InitialVariantWeight?: number;
  ServerlessConfig?: ServerlessConfig;
  ManagedInstanceScaling?: { Status?: string; MinInstanceCount?: number; MaxInstanceCount?: number };
  RoutingConfig?: { RoutingStrategy: string };
  [field: string]: unknown;
}

export interface ModelRecord {
  name: string;
  arn: string;
  creationTime: Date;
  /** CreateModel input without ModelName and Tags. */
  spec: Record<string, unknown>;
}

export interface EndpointConfigRecord {
  name: string;
  arn: string;
  creationTime: Date;
  /** CreateEndpointConfig input without EndpointConfigName and Tags. */
  spec: Record<string, unknown> & { ProductionVariants: ProductionVariantSpec[] };
}

export interface DeployedImage {
  SpecifiedImage: string;
  ResolvedImage: string;
  ResolutionTime: Date;
}

/** What is running for one variant (counts move with auto scaling; the config keeps the initial ones). */
export interface VariantState {
  spec: ProductionVariantSpec;
  currentInstanceCount?: number;
  desiredInstanceCount?: number;
  currentWeight: number;
  desiredWeight: number;
  deployedImages: DeployedImage[];
}

export interface EndpointRecord {
  name: string;
  arn: string;
  configName: string;
  status: EndpointStatus;
  failureReason?: string;
  creationTime: Date;
  lastModifiedTime: Date;
  variants: VariantState[];
  /**
   * The endpoint config as it was when the endpoint was created. AWS lets a config be deleted while an
   * endpoint still runs it; the endpoint keeps serving (and describing) what it was deployed with.
   */
  deployedConfig: EndpointConfigRecord['spec'];
  /** Wall-clock ms (Date.now) when Creating or Deleting completes. */
  transitionAt?: number;
}

export interface InferenceComponentRecord {
  name: string;
  arn: string;
  endpointName: string;
  endpointArn: string;
  variantName: string;
  status: InferenceComponentStatus;
  failureReason?: string;
  creationTime: Date;
  lastModifiedTime: Date;
  /** CreateInferenceComponent's Specification, verbatim. */
  specification: Record<string, unknown>;
  desiredCopyCount: number;
  currentCopyCount: number;
  transitionAt?: number;
}

export interface SageMakerState {
  /** Keyed by lower-cased name: SageMaker names are unique regardless of case (ARNs are lower-cased). */
  models: Map<string, ModelRecord>;
  endpointConfigs: Map<string, EndpointConfigRecord>;
  endpoints: Map<string, EndpointRecord>;
  inferenceComponents: Map<string, InferenceComponentRecord>;
  /** Keyed by lower-cased resource ARN. */
  tags: Map<string, Map<string, string>>;
}

export type ResourceKind = 'model' | 'endpoint-config' | 'endpoint' | 'inference-component';

/** SageMaker lower-cases the resource name in every ARN it returns (e.g. endpoint/my-endpoint for "My-Endpoint"). */
export function sagemakerArn(region: string, accountId: string, kind: ResourceKind, name: string): string {
  return `arn:aws:sagemaker:${region}:${accountId}:${kind}/${name.toLowerCase()}`;
}

/** Endpoint, config and model names: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html */
export const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html */
export const INFERENCE_COMPONENT_NAME_PATTERN = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
export const VARIANT_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const ARN_PATTERN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+$/;
