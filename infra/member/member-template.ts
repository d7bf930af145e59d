import { Token } from 'aws-cdk-lib';
import type { InfraConfig } from '../config.ts';
import { hubNames } from '../names.ts';
import { loadPolicy, withProtectedTags, type PolicyJson, type PolicyVars } from '../policies.ts';
import { capabilityRoleName, type MemberCapability } from '../../src/core/capabilities.ts';
import { basePolicyVars } from '../policy-vars.ts';

/**
 * The CloudFormation template the StackSet deploys into every member account, built directly from
 * policies/ (no inline copies). Per-account values are CloudFormation pseudo parameters
 * (`${AWS::AccountId}`) and the template's own parameters (`${ExternalId}`), so every string holding
 * one becomes an Fn::Sub whose other `${...}` (IAM policy variables like `${aws:PrincipalAccount}`)
 * are escaped as `${!...}`.
 */
/** The external id reaches member accounts as a NoEcho StackSet parameter, never as template text. */
export const EXTERNAL_ID_PARAMETER = 'ExternalId';
const SUBSTITUTED = new RegExp(`\\$\\{(AWS::[A-Za-z]+|${EXTERNAL_ID_PARAMETER})\\}`);
const ESCAPE = new RegExp(`\\$\\{(?!AWS::|${EXTERNAL_ID_PARAMETER}\\})`, 'g');

export function withPseudoParameters(node: unknown): unknown {
  if (typeof node === 'string') {
    if (!SUBSTITUTED.test(node)) return node;
    // Escaping would corrupt a CDK token's own `${Token[...]}` marker; such values belong in separate strings.
    if (Token.isUnresolved(node)) throw new Error(`member template string mixes a CDK token with a pseudo parameter: ${node}`);
    return { 'Fn::Sub': node.replace(ESCAPE, '${!') };
  }
  if (Array.isArray(node)) return node.map(withPseudoParameters);
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withPseudoParameters(value)]));
  return node;
}

export interface MemberTemplateInput {
  config: InfraConfig;
  policyVars: PolicyVars;
}

/**
 * Which roles a template holds. `observe` goes to every target account (reading and archiving never
 * change an endpoint); `act` (tagging and deleting) skips the protected accounts where infra can.
 */
export type MemberTemplatePart = 'observe' | 'act';

export const PART_CAPABILITIES: Record<MemberTemplatePart, readonly MemberCapability[]> = {
  observe: ['read', 'snapshot'],
  act: ['tag', 'delete'],
};

/** Logical ids: the read role keeps the id (and name) the single member role had, so an upgrade updates it in place. */
const LOGICAL_ID: Record<MemberCapability, string> = { read: 'MemberRole', snapshot: 'SnapshotRole', tag: 'TagRole', delete: 'DeleteRole' };

const DESCRIPTION: Record<MemberCapability, string> = {
  read: 'zombie-sweep read capability: list and describe SageMaker endpoints, their tags, metrics and scaling (scan, list-targets)',
  snapshot: 'zombie-sweep snapshot capability: read model artifacts of this account and copy them into the archive (snapshot)',
  tag: "zombie-sweep tag capability: write and remove only the workflow's own tag keys, never on protected or exempt resources (tag, apply-decision)",
  delete: "zombie-sweep delete capability: delete only what the session's own sweep tagged zombie=confirmed (delete)",
};

export interface CapabilityRolePolicies {
  trust: PolicyJson;
  /** Inline policies in attachment order: the shared read policy, then the capability's own. */
  policies: Array<{ name: string; document: PolicyJson }>;
}

export interface MemberPolicies {
  capabilities: Partial<Record<MemberCapability, CapabilityRolePolicies>>;
  restoreTrust?: PolicyJson;
  restorePolicy?: PolicyJson;
}

export function capabilityRolePolicies(
  capability: MemberCapability,
  policyVars: PolicyVars,
  protectedTags: Readonly<Record<string, string>> = {},
): CapabilityRolePolicies {
  const policies = [{ name: 'zombie-sweep-read', document: loadPolicy('member-read-policy', policyVars) }];
  if (capability !== 'read') {
    const document = withProtectedTags(loadPolicy(`member-${capability}-policy`, policyVars), protectedTags);
    policies.push({ name: `zombie-sweep-${capability}`, document });
  }
  return { trust: loadPolicy(`member-${capability}-role-trust`, policyVars), policies };
}

export function memberPolicies({ config, policyVars }: MemberTemplateInput, part: MemberTemplatePart = 'observe'): MemberPolicies {
  const policies: MemberPolicies = {
    capabilities: Object.fromEntries(
      PART_CAPABILITIES[part].map((capability) => [capability, capabilityRolePolicies(capability, policyVars, config.protected.tags)]),
    ),
  };
  if (part === 'observe' && config.restoreRole.enabled) {
    policies.restoreTrust = loadPolicy('member-restore-role-trust', policyVars);
    policies.restorePolicy = loadPolicy('member-restore-role-policy', policyVars);
  }
  return policies;
}

/**
 * A plain CloudFormation template (JSON object). Values may contain CDK tokens; serialize with
 * Stack.toJsonString. `policyVars.ExternalId` must be `${ExternalId}` (the template parameter).
 */
export function memberTemplate(input: MemberTemplateInput, part: MemberTemplatePart = 'observe'): Record<string, unknown> {
  const { config } = input;
  const policies = memberPolicies(input, part);
  const tags = [{ Key: 'zombie-sweep:component', Value: 'member-role' }];
  const resources: Record<string, unknown> = {};
  const outputs: Record<string, unknown> = {};
  for (const capability of PART_CAPABILITIES[part]) {
    const role = policies.capabilities[capability]!;
    resources[LOGICAL_ID[capability]] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: capabilityRoleName(config.memberRoleName, capability),
        Description: DESCRIPTION[capability],
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: role.trust,
        Policies: role.policies.map((p) => ({ PolicyName: p.name, PolicyDocument: p.document })),
        Tags: [...tags, { Key: 'zombie-sweep:capability', Value: capability }],
      },
    };
    outputs[`${LOGICAL_ID[capability]}Arn`] = { Value: { 'Fn::GetAtt': [LOGICAL_ID[capability], 'Arn'] } };
  }
  if (policies.restoreTrust && policies.restorePolicy) {
    resources.RestoreRole = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: config.restoreRole.name,
        Description: 'zombie-sweep restore: recreate models, endpoint configs and endpoints from archived manifests',
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: policies.restoreTrust,
        Policies: [{ PolicyName: 'zombie-sweep-restore', PolicyDocument: policies.restorePolicy }],
        Tags: tags,
      },
    };
  }
  return withPseudoParameters({
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      part === 'observe'
        ? 'zombie-sweep member account read, snapshot (and restore) roles (deployed by the hub StackSet)'
        : 'zombie-sweep member account tag and delete roles (deployed by the hub StackSet, not to protected accounts)',
    Parameters: {
      [EXTERNAL_ID_PARAMETER]: {
        Type: 'String',
        NoEcho: true,
        MinLength: 16,
        AllowedPattern: '[\\w+=,.@:/-]+',
        Description: 'sts:ExternalId the hub must present (from the hub secret; masked in every describe call)',
      },
    },
    Resources: resources,
    Outputs: outputs,
  }) as Record<string, unknown>;
}

/**
 * The member template for a config with every value concrete (the archive key ARN as deployed), exactly
 * as the hub stack serializes it into the StackSet: what `zombie-sweep member-role-diff` compares with
 * the deployed StackSet.
 */
export function memberTemplateForConfig(config: InfraConfig, archiveKeyArn: string, part: MemberTemplatePart = 'observe'): Record<string, unknown> {
  const policyVars: PolicyVars = {
    ...basePolicyVars(config, hubNames(config), '${AWS::Partition}'),
    ArchiveKeyArn: archiveKeyArn,
    ExternalId: `\${${EXTERNAL_ID_PARAMETER}}`,
  };
  return memberTemplate({ config, policyVars }, part);
}
