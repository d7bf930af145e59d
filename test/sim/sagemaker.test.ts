import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteInferenceComponentCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeInferenceComponentCommand,
  DescribeModelCommand,
  ListInferenceComponentsCommand,
  SageMakerClient,
  SageMakerServiceException,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { sagemakerSettings, sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { MGMT, smallOrg } from './core-fixtures.ts';

const REGION = 'us-east-1';
const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-gpu-py310';
const ROLE_ARN = `arn:aws:iam::${MGMT}:role/sagemaker-execution`;

let sim: Simulator;
let sm: SageMakerClient;

beforeAll(async () => {
  const world = smallOrg();
  sagemakerSettings(world).transitionDelayMs = 40;
  sim = await startSimulator({ world });
  sm = new SageMakerClient({ ...sim.clientConfig(REGION), maxAttempts: 1 });
});
afterAll(async () => {
  sm.destroy();
  await sim.stop();
});

async function waitForStatus(name: string, wanted: string | 'gone'): Promise<DescribeEndpointCommandOutput | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const out = await sm.send(new DescribeEndpointCommand({ EndpointName: name }));
      if (out.EndpointStatus === wanted) return out;
    } catch (error) {
      if (wanted === 'gone' && (error as Error).message.startsWith('Could not find endpoint')) return undefined;
      throw error;
    }
    if (Date.now() > deadline) throw new Error(`${name} never reached ${wanted}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function errorOf(promise: Promise<unknown>): Promise<SageMakerServiceException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SageMakerServiceException);
    return error as SageMakerServiceException;
  }
  throw new Error('expected the call to fail');
}

describe('SageMaker endpoint lifecycle through the SDK', () => {
  it('creates a model, config and endpoint, goes Creating -> InService, and describes them as AWS does', async () => {
    await sm.send(
      new CreateModelCommand({
        ModelName: 'Fraud-Model',
        ExecutionRoleArn: ROLE_ARN,
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataSource: { S3DataSource: { S3Uri: 's3://models/fraud/', S3DataType: 'S3Prefix', CompressionType: 'None' } },
          AdditionalModelDataSources: [
            { ChannelName: 'draft', S3DataSource: { S3Uri: 's3://models/draft/model.tar.gz', S3DataType: 'S3Object', CompressionType: 'Gzip' } },
          ],
        },
        Tags: [{ Key: 'team', Value: 'fraud' }],
      }),
    );
    const config = await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'fraud-config',
        ProductionVariants: [
          { VariantName: 'blue', ModelName: 'Fraud-Model', InstanceType: 'ml.g4dn.xlarge', InitialInstanceCount: 2, InitialVariantWeight: 0.5 },
          { VariantName: 'green', ModelName: 'Fraud-Model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 0.5 },
        ],
      }),
    );
    expect(config.EndpointConfigArn).toBe(`arn:aws:sagemaker:${REGION}:${MGMT}:endpoint-config/fraud-config`);
    const settings = sagemakerSettings(sim.world);
    settings.transitionDelayMs = 60_000;
    const created = await sm.send(new CreateEndpointCommand({ EndpointName: 'Fraud-Detector', EndpointConfigName: 'fraud-config' }));
    settings.transitionDelayMs = 40;
    // SageMaker lower-cases the name inside ARNs.
    expect(created.EndpointArn).toBe(`arn:aws:sagemaker:${REGION}:${MGMT}:endpoint/fraud-detector`);

    const creating = await sm.send(new DescribeEndpointCommand({ EndpointName: 'Fraud-Detector' }));
    expect(creating.EndpointStatus).toBe('Creating');
    expect(creating.ProductionVariants).toBeUndefined();
    expect(creating.PendingDeploymentSummary?.ProductionVariants?.map((v) => v.VariantName)).toEqual(['blue', 'green']);
    sagemakerStore(sim.world, MGMT, REGION).completePendingTransitions(40);

    const ready = (await waitForStatus('Fraud-Detector', 'InService'))!;
    expect(ready.EndpointName).toBe('Fraud-Detector');
    expect(ready.EndpointConfigName).toBe('fraud-config');
    expect(ready.CreationTime).toBeInstanceOf(Date);
    expect(ready.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(ready.CreationTime!.getTime());
    const [blue, green] = ready.ProductionVariants!;
    expect(blue).toMatchObject({ VariantName: 'blue', CurrentInstanceCount: 2, DesiredInstanceCount: 2, CurrentWeight: 0.5, DesiredWeight: 0.5 });
    expect(green).toMatchObject({ VariantName: 'green', CurrentInstanceCount: 1 });
    expect(blue!.DeployedImages?.[0]?.SpecifiedImage).toBe(IMAGE);
    expect(blue!.DeployedImages?.[0]?.ResolvedImage).toMatch(/@sha256:[0-9a-f]{64}$/);
    // The trap public scripts fall into: DescribeEndpoint has no instance type; only the config does.
    expect(JSON.stringify(ready.ProductionVariants)).not.toContain('InstanceType');

    const described = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'fraud-config' }));
    expect(described.ProductionVariants?.map((v) => [v.VariantName, v.InstanceType, v.InitialInstanceCount])).toEqual([
      ['blue', 'ml.g4dn.xlarge', 2],
      ['green', 'ml.m5.large', 1],
    ]);
    const model = await sm.send(new DescribeModelCommand({ ModelName: 'fraud-model' }));
    expect(model.ModelName).toBe('Fraud-Model');
    expect(model.ModelArn).toBe(`arn:aws:sagemaker:${REGION}:${MGMT}:model/fraud-model`);
    expect(model.PrimaryContainer?.ModelDataSource?.S3DataSource).toEqual({ S3Uri: 's3://models/fraud/', S3DataType: 'S3Prefix', CompressionType: 'None' });
    expect(model.PrimaryContainer?.AdditionalModelDataSources?.[0]?.ChannelName).toBe('draft');
  });

  it('deletes through Deleting, after which the endpoint is gone but its config and model remain', async () => {
    const settings = sagemakerSettings(sim.world);
    settings.transitionDelayMs = 60_000;
    await sm.send(new DeleteEndpointCommand({ EndpointName: 'Fraud-Detector' }));
    const deleting = await sm.send(new DescribeEndpointCommand({ EndpointName: 'Fraud-Detector' }));
    expect(deleting.EndpointStatus).toBe('Deleting');
    // Deleting twice while Deleting is accepted (idempotent callers depend on it).
    await sm.send(new DeleteEndpointCommand({ EndpointName: 'Fraud-Detector' }));
    settings.transitionDelayMs = 40;
    sagemakerStore(sim.world, MGMT, REGION).completePendingTransitions();
    await waitForStatus('Fraud-Detector', 'gone');
    const gone = await errorOf(sm.send(new DeleteEndpointCommand({ EndpointName: 'Fraud-Detector' })));
    expect(gone.name).toBe('ValidationException');
    expect(gone.message).toBe(`Could not find endpoint "arn:aws:sagemaker:${REGION}:${MGMT}:endpoint/fraud-detector".`);
    await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'fraud-config' }));
    await sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'fraud-config' }));
    await sm.send(new DeleteModelCommand({ ModelName: 'Fraud-Model' }));
    expect((await errorOf(sm.send(new DescribeModelCommand({ ModelName: 'Fraud-Model' })))).message).toMatch(
      /^Could not find model "arn:aws:sagemaker:us-east-1:\d{12}:model\/fraud-model"\.$/,
    );
  });

  it('answers AWS validation errors for bad input, duplicates and missing references', async () => {
    const missingName = await errorOf(sm.send(new DescribeEndpointCommand({} as never)));
    expect(missingName.name).toBe('ValidationException');
    expect(missingName.message).toBe("1 validation error detected: Value null at 'endpointName' failed to satisfy constraint: Member must not be null");
    const badName = await errorOf(sm.send(new DescribeEndpointCommand({ EndpointName: 'no_underscores' })));
    expect(badName.message).toContain("at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern");

    const noModel = await errorOf(
      sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'orphan',
          ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'nope', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
        }),
      ),
    );
    expect(noModel.message).toBe(`Could not find model "arn:aws:sagemaker:${REGION}:${MGMT}:model/nope".`);
    const noConfig = await errorOf(sm.send(new CreateEndpointCommand({ EndpointName: 'orphan', EndpointConfigName: 'nope' })));
    expect(noConfig.message).toBe(`Could not find endpoint configuration "arn:aws:sagemaker:${REGION}:${MGMT}:endpoint-config/nope".`);

    const store = sagemakerStore(sim.world, MGMT, REGION);
    store.createModel({ ModelName: 'dup-model', PrimaryContainer: { Image: IMAGE, ModelDataUrl: 's3://models/dup/model.tar.gz' } });
    store.createEndpointConfig({
      EndpointConfigName: 'dup-config',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'dup-model', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 1 }],
    });
    store.createEndpoint({ EndpointName: 'dup', EndpointConfigName: 'dup-config' }, { status: 'InService' });
    const duplicate = await errorOf(sm.send(new CreateEndpointCommand({ EndpointName: 'DUP', EndpointConfigName: 'dup-config' })));
    expect(duplicate.message).toBe(`Cannot create already existing endpoint "arn:aws:sagemaker:${REGION}:${MGMT}:endpoint/dup".`);
    const noType = await errorOf(
      sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'typeless',
          ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'dup-model', InitialInstanceCount: 1 }],
        }),
      ),
    );
    expect(noType.message).toContain('InstanceType is required');
    const gzipPrefix = await errorOf(
      sm.send(
        new CreateModelCommand({
          ModelName: 'bad-source',
          PrimaryContainer: { Image: IMAGE, ModelDataSource: { S3DataSource: { S3Uri: 's3://m/p/', S3DataType: 'S3Prefix', CompressionType: 'Gzip' } } },
        }),
      ),
    );
    expect(gzipPrefix.message).toContain('Gzip requires S3DataType S3Object');
  });

  it('describes serverless and async endpoints with their own settings', async () => {
    const store = sagemakerStore(sim.world, MGMT, REGION);
    store.createModel({ ModelName: 'tiny', PrimaryContainer: { Image: IMAGE, ModelDataUrl: 's3://models/tiny/model.tar.gz' } });
    store.createEndpointConfig({
      EndpointConfigName: 'tiny-serverless',
      ProductionVariants: [
        { VariantName: 'AllTraffic', ModelName: 'tiny', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5, ProvisionedConcurrency: 2 } },
      ],
    });
    store.createEndpoint({ EndpointName: 'tiny-serverless', EndpointConfigName: 'tiny-serverless' }, { status: 'InService' });
    const serverless = await sm.send(new DescribeEndpointCommand({ EndpointName: 'tiny-serverless' }));
    expect(serverless.ProductionVariants?.[0]?.CurrentServerlessConfig).toEqual({ MemorySizeInMB: 2048, MaxConcurrency: 5, ProvisionedConcurrency: 2 });
    expect(serverless.ProductionVariants?.[0]?.CurrentInstanceCount).toBeUndefined();

    store.createEndpointConfig({
      EndpointConfigName: 'tiny-async',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'tiny', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://async/out/' }, ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 } },
    });
    store.createEndpoint({ EndpointName: 'tiny-async', EndpointConfigName: 'tiny-async' }, { status: 'InService', currentInstanceCounts: { AllTraffic: 3 } });
    const asyncEndpoint = await sm.send(new DescribeEndpointCommand({ EndpointName: 'tiny-async' }));
    expect(asyncEndpoint.AsyncInferenceConfig?.OutputConfig?.S3OutputPath).toBe('s3://async/out/');
    expect(asyncEndpoint.ProductionVariants?.[0]?.CurrentInstanceCount).toBe(3);
    // A deleted config does not take the running endpoint with it.
    store.deleteEndpointConfig('tiny-async');
    expect((await sm.send(new DescribeEndpointCommand({ EndpointName: 'tiny-async' }))).AsyncInferenceConfig?.OutputConfig?.S3OutputPath).toBe(
      's3://async/out/',
    );
    expect((await errorOf(sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'tiny-async' })))).message).toContain(
      'Could not find endpoint configuration',
    );
  });
});

describe('SageMaker inference components', () => {
  it('hosts components on an inference-component endpoint and requires them gone before the endpoint is deleted', async () => {
    const store = sagemakerStore(sim.world, MGMT, REGION);
    store.createModel({ ModelName: 'llm', PrimaryContainer: { Image: IMAGE, ModelDataUrl: 's3://models/llm/model.tar.gz' } });
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'shared-gpu',
        ExecutionRoleArn: ROLE_ARN,
        ProductionVariants: [
          { VariantName: 'main', InstanceType: 'ml.g5.2xlarge', InitialInstanceCount: 1, RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' } },
        ],
      }),
    );
    sagemakerSettings(sim.world).transitionDelayMs = 60_000;
    await sm.send(new CreateEndpointCommand({ EndpointName: 'shared-gpu', EndpointConfigName: 'shared-gpu' }));
    sagemakerSettings(sim.world).transitionDelayMs = 40;
    const early = await errorOf(
      sm.send(
        new CreateInferenceComponentCommand({
          InferenceComponentName: 'too-early',
          EndpointName: 'shared-gpu',
          Specification: { ModelName: 'llm' },
          RuntimeConfig: { CopyCount: 1 },
        }),
      ),
    );
    expect(early.message).toContain('is not in InService status');
    store.completePendingTransitions(40);
    await waitForStatus('shared-gpu', 'InService');

    await sm.send(
      new CreateInferenceComponentCommand({
        InferenceComponentName: 'summarizer',
        EndpointName: 'shared-gpu',
        VariantName: 'main',
        Specification: { ModelName: 'llm', ComputeResourceRequirements: { MinMemoryRequiredInMb: 1024, NumberOfAcceleratorDevicesRequired: 1 } },
        RuntimeConfig: { CopyCount: 2 },
      }),
    );
    await sm.send(
      new CreateInferenceComponentCommand({
        InferenceComponentName: 'embedder',
        EndpointName: 'shared-gpu',
        Specification: {
          Container: { Image: IMAGE, ArtifactUrl: 's3://models/embedder/model.tar.gz' },
          ComputeResourceRequirements: { MinMemoryRequiredInMb: 512 },
        },
        RuntimeConfig: { CopyCount: 1 },
      }),
    );
    const listed = await sm.send(new ListInferenceComponentsCommand({ EndpointNameEquals: 'shared-gpu', SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(listed.InferenceComponents?.map((c) => [c.InferenceComponentName, c.VariantName])).toEqual([
      ['embedder', 'main'],
      ['summarizer', 'main'],
    ]);
    const deadline = Date.now() + 5000;
    let summarizer = await sm.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'summarizer' }));
    while (summarizer.InferenceComponentStatus !== 'InService' && Date.now() < deadline)
      summarizer = await sm.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'summarizer' }));
    expect(summarizer).toMatchObject({
      EndpointName: 'shared-gpu',
      VariantName: 'main',
      InferenceComponentStatus: 'InService',
      RuntimeConfig: { DesiredCopyCount: 2, CurrentCopyCount: 2 },
    });
    expect(summarizer.Specification?.ModelName).toBe('llm');
    const embedder = await sm.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'embedder' }));
    expect(embedder.Specification?.Container?.ArtifactUrl).toBe('s3://models/embedder/model.tar.gz');
    expect(embedder.Specification?.Container?.DeployedImage?.SpecifiedImage).toBe(IMAGE);

    const blocked = await errorOf(sm.send(new DeleteEndpointCommand({ EndpointName: 'shared-gpu' })));
    expect(blocked.message).toContain('Delete the inference components before deleting the endpoint');
    const settings = sagemakerSettings(sim.world);
    settings.transitionDelayMs = 60_000;
    await sm.send(new DeleteInferenceComponentCommand({ InferenceComponentName: 'summarizer' }));
    await sm.send(new DeleteInferenceComponentCommand({ InferenceComponentName: 'embedder' }));
    // Still Deleting: the endpoint must wait for them to be gone.
    expect((await sm.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'embedder' }))).InferenceComponentStatus).toBe('Deleting');
    expect((await errorOf(sm.send(new DeleteEndpointCommand({ EndpointName: 'shared-gpu' })))).message).toContain('inference component');
    settings.transitionDelayMs = 40;
    sagemakerStore(sim.world, MGMT, REGION).completePendingTransitions();
    expect((await sm.send(new ListInferenceComponentsCommand({ EndpointNameEquals: 'shared-gpu' }))).InferenceComponents).toEqual([]);
    const missing = await errorOf(sm.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'summarizer' })));
    expect(missing.message).toBe(`Could not find inference component "arn:aws:sagemaker:${REGION}:${MGMT}:inference-component/summarizer".`);
    await sm.send(new DeleteEndpointCommand({ EndpointName: 'shared-gpu' }));
    await waitForStatus('shared-gpu', 'gone');
  });

  it('refuses components on an endpoint whose config names models', async () => {
    const refused = await errorOf(
      sm.send(
        new CreateInferenceComponentCommand({
          InferenceComponentName: 'nope',
          EndpointName: 'dup',
          Specification: { ModelName: 'dup-model' },
          RuntimeConfig: { CopyCount: 1 },
        }),
      ),
    );
    expect(refused.message).toContain('does not support inference components');
  });
});
