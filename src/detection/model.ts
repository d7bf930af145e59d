/**
 * What detection knows about an endpoint, normalised from the SageMaker API shapes so the verdict
 * rules can be pure functions over plain data (and unit-tested without any AWS call).
 */
export interface ServerlessSettings {
  memorySizeInMB: number;
  maxConcurrency: number;
  provisionedConcurrency?: number;
}

/** A production (or shadow) variant as DescribeEndpoint reports it. */
export interface DescribedVariant {
  variantName: string;
  /** Instances running now; undefined when SageMaker did not report a count. */
  currentInstanceCount?: number;
  desiredInstanceCount?: number;
  serverless?: ServerlessSettings;
  /** Heterogeneous instance pools: DescribeEndpoint names the instance types itself, no config needed. */
  instancePools?: { instanceType: string; currentInstanceCount: number }[];
  shadow: boolean;
}

export interface DescribedEndpoint {
  endpointName: string;
  endpointArn: string;
  endpointConfigName?: string;
  status: string;
  creationTime: Date;
  lastModifiedTime: Date;
  variants: DescribedVariant[];
  /** DescribeEndpoint carries AsyncInferenceConfig for async endpoints. */
  isAsync: boolean;
}

/** The parts of DescribeEndpointConfig detection needs. */
export interface DescribedConfig {
  endpointConfigName: string;
  variants: { variantName: string; modelName?: string; instanceType?: string; serverless?: ServerlessSettings; shadow: boolean }[];
  isAsync: boolean;
  /** Set on configs made for inference components (their variants carry no ModelName). */
  executionRoleArn?: string;
  /** ISO time the config was created: with its name, what identifies it (configs are immutable). */
  creationTime?: string;
}

export interface InferenceComponentRef {
  inferenceComponentName: string;
  endpointName: string;
  variantName?: string;
  status?: string;
  creationTime?: Date;
  lastModifiedTime?: Date;
}

/** Invocation evidence for one endpoint over the lookback window. */
export interface WindowUsage {
  invocations: number;
  /** Start (UTC midnight) of the latest day in the window with invocations > 0. */
  lastInvokedDay?: Date;
  /** Set when CloudWatch could not answer for one of the endpoint's series. */
  error?: string;
}
