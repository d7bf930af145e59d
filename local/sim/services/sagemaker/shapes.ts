import { clone } from './input.ts';
import type { EndpointConfigRecord, EndpointRecord, InferenceComponentRecord, ModelRecord, VariantState } from './model.ts';

/**
 * Records rendered as the SageMaker API answers them. The one fidelity point that matters most to
 * detection: DescribeEndpoint's ProductionVariants (ProductionVariantSummary) carry counts, weights,
 * deployed images and serverless settings, but NO InstanceType; that lives in DescribeEndpointConfig.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantSummary.html
 */

function variantSummary(variant: VariantState): Record<string, unknown> {
  const spec = variant.spec;
  const out: Record<string, unknown> = { VariantName: spec.VariantName };
  if (variant.deployedImages.length > 0) out.DeployedImages = clone(variant.deployedImages).map((d) => ({ ...d, ResolutionTime: new Date(d.ResolutionTime) }));
  out.CurrentWeight = variant.currentWeight;
  out.DesiredWeight = variant.desiredWeight;
  if (spec.ServerlessConfig) {
    out.CurrentServerlessConfig = clone(spec.ServerlessConfig);
    out.DesiredServerlessConfig = clone(spec.ServerlessConfig);
  } else {
    out.CurrentInstanceCount = variant.currentInstanceCount;
    out.DesiredInstanceCount = variant.desiredInstanceCount;
  }
  if (spec.ManagedInstanceScaling) out.ManagedInstanceScaling = clone(spec.ManagedInstanceScaling);
  if (spec.RoutingConfig) out.RoutingConfig = clone(spec.RoutingConfig);
  return out;
}

export function describeEndpoint(endpoint: EndpointRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    EndpointName: endpoint.name,
    EndpointArn: endpoint.arn,
    EndpointConfigName: endpoint.configName,
  };
  // While Creating (or after a failed creation) nothing is deployed yet: AWS shows the pending deployment instead.
  if (endpoint.status === 'Creating') {
    out.PendingDeploymentSummary = {
      EndpointConfigName: endpoint.configName,
      ProductionVariants: endpoint.variants.map((v) => ({
        VariantName: v.spec.VariantName,
        ...(v.spec.ServerlessConfig
          ? { DesiredServerlessConfig: clone(v.spec.ServerlessConfig) }
          : { CurrentInstanceCount: v.currentInstanceCount, DesiredInstanceCount: v.desiredInstanceCount, InstanceType: v.spec.InstanceType }),
        DesiredWeight: v.desiredWeight,
        VariantStatus: [{ Status: 'Creating', StatusMessage: 'Launching instances and deploying the model', StartTime: endpoint.creationTime }],
      })),
      StartTime: endpoint.creationTime,
    };
  } else if (endpoint.status !== 'Failed') {
    out.ProductionVariants = endpoint.variants.map(variantSummary);
  }
  const capture = endpoint.deployedConfig.DataCaptureConfig as Record<string, unknown> | undefined;
  if (capture) {
    out.DataCaptureConfig = {
      EnableCapture: capture.EnableCapture ?? true,
      CaptureStatus: capture.EnableCapture === false ? 'Stopped' : 'Started',
      CurrentSamplingPercentage: capture.InitialSamplingPercentage,
      DestinationS3Uri: capture.DestinationS3Uri,
      KmsKeyId: capture.KmsKeyId ?? '',
    };
  }
  out.EndpointStatus = endpoint.status;
  if (endpoint.failureReason) out.FailureReason = endpoint.failureReason;
  out.CreationTime = endpoint.creationTime;
  out.LastModifiedTime = endpoint.lastModifiedTime;
  if (endpoint.deployedConfig.AsyncInferenceConfig) out.AsyncInferenceConfig = clone(endpoint.deployedConfig.AsyncInferenceConfig);
  return out;
}

export function endpointSummary(endpoint: EndpointRecord): Record<string, unknown> {
  return {
    EndpointName: endpoint.name,
    EndpointArn: endpoint.arn,
    CreationTime: endpoint.creationTime,
    LastModifiedTime: endpoint.lastModifiedTime,
    EndpointStatus: endpoint.status,
  };
}

export function describeEndpointConfig(config: EndpointConfigRecord): Record<string, unknown> {
  const { ProductionVariants, ...rest } = clone(config.spec);
  return {
    EndpointConfigName: config.name,
    EndpointConfigArn: config.arn,
    ProductionVariants,
    ...rest,
    CreationTime: config.creationTime,
  };
}

export function describeModel(model: ModelRecord): Record<string, unknown> {
  return { ModelName: model.name, ...clone(model.spec), CreationTime: model.creationTime, ModelArn: model.arn };
}

export function describeInferenceComponent(component: InferenceComponentRecord): Record<string, unknown> {
  const spec = clone(component.specification);
  const container = spec.Container as Record<string, unknown> | undefined;
  if (container) {
    // The summary reports the image as deployed (DeployedImage) rather than the requested Image.
    const { Image: image, ...restOfContainer } = container;
    spec.Container = {
      ...(typeof image === 'string' ? { DeployedImage: { SpecifiedImage: image, ResolvedImage: image, ResolutionTime: component.creationTime } } : {}),
      ...restOfContainer,
    };
  }
  const out: Record<string, unknown> = {
    InferenceComponentName: component.name,
    InferenceComponentArn: component.arn,
    EndpointName: component.endpointName,
    EndpointArn: component.endpointArn,
    VariantName: component.variantName,
  };
  if (component.failureReason) out.FailureReason = component.failureReason;
  out.Specification = spec;
  out.RuntimeConfig = { DesiredCopyCount: component.desiredCopyCount, CurrentCopyCount: component.currentCopyCount };
  out.CreationTime = component.creationTime;
  out.LastModifiedTime = component.lastModifiedTime;
  out.InferenceComponentStatus = component.status;
  return out;
}

export function inferenceComponentSummary(component: InferenceComponentRecord): Record<string, unknown> {
  return {
    CreationTime: component.creationTime,
    InferenceComponentArn: component.arn,
    InferenceComponentName: component.name,
    EndpointArn: component.endpointArn,
    EndpointName: component.endpointName,
    VariantName: component.variantName,
    InferenceComponentStatus: component.status,
    LastModifiedTime: component.lastModifiedTime,
  };
}
