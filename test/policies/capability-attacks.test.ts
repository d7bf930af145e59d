import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fill, memberPolicyVars, resolvePseudoParameters, withProtectedTags, type PolicyJson } from '../../infra/policies.ts';
import { MEMBER_CAPABILITIES, capabilityRoleName, type MemberCapability } from '../../src/core/capabilities.ts';
import {
  ADMIN,
  BUCKET,
  EXTERNAL_ID,
  HUB,
  MEMBER,
  MEMBER_ROLE,
  ORG,
  PREFIX,
  REGION,
  VARS,
  capabilityPolicies,
  decide,
  memberRole,
  policy,
  roleArn,
  type Caller,
  type Request,
} from './simulate.ts';

/**
 * Every attack a security review found against the single member role, as IAM simulations. Each runs
 * twice: against the policies as they were before the capability split (copies in ./legacy/, where the
 * attack is allowed, so each test would have failed on them) and against policies/ (where it must not be).
 */
const legacyDoc = (name: string): PolicyJson => {
  const raw = JSON.parse(readFileSync(fileURLToPath(new URL(`./legacy/${name}.json`, import.meta.url)), 'utf8')) as PolicyJson;
  return resolvePseudoParameters(fill(raw, { ...VARS, MemberRoleName: MEMBER_ROLE }, `legacy/${name}.json`) as PolicyJson, {
    accountId: MEMBER,
    region: REGION,
  });
};
const legacyRole: Caller = { accountId: MEMBER, roleName: MEMBER_ROLE, orgId: ORG, identityPolicies: [legacyDoc('member-role-policy')] };

const SWEEP = 'sweep-1';
/** Every session a member account can see after the split (the delete one as the delete step opens it). */
const sessions = (): Array<[MemberCapability, Caller]> =>
  MEMBER_CAPABILITIES.map((capability) => [
    capability,
    capability === 'delete' ? memberRole(MEMBER, 'delete', { 'zombie-sweep-id': SWEEP }) : memberRole(MEMBER, capability),
  ]);

const arnOf = (kind: string, name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:${kind}/${name}`;
const onMember = (action: string, resource: string, context: Request['context'] = {}): Request => ({ action, resource, resourceAccount: MEMBER, context });
const tagsAs = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
const addTags = (arn: string, tags: Record<string, string>, existing: Record<string, string> = {}) =>
  onMember('sagemaker:AddTags', arn, {
    'aws:TagKeys': Object.keys(tags),
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    ...tagsAs(existing),
  });
const MARK = { zombie: 'confirmed', 'zombie-sweep-id': SWEEP };
const DELETES: Array<[string, string]> = [
  ['sagemaker:DeleteEndpoint', 'endpoint'],
  ['sagemaker:DeleteInferenceComponent', 'inference-component'],
  ['sagemaker:DeleteEndpointConfig', 'endpoint-config'],
  ['sagemaker:DeleteModel', 'model'],
];

describe('attack: mark any resource confirmed, then delete it', () => {
  it.each(DELETES)('%s: no session can both write the mark and delete', async (action, kind) => {
    const arn = arnOf(kind, 'production');
    // Before: one session did both.
    expect(await decide(legacyRole, addTags(arn, MARK))).toBe('Allowed');
    expect(await decide(legacyRole, onMember(action, arn, tagsAs(MARK)))).toBe('Allowed');
    for (const [capability, session] of sessions()) {
      const canMark = (await decide(session, addTags(arn, MARK))) === 'Allowed';
      const canDelete = (await decide(session, onMember(action, arn, tagsAs(MARK)))) === 'Allowed';
      expect(canMark && canDelete, capability).toBe(false);
      // Sessions that can write tags delete nothing; sessions that delete write no tags at all.
      if (canMark) expect(canDelete, capability).toBe(false);
      if (canDelete) expect(await decide(session, addTags(arn, { 'zombie-approved-by': 'x' })), capability).not.toBe('Allowed');
    }
  });

  it.each(DELETES)('%s: a delete session removes only what its own sweep confirmed', async (action, kind) => {
    const arn = arnOf(kind, 'other-sweep');
    const otherSweep = { zombie: 'confirmed', 'zombie-sweep-id': 'sweep-2' };
    expect(await decide(legacyRole, onMember(action, arn, tagsAs(otherSweep)))).toBe('Allowed');
    expect(await decide(memberRole(MEMBER, 'delete', { 'zombie-sweep-id': SWEEP }), onMember(action, arn, tagsAs(otherSweep)))).not.toBe('Allowed');
    // Without a sweep id of its own (no session tag) a delete session removes nothing.
    expect(await decide(memberRole(MEMBER, 'delete'), onMember(action, arn, tagsAs(MARK)))).not.toBe('Allowed');
    // Confirmed without a sweep id at all.
    expect(await decide(memberRole(MEMBER, 'delete', { 'zombie-sweep-id': SWEEP }), onMember(action, arn, tagsAs({ zombie: 'confirmed' })))).not.toBe(
      'Allowed',
    );
  });
});

describe("attack: rewrite the owner's tags", () => {
  it.each(['zombie-exempt', 'auto-delete-after', 'created-by', 'zombie-protected', 'owner', 'zombie-anything-else'])(
    'no session removes or writes %s',
    async (key) => {
      const arn = arnOf('endpoint', 'kept');
      if (key.startsWith('zombie')) expect(await decide(legacyRole, onMember('sagemaker:DeleteTags', arn, { 'aws:TagKeys': [key] }))).toBe('Allowed');
      for (const [capability, session] of sessions()) {
        expect(await decide(session, onMember('sagemaker:DeleteTags', arn, { 'aws:TagKeys': [key] })), capability).not.toBe('Allowed');
        expect(await decide(session, addTags(arn, { [key]: 'false' })), capability).not.toBe('Allowed');
        expect(await decide(session, addTags(arn, { zombie: 'confirmed', [key]: 'false' })), capability).not.toBe('Allowed');
      }
    },
  );

  it.each(['true', 'TRUE', 'yes', 'keep-it'])('no session puts zombie=confirmed on an endpoint tagged zombie-exempt=%j', async (value) => {
    const arn = arnOf('endpoint', 'exempt');
    expect(await decide(legacyRole, addTags(arn, MARK, { 'zombie-exempt': value }))).toBe('Allowed');
    for (const [capability, session] of sessions())
      expect(await decide(session, addTags(arn, MARK, { 'zombie-exempt': value })), capability).not.toBe('Allowed');
  });

  it('no session turns zombie=rejected back into confirmed and then deletes it', async () => {
    const arn = arnOf('endpoint', 'rejected');
    const rejected = { zombie: 'rejected', 'zombie-sweep-id': SWEEP, 'zombie-exempt-until': '2099-01-01' };
    expect(await decide(legacyRole, addTags(arn, MARK, rejected))).toBe('Allowed');
    expect(await decide(legacyRole, onMember('sagemaker:DeleteEndpoint', arn, tagsAs({ ...rejected, ...MARK })))).toBe('Allowed');
    for (const [capability, session] of sessions()) {
      const canReconfirm = (await decide(session, addTags(arn, MARK, rejected))) === 'Allowed';
      const canDeleteAfter = (await decide(session, onMember('sagemaker:DeleteEndpoint', arn, tagsAs({ ...rejected, ...MARK })))) === 'Allowed';
      expect(canReconfirm && canDeleteAfter, capability).toBe(false);
      // While it is still rejected, nothing may delete it.
      expect(await decide(session, onMember('sagemaker:DeleteEndpoint', arn, tagsAs(rejected))), capability).not.toBe('Allowed');
    }
  });
});

describe('attack: protected resources', () => {
  it.each(['true', 'True', 'yes'])(
    'zombie-protected=%j: the tag session cannot tag it, the delete session cannot delete it even when marked',
    async (value) => {
      for (const [, kind] of DELETES) {
        const arn = arnOf(kind, 'protected');
        const tags = { ...MARK, 'zombie-protected': value };
        expect(await decide(memberRole(MEMBER, 'tag'), addTags(arn, MARK, { 'zombie-protected': value }))).toBe('ExplicitlyDenied');
        expect(await decide(memberRole(MEMBER, 'tag'), onMember('sagemaker:DeleteTags', arn, { 'aws:TagKeys': ['zombie'], ...tagsAs(tags) }))).toBe(
          'ExplicitlyDenied',
        );
      }
      for (const [action, kind] of DELETES) {
        const tags = { ...MARK, 'zombie-protected': value };
        expect(await decide(legacyRole, onMember(action, arnOf(kind, 'protected'), tagsAs(tags)))).toBe('Allowed');
        expect(await decide(memberRole(MEMBER, 'delete', { 'zombie-sweep-id': SWEEP }), onMember(action, arnOf(kind, 'protected'), tagsAs(tags)))).toBe(
          'ExplicitlyDenied',
        );
      }
    },
  );
});

describe('attack: read-only hub steps obtain a destructive session', () => {
  const hubRole = (fn: string): Caller => ({ accountId: HUB, roleName: `${PREFIX}-${fn}`, orgId: ORG, identityPolicies: [policy(`hub-${fn}`, HUB)] });
  const assume = (caller: Caller, capability: MemberCapability, trust: PolicyJson, extra: Record<string, string | string[]> = {}) =>
    decide(caller, {
      action: 'sts:AssumeRole',
      resource: roleArn(MEMBER, capabilityRoleName(MEMBER_ROLE, capability)),
      resourceAccount: MEMBER,
      resourcePolicy: trust,
      context: { 'aws:ResourceOrgID': ORG, 'sts:ExternalId': EXTERNAL_ID, ...extra },
    });
  const sweepTag = { 'aws:RequestTag/zombie-sweep-id': SWEEP, 'aws:TagKeys': ['zombie-sweep-id'] };

  it.each(['scan', 'list-targets'])('the hub %s role reaches only the read capability', async (fn) => {
    // Before: the one member role it assumed could tag and delete.
    const legacy = { accountId: HUB, roleName: `${PREFIX}-${fn}`, orgId: ORG, identityPolicies: [policy(`hub-${fn}`, HUB)] };
    expect(
      await decide(legacy, {
        action: 'sts:AssumeRole',
        resource: roleArn(MEMBER, MEMBER_ROLE),
        resourceAccount: MEMBER,
        resourcePolicy: legacyDoc('member-role-trust'),
        context: { 'aws:ResourceOrgID': ORG, 'sts:ExternalId': EXTERNAL_ID },
      }),
    ).toBe('Allowed');
    expect(await assume(hubRole(fn), 'read', policy('member-read-role-trust'))).toBe('Allowed');
    for (const capability of ['snapshot', 'tag', 'delete'] as const) {
      expect(await assume(hubRole(fn), capability, policy(`member-${capability}-role-trust`), sweepTag), capability).not.toBe('Allowed');
    }
  });

  it('only the hub delete role obtains delete sessions, and only with a sweep id session tag', async () => {
    const trust = policy('member-delete-role-trust');
    for (const fn of ['list-targets', 'scan', 'snapshot', 'tag', 'apply-decision'])
      expect(await assume(hubRole(fn), 'delete', trust, sweepTag), fn).not.toBe('Allowed');
    expect(await assume(hubRole('delete'), 'delete', trust, sweepTag)).toBe('Allowed');
    expect(await assume(hubRole('delete'), 'delete', trust)).not.toBe('Allowed');
    const otherTag = { 'aws:RequestTag/team': 'x', 'aws:TagKeys': ['team'] };
    const tagSession = (extra: Record<string, string | string[]>) =>
      decide(hubRole('delete'), {
        action: 'sts:TagSession',
        resource: roleArn(MEMBER, capabilityRoleName(MEMBER_ROLE, 'delete')),
        resourceAccount: MEMBER,
        resourcePolicy: trust,
        context: { 'aws:ResourceOrgID': ORG, 'sts:ExternalId': EXTERNAL_ID, ...extra },
      });
    expect(await tagSession(sweepTag)).toBe('Allowed');
    expect(await tagSession(otherTag)).not.toBe('Allowed');
  });

  it('only the tag and apply-decision hub roles obtain tag sessions', async () => {
    const trust = policy('member-tag-role-trust');
    for (const fn of ['list-targets', 'scan', 'snapshot', 'delete']) expect(await assume(hubRole(fn), 'tag', trust), fn).not.toBe('Allowed');
    for (const fn of ['tag', 'apply-decision']) expect(await assume(hubRole(fn), 'tag', trust), fn).toBe('Allowed');
  });
});

describe('attack: broad grants', () => {
  const scalableTarget = `arn:aws:application-autoscaling:${REGION}:${MEMBER}:scalable-target/0123456789abcdef`;
  const deregister = (dimension: string) =>
    onMember('application-autoscaling:DeregisterScalableTarget', scalableTarget, {
      'application-autoscaling:service-namespace': 'sagemaker',
      'application-autoscaling:scalable-dimension': dimension,
    });

  it('only the delete session deregisters scaling targets, and only SageMaker endpoint dimensions', async () => {
    expect(await decide(legacyRole, deregister('sagemaker:variant:DesiredInstanceCount'))).toBe('Allowed');
    for (const [capability, session] of sessions()) {
      const expected = capability === 'delete' ? 'Allowed' : 'ImplicitlyDenied';
      expect(await decide(session, deregister('sagemaker:variant:DesiredInstanceCount')), capability).toBe(expected);
    }
  });

  it('only the snapshot session reads S3 objects of its account', async () => {
    const object = { action: 's3:GetObject', resource: `arn:aws:s3:::payroll-${MEMBER}/salaries.csv`, resourceAccount: MEMBER };
    expect(await decide(legacyRole, object)).toBe('Allowed');
    for (const [capability, session] of sessions())
      expect(await decide(session, object), capability).toBe(capability === 'snapshot' ? 'Allowed' : 'ImplicitlyDenied');
  });

  it('SageMaker calls are confined to the swept regions when the deployment names them', async () => {
    const vars = { ...VARS, ...memberPolicyVars({ memberRoleName: MEMBER_ROLE, regions: ['eu-west-1'], hubRegion: REGION }) };
    const reader: Caller = {
      ...memberRole(),
      identityPolicies: [
        resolvePseudoParameters(
          fill(
            JSON.parse(readFileSync(fileURLToPath(new URL('../../policies/member-read-policy.json', import.meta.url)), 'utf8')),
            vars,
            'member-read-policy.json',
          ) as PolicyJson,
          { accountId: MEMBER },
        ),
      ],
    };
    const elsewhere = {
      ...onMember('sagemaker:DescribeEndpoint', `arn:aws:sagemaker:ap-southeast-2:${MEMBER}:endpoint/x`),
      context: { 'aws:RequestedRegion': 'ap-southeast-2' },
    };
    expect(await decide(legacyRole, elsewhere)).toBe('Allowed');
    expect(await decide(reader, elsewhere)).toBe('ExplicitlyDenied');
  });
});

describe('attack: act on a resource carrying a tag on the configured protected list', () => {
  const PROTECTED = { 'data-class': 'regulated' };
  const session = (capability: MemberCapability): Caller => {
    const base = memberRole(MEMBER, capability, capability === 'delete' ? { 'zombie-sweep-id': SWEEP } : undefined);
    return { ...base, identityPolicies: base.identityPolicies.map((doc) => withProtectedTags(doc, PROTECTED)) };
  };

  it('neither marks nor deletes it, while the same tag with another value changes nothing', async () => {
    const arn = arnOf('endpoint', 'claims-model');
    expect(await decide(session('tag'), addTags(arn, MARK, { 'data-class': 'regulated' }))).toBe('ExplicitlyDenied');
    expect(await decide(session('tag'), addTags(arn, MARK, { 'data-class': 'public' }))).toBe('Allowed');
    for (const [action, kind] of DELETES) {
      const target = arnOf(kind, 'claims-model');
      expect(await decide(session('delete'), onMember(action, target, tagsAs({ ...MARK, 'data-class': 'regulated' }))), action).toBe('ExplicitlyDenied');
      expect(await decide(session('delete'), onMember(action, target, tagsAs({ ...MARK, 'data-class': 'public' }))), action).toBe('Allowed');
    }
    // Without the configured list (the deployment default) only zombie-protected protects.
    expect(await decide(memberRole(MEMBER, 'tag'), addTags(arn, MARK, { 'data-class': 'regulated' }))).toBe('Allowed');
  });
});

describe('attack: act in an account below a protected OU the StackSet could not leave out', () => {
  const PARENT = 'ou-ab12-parent01';
  const NESTED_PATH = `${ORG}/r-ab12/ou-ab12-target01/${PARENT}/ou-ab12-nested01/`;
  const protectedVars = {
    ...VARS,
    ...memberPolicyVars({ memberRoleName: MEMBER_ROLE, regions: 'all', hubRegion: REGION, organizationId: ORG, protected: { ouIds: [PARENT] } }),
  };
  const session = (capability: MemberCapability): Caller => ({
    ...memberRole(MEMBER, capability, capability === 'delete' ? { 'zombie-sweep-id': SWEEP } : undefined),
    identityPolicies: capabilityPolicies(capability, MEMBER, protectedVars),
  });
  const at = (path: string, request: Request): Request => ({ ...request, context: { ...request.context, 'aws:PrincipalOrgPaths': [path] } });

  it('neither marks nor deletes anything in an account anywhere below a protected OU; elsewhere both still work', async () => {
    const arn = arnOf('endpoint', 'idle');
    const elsewhere = `${ORG}/r-ab12/ou-ab12-target01/`;
    expect(await decide(session('tag'), at(elsewhere, addTags(arn, MARK)))).toBe('Allowed');
    expect(await decide(session('tag'), at(NESTED_PATH, addTags(arn, MARK)))).toBe('ExplicitlyDenied');
    for (const [action, kind] of DELETES) {
      const target = arnOf(kind, 'idle');
      expect(await decide(session('delete'), at(elsewhere, onMember(action, target, tagsAs(MARK)))), action).toBe('Allowed');
      expect(await decide(session('delete'), at(NESTED_PATH, onMember(action, target, tagsAs(MARK)))), action).toBe('ExplicitlyDenied');
    }
    // With no protected OU configured the statement matches no account.
    expect(await decide(memberRole(MEMBER, 'tag'), at(NESTED_PATH, addTags(arn, MARK)))).toBe('Allowed');
  });
});

describe('attack: overwrite archived artifacts', () => {
  const key = `artifacts/${MEMBER}/${REGION}/idle/${SWEEP}/model.tar.gz`;
  const write = (caller: Caller, bucketPolicy: PolicyJson, context: Record<string, string> = { 's3:ObjectCreationOperation': 'true' }) =>
    decide(caller, { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/${key}`, resourceAccount: HUB, resourcePolicy: bucketPolicy, context });

  // Before, every member session (scanning included) could write there, and replace a copy after it was verified.
  it('only the snapshot session writes into the archive, and only objects that do not exist yet', async () => {
    expect(await write(legacyRole, legacyDoc('archive-bucket-policy'))).toBe('Allowed');
    const createOnly = { 's3:ObjectCreationOperation': 'true', 's3:if-none-match': '*' };
    for (const [capability, session] of sessions())
      expect(await write(session, policy('archive-bucket-policy'), createOnly), capability).toBe(capability === 'snapshot' ? 'Allowed' : 'ImplicitlyDenied');
    const snapshot = sessions().find(([capability]) => capability === 'snapshot')![1];
    // A PutObject, CopyObject or CompleteMultipartUpload without If-None-Match could replace a copy: refused.
    expect(await write(snapshot, policy('archive-bucket-policy'))).toBe('ExplicitlyDenied');
    // Parts of a multipart copy carry no condition header (S3 rejects one); only their completion writes the object.
    expect(await write(snapshot, policy('archive-bucket-policy'), { 's3:ObjectCreationOperation': 'false' })).toBe('Allowed');
  });

  it('no principal at all, hub administrators included, replaces an archived artifact', async () => {
    const admin: Caller = { accountId: HUB, roleName: 'Administrator', orgId: ORG, identityPolicies: [ADMIN] };
    expect(await write(admin, policy('archive-bucket-policy'))).toBe('ExplicitlyDenied');
  });
});
