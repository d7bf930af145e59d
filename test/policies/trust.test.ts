import { describe, expect, it } from 'vitest';
import { HUB_FUNCTIONS, MEMBER_ACCESS_FUNCTIONS, MEMBER_CAPABILITY_OF } from '../../infra/names.ts';
import { capabilityRoleName } from '../../src/core/capabilities.ts';
import {
  EXTERNAL_ID,
  HUB,
  MEMBER,
  MEMBER_ROLE,
  ORG,
  OTHER_ORG,
  OUTSIDER,
  PREFIX,
  RESTORE_ROLE,
  ADMIN,
  decide,
  policy,
  roleArn,
  type Caller,
} from './simulate.ts';

/**
 * Who may assume each member capability role: its trust policy (policies/member-<capability>-role-trust.json)
 * is the resource policy of sts:AssumeRole, the caller's identity policy the other half of a cross-account request.
 * The read role is the one scanning steps use; these tests run against it unless they name another.
 */
const memberRoleArn = roleArn(MEMBER, MEMBER_ROLE);
const hubRole = (fn: string, orgId = ORG): Caller => ({ accountId: HUB, roleName: `${PREFIX}-${fn}`, orgId, identityPolicies: [policy(`hub-${fn}`, HUB)] });
const SWEEP_TAG = { 'aws:RequestTag/zombie-sweep-id': 'sweep-1', 'aws:TagKeys': ['zombie-sweep-id'] };

/** `externalId: null` sends no external id (undefined would mean the default). */
async function assume(
  caller: Caller,
  externalId: string | null = EXTERNAL_ID,
  trust = policy('member-read-role-trust'),
  target = memberRoleArn,
  extra: Record<string, string | string[]> = {},
) {
  return decide(caller, {
    action: 'sts:AssumeRole',
    resource: target,
    resourceAccount: MEMBER,
    resourcePolicy: trust,
    context: { 'aws:ResourceOrgID': ORG, ...(externalId === null ? {} : { 'sts:ExternalId': externalId }), ...extra },
  });
}

describe('member capability role trust', () => {
  it.each(MEMBER_ACCESS_FUNCTIONS.map((fn) => [fn]))('admits the hub %s role to its own capability role, with the external id', async (fn) => {
    const capability = MEMBER_CAPABILITY_OF[fn as keyof typeof MEMBER_CAPABILITY_OF];
    const target = roleArn(MEMBER, capabilityRoleName(MEMBER_ROLE, capability));
    const extra = capability === 'delete' ? SWEEP_TAG : {};
    expect(await assume(hubRole(fn), EXTERNAL_ID, policy(`member-${capability}-role-trust`), target, extra)).toBe('Allowed');
    if (capability === 'delete') {
      const tagSession = await decide(hubRole(fn), {
        action: 'sts:TagSession',
        resource: target,
        resourceAccount: MEMBER,
        resourcePolicy: policy('member-delete-role-trust'),
        context: { 'aws:ResourceOrgID': ORG, 'sts:ExternalId': EXTERNAL_ID, ...SWEEP_TAG },
      });
      expect(tagSession).toBe('Allowed');
    }
  });

  it('rejects a hub workflow role without the external id, or with a wrong one', async () => {
    expect(await assume(hubRole('scan'), null)).not.toBe('Allowed');
    expect(await assume(hubRole('scan'), 'guessed-external-id')).not.toBe('Allowed');
  });

  it('rejects hub roles that do not act in member accounts, even with full permissions', async () => {
    for (const fn of HUB_FUNCTIONS.filter((f) => !MEMBER_ACCESS_FUNCTIONS.includes(f as never))) {
      expect(await assume({ accountId: HUB, roleName: `${PREFIX}-${fn}`, orgId: ORG, identityPolicies: [ADMIN] })).not.toBe('Allowed');
    }
    expect(await assume({ accountId: HUB, roleName: 'Administrator', orgId: ORG, identityPolicies: [ADMIN] })).not.toBe('Allowed');
  });

  it('rejects a principal outside the organization, even one named like a hub role', async () => {
    expect(await assume({ ...hubRole('scan', OTHER_ORG) })).not.toBe('Allowed');
    expect(await assume({ accountId: OUTSIDER, roleName: `${PREFIX}-scan`, orgId: OTHER_ORG, identityPolicies: [ADMIN] })).not.toBe('Allowed');
  });

  it('rejects same-named roles in other member accounts', async () => {
    expect(await assume({ accountId: '444444444444', roleName: `${PREFIX}-scan`, orgId: ORG, identityPolicies: [ADMIN] })).not.toBe('Allowed');
  });

  it("the hub roles' own policies only reach roles of this organization", async () => {
    const inOtherOrg = await decide(hubRole('scan'), {
      action: 'sts:AssumeRole',
      resource: roleArn(OUTSIDER, MEMBER_ROLE),
      resourceAccount: OUTSIDER,
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'sts:AssumeRole', Resource: '*' }],
      },
      context: { 'aws:ResourceOrgID': OTHER_ORG, 'sts:ExternalId': EXTERNAL_ID },
    });
    expect(inOtherOrg).not.toBe('Allowed');
  });
});

describe('restore role trust (off by default)', () => {
  const restoreArn = roleArn(MEMBER, RESTORE_ROLE);
  it('admits only the configured operator roles, in the organization, with the external id', async () => {
    const trust = policy('member-restore-role-trust');
    const operator: Caller = { accountId: HUB, roleName: 'platform-operator', orgId: ORG, identityPolicies: [ADMIN] };
    expect(await assume(operator, EXTERNAL_ID, trust, restoreArn)).toBe('Allowed');
    expect(await assume(operator, null, trust, restoreArn)).not.toBe('Allowed');
    expect(await assume({ ...operator, orgId: OTHER_ORG }, EXTERNAL_ID, trust, restoreArn)).not.toBe('Allowed');
    for (const fn of HUB_FUNCTIONS) {
      expect(await assume({ ...operator, roleName: `${PREFIX}-${fn}` }, EXTERNAL_ID, trust, restoreArn)).not.toBe('Allowed');
    }
  });
});
