import { randomUUID } from 'node:crypto';
import { SimError, queryService, type CallContext, type SimService } from '../protocol.ts';
import type { World } from '../world.ts';

/**
 * AWS CloudFormation (Query/XML, version 2010-05-15), read side only: what `zombie-sweep doctor` and
 * `zombie-sweep member-role diff` ask: DescribeStacks (is the CDK bootstrap stack there, is the hub
 * deployed) and DescribeStackSet (the member template now in force). Stacks and StackSets are put in
 * place by tests through `cloudFormationStore`; nothing is deployed. Shapes and errors follow
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html and
 * API_DescribeStackSet.html: an unknown stack is `ValidationError` "Stack with id X does not exist",
 * an unknown StackSet `StackSetNotFoundException`; NoEcho parameter values read back as `****`.
 */

export interface SimStack {
  name: string;
  status: string;
  outputs?: Record<string, string>;
}

export interface SimStackSet {
  name: string;
  templateBody: string;
  parameters?: Record<string, string>;
  /** Parameters whose value describe calls mask (NoEcho in the template). */
  noEcho?: string[];
  /** Whether the caller must pass CallAs=DELEGATED_ADMIN (a StackSet administered by a delegated admin). */
  delegated?: boolean;
}

interface CfnState {
  stacks: Map<string, SimStack & { id: string; created: Date }>;
  stackSets: Map<string, SimStackSet & { id: string }>;
}

function cfnState(world: World, accountId: string, region: string): CfnState {
  return world.regional<CfnState>('cloudformation', accountId, region, () => ({ stacks: new Map(), stackSets: new Map() }));
}

export function cloudFormationStore(world: World, accountId: string, region: string) {
  const state = cfnState(world, accountId, region);
  return {
    putStack: (stack: SimStack) =>
      void state.stacks.set(stack.name, {
        ...stack,
        id: `arn:aws:cloudformation:${region}:${accountId}:stack/${stack.name}/${randomUUID()}`,
        created: world.now(),
      }),
    putStackSet: (set: SimStackSet) => void state.stackSets.set(set.name, { ...set, id: `${set.name}:${randomUUID()}` }),
  };
}

const state = (ctx: CallContext) => cfnState(ctx.world, ctx.caller.accountId, ctx.caller.region);

export function cloudFormationService(): SimService {
  return queryService({
    signingName: 'cloudformation',
    xmlns: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
    operations: {
      DescribeStacks: (params, ctx) => {
        const name = params.get('StackName');
        const stacks = name === undefined ? [...state(ctx).stacks.values()] : [findStack(ctx, name)];
        return {
          Stacks: stacks.map((s) => ({
            StackId: s.id,
            StackName: s.name,
            CreationTime: s.created,
            StackStatus: s.status,
            Outputs: Object.entries(s.outputs ?? {}).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          })),
        };
      },
      DescribeStackSet: (params, ctx) => {
        const name = params.require('StackSetName');
        const set = state(ctx).stackSets.get(name) ?? [...state(ctx).stackSets.values()].find((s) => s.id === name);
        if (!set) throw new SimError('StackSetNotFoundException', `StackSet ${name} not found`, 404);
        const callAs = params.get('CallAs') ?? 'SELF';
        if (set.delegated && callAs !== 'DELEGATED_ADMIN') throw new SimError('StackSetNotFoundException', `StackSet ${name} not found`, 404);
        return {
          StackSet: {
            StackSetName: set.name,
            StackSetId: set.id,
            Status: 'ACTIVE',
            TemplateBody: set.templateBody,
            PermissionModel: 'SERVICE_MANAGED',
            Parameters: Object.entries(set.parameters ?? {}).map(([ParameterKey, value]) => ({
              ParameterKey,
              ParameterValue: set.noEcho?.includes(ParameterKey) ? '****' : value,
            })),
          },
        };
      },
    },
  });
}

function findStack(ctx: CallContext, name: string) {
  const stack = state(ctx).stacks.get(name) ?? [...state(ctx).stacks.values()].find((s) => s.id === name);
  if (!stack) throw new SimError('ValidationError', `Stack with id ${name} does not exist`);
  return stack;
}
