import { Token } from 'aws-cdk-lib';
import type { InfraConfig } from '../config.ts';
import { hubNames } from '../names.ts';
import { loadPolicy, type PolicyJson, type PolicyVars } from '../policies.ts';
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

export interface MemberPolicies {
  memberTrust: PolicyJson;
  memberPolicy: PolicyJson;
  restoreTrust?: PolicyJson;
  restorePolicy?: PolicyJson;
}

export function memberPolicies({ config, policyVars }: MemberTemplateInput): MemberPolicies {
  const policies: MemberPolicies = {
    memberTrust: loadPolicy('member-role-trust', policyVars),
    memberPolicy: loadPolicy('member-role-policy', policyVars),
  };
  if (config.restoreRole.enabled) {
    policies.restoreTrust = loadPolicy('member-restore-role-trust', policyVars);
    policies.restorePolicy = loadPolicy('member-restore-role-policy', policyVars);
  }
  return policies;
}

/**
 * A plain CloudFormation template (JSON object). Values may contain CDK tokens; serialize with
 * Stack.toJsonString. `policyVars.ExternalId` must be `${ExternalId}` (the template parameter).
 */
export function memberTemplate(input: MemberTemplateInput): Record<string, unknown> {
  const { config } = input;
  const policies = memberPolicies(input);
  const tags = [{ Key: 'zombie-sweep:component', Value: 'member-role' }];
  const resources: Record<string, unknown> = {
    MemberRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: config.memberRoleName,
        Description: 'zombie-sweep: read SageMaker endpoints, tag zombie* keys, delete endpoints tagged zombie=confirmed, copy artifacts to the archive',
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: policies.memberTrust,
        Policies: [{ PolicyName: 'zombie-sweep-member', PolicyDocument: policies.memberPolicy }],
        Tags: tags,
      },
    },
  };
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
    Description: 'zombie-sweep member account roles (deployed by the hub StackSet)',
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
    Outputs: { MemberRoleArn: { Value: { 'Fn::GetAtt': ['MemberRole', 'Arn'] } } },
  }) as Record<string, unknown>;
}

/**
 * The member template for a config with every value concrete (the archive key ARN as deployed), exactly
 * as the hub stack serializes it into the StackSet: what `zombie-sweep member-role-diff` compares with
 * the deployed StackSet.
 */
export function memberTemplateForConfig(config: InfraConfig, archiveKeyArn: string): Record<string, unknown> {
  const policyVars: PolicyVars = {
    ...basePolicyVars(config, hubNames(config), '${AWS::Partition}'),
    ArchiveKeyArn: archiveKeyArn,
    ExternalId: `\${${EXTERNAL_ID_PARAMETER}}`,
  };
  return memberTemplate({ config, policyVars });
}
