import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  ValidationException,
  paginateDescribeScalableTargets,
} from '@aws-sdk/client-application-auto-scaling';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { scalingStore } from '../../local/sim/services/autoscaling.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { assumeInto, DEV, MGMT, smallOrg } from './core-fixtures.ts';

const REGION = 'us-east-1';
const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const resourceId = (endpoint: string, variant = 'AllTraffic') => `endpoint/${endpoint}/variant/${variant}`;

let sim: Simulator;
let aas: ApplicationAutoScalingClient;

beforeAll(async () => {
  sim = await startSimulator({ world: smallOrg() });
  const store = sagemakerStore(sim.world, DEV, REGION);
  store.createModel({ ModelName: 'm', PrimaryContainer: { Image: 'img:1', ModelDataUrl: 's3://b/m.tar.gz' } });
  store.createEndpointConfig({
    EndpointConfigName: 'c',
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2 }],
  });
  for (let i = 0; i < 60; i++) store.createEndpoint({ EndpointName: `scaled-${i}`, EndpointConfigName: 'c' }, { status: 'InService' });
  aas = new ApplicationAutoScalingClient({ ...sim.clientConfig(REGION), credentials: await assumeInto(sim, DEV), maxAttempts: 1 });
});
afterAll(async () => {
  aas.destroy();
  await sim.stop();
});

describe('Application Auto Scaling for SageMaker variants', () => {
  it('registers, describes (paginated, filtered) and deregisters scalable targets', async () => {
    for (let i = 0; i < 60; i++) {
      await aas.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'sagemaker',
          ResourceId: resourceId(`scaled-${i}`),
          ScalableDimension: DIMENSION,
          MinCapacity: 1,
          MaxCapacity: 4,
        }),
      );
    }
    const first = await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
    expect(first.ScalableTargets).toHaveLength(50);
    const all = [];
    for await (const page of paginateDescribeScalableTargets({ client: aas }, { ServiceNamespace: 'sagemaker' })) all.push(...page.ScalableTargets!);
    expect(all).toHaveLength(60);
    const one = await aas.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [resourceId('scaled-3')], ScalableDimension: DIMENSION }),
    );
    expect(one.ScalableTargets).toHaveLength(1);
    expect(one.ScalableTargets?.[0]).toMatchObject({
      ServiceNamespace: 'sagemaker',
      ResourceId: resourceId('scaled-3'),
      ScalableDimension: DIMENSION,
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    expect(one.ScalableTargets?.[0]?.CreationTime).toBeInstanceOf(Date);
    expect(one.ScalableTargets?.[0]?.ScalableTargetARN).toMatch(new RegExp(`^arn:aws:application-autoscaling:${REGION}:${DEV}:scalable-target/`));

    // Registering again updates the capacities.
    await aas.send(
      new RegisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: resourceId('scaled-3'), ScalableDimension: DIMENSION, MaxCapacity: 8 }),
    );
    expect(
      (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [resourceId('scaled-3')] }))).ScalableTargets?.[0]
        ?.MaxCapacity,
    ).toBe(8);

    await aas.send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: resourceId('scaled-3'), ScalableDimension: DIMENSION }));
    expect(
      (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [resourceId('scaled-3')] }))).ScalableTargets,
    ).toEqual([]);
    const again = await aas
      .send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: resourceId('scaled-3'), ScalableDimension: DIMENSION }))
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ObjectNotFoundException);
    expect((again as Error).message).toBe(
      `No scalable target registered for service namespace: sagemaker, resource ID: ${resourceId('scaled-3')}, scalable dimension: ${DIMENSION}`,
    );
  });

  it('refuses targets for variants that do not exist and bad capacities', async () => {
    const missing = await aas
      .send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'sagemaker',
          ResourceId: resourceId('nope'),
          ScalableDimension: DIMENSION,
          MinCapacity: 1,
          MaxCapacity: 2,
        }),
      )
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ValidationException);
    const inverted = await aas
      .send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'sagemaker',
          ResourceId: resourceId('scaled-10'),
          ScalableDimension: DIMENSION,
          MinCapacity: 5,
          MaxCapacity: 2,
        }),
      )
      .catch((e: unknown) => e);
    expect(inverted).toBeInstanceOf(ValidationException);
    const noNamespace = (await aas.send(new DescribeScalableTargetsCommand({} as never)).catch((e: unknown) => e)) as Error;
    expect(noNamespace).toBeInstanceOf(ValidationException);
    expect(noNamespace.message).toContain("'serviceNamespace'");
  });

  it('keeps scaling policies with their target and drops them on deregistration', async () => {
    const policy = await aas.send(
      new PutScalingPolicyCommand({
        PolicyName: 'invocations-target',
        ServiceNamespace: 'sagemaker',
        ResourceId: resourceId('scaled-20'),
        ScalableDimension: DIMENSION,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 70,
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        },
      }),
    );
    expect(policy.PolicyARN).toContain('policyName/invocations-target');
    const listed = await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId: resourceId('scaled-20') }));
    expect(listed.ScalingPolicies?.[0]?.TargetTrackingScalingPolicyConfiguration?.TargetValue).toBe(70);
    await aas.send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: resourceId('scaled-20'), ScalableDimension: DIMENSION }));
    expect(
      (await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId: resourceId('scaled-20') }))).ScalingPolicies,
    ).toEqual([]);
  });

  it('scopes targets to the caller account', async () => {
    const management = new ApplicationAutoScalingClient({ ...sim.clientConfig(REGION), maxAttempts: 1 });
    expect((await management.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }))).ScalableTargets).toEqual([]);
    management.destroy();
    expect(scalingStore(sim.world, MGMT, REGION).describe({ serviceNamespace: 'sagemaker' })).toEqual([]);
    expect(scalingStore(sim.world, DEV, REGION).describe({ serviceNamespace: 'sagemaker' }).length).toBeGreaterThan(50);
  });
});
