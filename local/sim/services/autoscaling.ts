import { createHash } from 'node:crypto';
import { decodeToken, encodeToken, jsonService, SimError, type CallContext, type SimService } from '../protocol.ts';
import type { World } from '../world.ts';
import { ApiInput } from './sagemaker/input.ts';
import { sagemakerStore } from './sagemaker/store.ts';

/**
 * Application Auto Scaling (JSON 1.1, `X-Amz-Target: AnyScaleFrontendService.<Op>`, signing name
 * application-autoscaling) for SageMaker variants: ResourceId `endpoint/<name>/variant/<variant>`,
 * dimension `sagemaker:variant:DesiredInstanceCount` (or `sagemaker:inference-component:DesiredCopyCount`).
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
 * Like AWS, deleting an endpoint leaves its scalable targets registered: deregistering is the caller's job.
 */

export interface ScalableTarget {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  CreationTime: Date;
  SuspendedState: { DynamicScalingInSuspended: boolean; DynamicScalingOutSuspended: boolean; ScheduledScalingSuspended: boolean };
  ScalableTargetARN: string;
}

export interface ScalingPolicy {
  PolicyARN: string;
  PolicyName: string;
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  PolicyType: string;
  TargetTrackingScalingPolicyConfiguration?: Record<string, unknown>;
  StepScalingPolicyConfiguration?: Record<string, unknown>;
  Alarms: { AlarmName: string; AlarmARN: string }[];
  CreationTime: Date;
}

interface ScalingState {
  targets: Map<string, ScalableTarget>;
  policies: Map<string, ScalingPolicy>;
}

const NAMESPACES = [
  'ecs',
  'elasticmapreduce',
  'ec2',
  'appstream',
  'dynamodb',
  'rds',
  'sagemaker',
  'custom-resource',
  'comprehend',
  'lambda',
  'cassandra',
  'kafka',
  'elasticache',
  'neptune',
  'workspaces',
];
const SAGEMAKER_RESOURCE = /^(endpoint\/([^/]+)\/variant\/([^/]+)|inference-component\/([^/]+))$/;
const targetKey = (namespace: string, resourceId: string, dimension: string) => `${namespace}|${resourceId}|${dimension}`;

export type ScalingStore = ReturnType<typeof scalingStore>;

export function scalingStore(world: World, accountId: string, region: string) {
  const state = world.regional<ScalingState>('application-autoscaling', accountId, region, () => ({ targets: new Map(), policies: new Map() }));

  function checkSageMakerResource(resourceId: string, dimension: string): void {
    const match = SAGEMAKER_RESOURCE.exec(resourceId);
    if (!match)
      throw new SimError(
        'ValidationException',
        `Unsupported resource ID ${resourceId} for service namespace sagemaker; expected endpoint/<endpoint-name>/variant/<variant-name>.`,
      );
    const sagemaker = sagemakerStore(world, accountId, region);
    if (match[2] !== undefined) {
      if (dimension !== 'sagemaker:variant:DesiredInstanceCount' && dimension !== 'sagemaker:variant:DesiredProvisionedConcurrency') {
        throw new SimError('ValidationException', `Unsupported scalable dimension ${dimension} for resource ${resourceId}.`);
      }
      const endpoint = sagemaker.getEndpoint(match[2]);
      if (!endpoint || !endpoint.variants.some((v) => v.spec.VariantName === match[3]))
        throw new SimError('ValidationException', `The endpoint variant ${resourceId} does not exist.`);
    } else if (!sagemaker.getInferenceComponent(match[4]!)) {
      throw new SimError('ValidationException', `The inference component ${resourceId} does not exist.`);
    }
  }

  return {
    accountId,
    region,
    /** Registers or (when it exists) updates a target, as RegisterScalableTarget does. */
    register(
      input: {
        ServiceNamespace: string;
        ResourceId: string;
        ScalableDimension: string;
        MinCapacity?: number;
        MaxCapacity?: number;
        RoleARN?: string;
        SuspendedState?: Partial<ScalableTarget['SuspendedState']>;
      },
      options: { creationTime?: Date } = {},
    ): ScalableTarget {
      const key = targetKey(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
      const existing = state.targets.get(key);
      if (existing) {
        if (input.MinCapacity !== undefined) existing.MinCapacity = input.MinCapacity;
        if (input.MaxCapacity !== undefined) existing.MaxCapacity = input.MaxCapacity;
        if (existing.MinCapacity > existing.MaxCapacity) throw new SimError('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
        Object.assign(existing.SuspendedState, input.SuspendedState ?? {});
        return existing;
      }
      if (input.ServiceNamespace === 'sagemaker') checkSageMakerResource(input.ResourceId, input.ScalableDimension);
      if (input.MinCapacity === undefined || input.MaxCapacity === undefined)
        throw new SimError('ValidationException', 'MinCapacity and MaxCapacity are required to register a new scalable target.');
      if (input.MinCapacity > input.MaxCapacity) throw new SimError('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
      const target: ScalableTarget = {
        ServiceNamespace: input.ServiceNamespace,
        ResourceId: input.ResourceId,
        ScalableDimension: input.ScalableDimension,
        MinCapacity: input.MinCapacity,
        MaxCapacity: input.MaxCapacity,
        RoleARN:
          input.RoleARN ??
          `arn:aws:iam::${accountId}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
        CreationTime: options.creationTime ?? world.now(),
        SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false, ...input.SuspendedState },
        ScalableTargetARN: `arn:aws:application-autoscaling:${region}:${accountId}:scalable-target/${createHash('sha256').update(`${accountId}|${region}|${key}`).digest('hex').slice(0, 36)}`,
      };
      state.targets.set(key, target);
      return target;
    },
    describe(filter: { serviceNamespace: string; resourceIds?: string[]; scalableDimension?: string }): ScalableTarget[] {
      return [...state.targets.values()].filter(
        (t) =>
          t.ServiceNamespace === filter.serviceNamespace &&
          (filter.resourceIds === undefined || filter.resourceIds.length === 0 || filter.resourceIds.includes(t.ResourceId)) &&
          (filter.scalableDimension === undefined || t.ScalableDimension === filter.scalableDimension),
      );
    },
    /** Deregistering also deletes the target's scaling policies, as AWS does. */
    deregister(serviceNamespace: string, resourceId: string, scalableDimension: string): void {
      const key = targetKey(serviceNamespace, resourceId, scalableDimension);
      if (!state.targets.delete(key)) {
        throw new SimError(
          'ObjectNotFoundException',
          `No scalable target registered for service namespace: ${serviceNamespace}, resource ID: ${resourceId}, scalable dimension: ${scalableDimension}`,
        );
      }
      for (const [policyKey, policy] of state.policies)
        if (targetKey(policy.ServiceNamespace, policy.ResourceId, policy.ScalableDimension) === key) state.policies.delete(policyKey);
    },
    putPolicy(input: Omit<ScalingPolicy, 'PolicyARN' | 'Alarms' | 'CreationTime'>): ScalingPolicy {
      const key = targetKey(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
      if (!state.targets.has(key))
        throw new SimError(
          'ObjectNotFoundException',
          `No scalable target registered for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}`,
        );
      const id = createHash('sha256').update(`${key}|${input.PolicyName}`).digest('hex').slice(0, 36);
      const policy: ScalingPolicy = {
        ...input,
        PolicyARN: `arn:aws:autoscaling:${region}:${accountId}:scalingPolicy:${id}:resource/${input.ServiceNamespace}/${input.ResourceId}:policyName/${input.PolicyName}`,
        Alarms: [],
        CreationTime: state.policies.get(`${key}|${input.PolicyName}`)?.CreationTime ?? world.now(),
      };
      state.policies.set(`${key}|${input.PolicyName}`, policy);
      return policy;
    },
    policies(filter: { serviceNamespace: string; resourceId?: string; scalableDimension?: string; policyNames?: string[] }): ScalingPolicy[] {
      return [...state.policies.values()].filter(
        (p) =>
          p.ServiceNamespace === filter.serviceNamespace &&
          (filter.resourceId === undefined || p.ResourceId === filter.resourceId) &&
          (filter.scalableDimension === undefined || p.ScalableDimension === filter.scalableDimension) &&
          (filter.policyNames === undefined || filter.policyNames.length === 0 || filter.policyNames.includes(p.PolicyName)),
      );
    },
  };
}

const storeFor = (ctx: CallContext) => scalingStore(ctx.world, ctx.caller.accountId, ctx.caller.region);
const read = (raw: Record<string, unknown>) => new ApiInput(raw);
const namespaceOf = (input: ApiInput) => input.string('ServiceNamespace', { required: true, oneOf: NAMESPACES });
const resourceIdOf = (input: ApiInput) => input.string('ResourceId', { required: true, min: 1, max: 1600 });
const dimensionOf = (input: ApiInput) => input.string('ScalableDimension', { required: true, min: 1 });

/** Paginates by position; tokens are tied to the filter that produced them. */
function page<T>(items: T[], input: ApiInput, maxAllowed: number): { items: T[]; NextToken?: string } {
  const max = input.number('MaxResults', { integer: true, min: 1, max: maxAllowed }) ?? maxAllowed;
  const token = decodeToken<{ offset: number }>(input.string('NextToken'), 'InvalidNextTokenException');
  if (token !== undefined && !Number.isInteger(token.offset)) throw new SimError('InvalidNextTokenException', 'The next token is invalid.');
  const offset = token?.offset ?? 0;
  return { items: items.slice(offset, offset + max), NextToken: offset + max < items.length ? encodeToken({ offset: offset + max }) : undefined };
}

export const autoscalingOperations = {
  RegisterScalableTarget(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const suspended = input.object('SuspendedState');
    const target = storeFor(ctx).register({
      ServiceNamespace: namespaceOf(input),
      ResourceId: resourceIdOf(input),
      ScalableDimension: dimensionOf(input),
      MinCapacity: input.number('MinCapacity', { integer: true, min: 0 }),
      MaxCapacity: input.number('MaxCapacity', { integer: true, min: 0 }),
      RoleARN: input.string('RoleARN', { max: 1600 }),
      SuspendedState: suspended
        ? Object.fromEntries(
            ['DynamicScalingInSuspended', 'DynamicScalingOutSuspended', 'ScheduledScalingSuspended'].flatMap((k) =>
              suspended.boolean(k) === undefined ? [] : [[k, suspended.boolean(k)]],
            ),
          )
        : undefined,
    });
    return { ScalableTargetARN: target.ScalableTargetARN };
  },
  DescribeScalableTargets(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const targets = storeFor(ctx).describe({
      serviceNamespace: namespaceOf(input),
      resourceIds: input.strings('ResourceIds', { max: 50 }),
      scalableDimension: input.string('ScalableDimension'),
    });
    const { items, NextToken } = page(targets, input, 50);
    return { ScalableTargets: items, NextToken };
  },
  DeregisterScalableTarget(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    storeFor(ctx).deregister(namespaceOf(input), resourceIdOf(input), dimensionOf(input));
    return {};
  },
  PutScalingPolicy(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const policyType = input.string('PolicyType', { oneOf: ['StepScaling', 'TargetTrackingScaling', 'PredictiveScaling'] }) ?? 'StepScaling';
    const policy = storeFor(ctx).putPolicy({
      PolicyName: input.string('PolicyName', { required: true, min: 1, max: 256 }),
      ServiceNamespace: namespaceOf(input),
      ResourceId: resourceIdOf(input),
      ScalableDimension: dimensionOf(input),
      PolicyType: policyType,
      TargetTrackingScalingPolicyConfiguration: input.object('TargetTrackingScalingPolicyConfiguration')?.raw,
      StepScalingPolicyConfiguration: input.object('StepScalingPolicyConfiguration')?.raw,
    });
    return { PolicyARN: policy.PolicyARN, Alarms: policy.Alarms };
  },
  DescribeScalingPolicies(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const policies = storeFor(ctx).policies({
      serviceNamespace: namespaceOf(input),
      resourceId: input.string('ResourceId'),
      scalableDimension: input.string('ScalableDimension'),
      policyNames: input.strings('PolicyNames', { max: 50 }),
    });
    const { items, NextToken } = page(policies, input, 50);
    return { ScalingPolicies: items, NextToken };
  },
};

export function autoscalingService(): SimService {
  return jsonService({ signingName: 'application-autoscaling', targetPrefix: 'AnyScaleFrontendService', version: '1.1', operations: autoscalingOperations });
}
