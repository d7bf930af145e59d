import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { loadPolicy, memberPolicyVars, resolvePseudoParameters, type PolicyJson, type PolicyVars } from '../../infra/policies.ts';
import { capabilityRoleName, type MemberCapability } from '../../src/core/capabilities.ts';

/**
 * IAM simulation over the policies/ files with @cloud-copilot/iam-simulate (AGPL-3.0: a dev/test
 * dependency only, never bundled into the product). Fixed cast: a hub, a member and an outsider
 * account, one organization.
 */
export const HUB = '111111111111';
export const MEMBER = '222222222222';
export const OTHER_MEMBER = '444444444444';
export const OUTSIDER = '333333333333';
export const ORG = 'o-abcdefghij';
export const OTHER_ORG = 'o-zzzzzzzzzz';
export const REGION = 'us-east-1';
export const PREFIX = 'zombie-sweep';
export const BUCKET = `${PREFIX}-archive-${HUB}-${REGION}`;
export const ARCHIVE_KEY_ARN = `arn:aws:kms:${REGION}:${HUB}:key/11111111-2222-3333-4444-555555555555`;
export const MAC_KEY_ARN = `arn:aws:kms:${REGION}:${HUB}:key/99999999-2222-3333-4444-555555555555`;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${HUB}:${PREFIX}-notifications`;
export const MEMBER_ROLE = 'ZombieSweepMemberRole';
export const RESTORE_ROLE = 'ZombieSweepRestoreRole';
export const EXTERNAL_ID = 'zombie-sweep-test-external-id';
export const OPERATOR_ROLE_ARN = `arn:aws:iam::${HUB}:role/platform-operator`;

export const VARS: PolicyVars = {
  Partition: 'aws',
  HubAccountId: HUB,
  HubRegion: REGION,
  OrgId: ORG,
  ManagementAccountId: '555555555555',
  ResourcePrefix: PREFIX,
  ...memberPolicyVars({ memberRoleName: MEMBER_ROLE, regions: 'all', hubRegion: REGION }),
  RestoreRoleName: RESTORE_ROLE,
  RestoreTrustedPrincipalArns: [OPERATOR_ROLE_ARN],
  ExternalId: EXTERNAL_ID,
  ArchiveBucket: BUCKET,
  ArchiveKeyArn: ARCHIVE_KEY_ARN,
  ApprovalMacKeyArn: MAC_KEY_ARN,
  DecisionMacKeyArn: `arn:aws:kms:${REGION}:${HUB}:key/88888888-2222-3333-4444-555555555555`,
  NotificationTopicArn: TOPIC_ARN,
  NotificationKeyArn: `arn:aws:kms:${REGION}:${HUB}:key/77777777-2222-3333-4444-555555555555`,
  StateMachineName: `${PREFIX}-sweep`,
  MetricNamespace: 'ZombieSweep',
  FunctionLogGroupName: `/aws/lambda/${PREFIX}-scan`,
  ExternalIdSecretArn: `arn:aws:secretsmanager:${REGION}:${HUB}:secret:${PREFIX}-external-id-AbCdEf`,
};

/** A policies/ document as deployed: placeholders filled, and for member documents the account's pseudo parameters. */
export function policy(name: string, accountId = MEMBER): PolicyJson {
  return resolvePseudoParameters(loadPolicy(name, VARS), { accountId, region: REGION });
}

export function roleArn(accountId: string, name: string): string {
  return `arn:aws:iam::${accountId}:role/${name}`;
}

export function sessionArn(accountId: string, name: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${name}/session`;
}

export interface Caller {
  accountId: string;
  roleName: string;
  orgId?: string;
  identityPolicies: PolicyJson[];
  /** STS session tags of the caller's session (`aws:PrincipalTag/*`). */
  principalTags?: Record<string, string>;
}

/** The policies/ documents attached to one member capability role, as the member StackSet attaches them. */
export function capabilityPolicies(capability: MemberCapability, accountId = MEMBER, vars: PolicyVars = VARS): PolicyJson[] {
  const resolve = (name: string) => resolvePseudoParameters(loadPolicy(name, vars), { accountId, region: REGION });
  return capability === 'read' ? [resolve('member-read-policy')] : [resolve('member-read-policy'), resolve(`member-${capability}-policy`)];
}

/** A session of a member capability role; delete sessions carry the sweep id session tag their trust policy requires. */
export const memberRole = (accountId = MEMBER, capability: MemberCapability = 'read', principalTags?: Record<string, string>): Caller => ({
  accountId,
  roleName: capabilityRoleName(MEMBER_ROLE, capability),
  orgId: ORG,
  identityPolicies: capabilityPolicies(capability, accountId),
  ...(principalTags ? { principalTags } : {}),
});

export interface Request {
  action: string;
  resource: string;
  /** Account that owns the resource. */
  resourceAccount: string;
  context?: Record<string, string | string[]>;
  resourcePolicy?: PolicyJson;
  scps?: PolicyJson[];
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** Runs one request and returns the overall decision; a simulator validation error fails the test. */
export async function decide(caller: Caller, request: Request): Promise<Decision> {
  const context: Record<string, string | string[]> = {
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalArn': roleArn(caller.accountId, caller.roleName),
    'aws:ResourceAccount': request.resourceAccount,
    'aws:SecureTransport': 'true',
    // AWS sets it on every regional request; tests of other regions override it.
    'aws:RequestedRegion': REGION,
    ...(caller.orgId ? { 'aws:PrincipalOrgID': caller.orgId } : {}),
    ...Object.fromEntries(Object.entries(caller.principalTags ?? {}).map(([key, value]) => [`aws:PrincipalTag/${key}`, value])),
    ...request.context,
  };
  const simulation: Simulation = {
    request: {
      principal: sessionArn(caller.accountId, caller.roleName),
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: context,
    },
    identityPolicies: caller.identityPolicies.map((p, i) => ({ name: `identity-${i}`, policy: p })),
    serviceControlPolicies: request.scps ? [{ orgIdentifier: ORG, policies: request.scps.map((p, i) => ({ name: `scp-${i}`, policy: p })) }] : [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') throw new Error(`simulation error for ${request.action}: ${JSON.stringify(result.errors).slice(0, 2000)}`);
  return result.overallResult as Decision;
}

/** Everything-allowed identity policy for callers whose own permissions are not under test. */
export const ADMIN: PolicyJson = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
