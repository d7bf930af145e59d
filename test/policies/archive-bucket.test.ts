import { describe, expect, it } from 'vitest';
import { ADMIN, BUCKET, HUB, MEMBER, ORG, OTHER_ORG, OUTSIDER, PREFIX, REGION, decide, policy, type Caller } from './simulate.ts';

/** policies/archive-bucket-policy.json: TLS only, organization only, member roles only under their artifacts prefix, audit append-only. */
const bucketPolicy = policy('archive-bucket-policy');
const object = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;
const hubAdmin: Caller = { accountId: HUB, roleName: 'Administrator', orgId: ORG, identityPolicies: [ADMIN] };
const hubFunction = (fn: string): Caller => ({
  accountId: HUB,
  roleName: `${PREFIX}-${fn}`,
  orgId: ORG,
  identityPolicies: [policy('hub-function-base', HUB), policy(`hub-${fn}`, HUB)],
});
const onArchive = (caller: Caller, action: string, key: string, context: Record<string, string> = {}) =>
  decide(caller, { action, resource: object(key), resourceAccount: HUB, resourcePolicy: bucketPolicy, context });

describe('archive bucket policy', () => {
  it('denies every request without TLS, whoever makes it', async () => {
    expect(await onArchive(hubAdmin, 's3:GetObject', 'sweeps/s1/report.json', { 'aws:SecureTransport': 'false' })).toBe('ExplicitlyDenied');
    expect(await onArchive(hubFunction('collect'), 's3:PutObject', 'sweeps/s1/report.json', { 'aws:SecureTransport': 'false' })).toBe('ExplicitlyDenied');
    expect(await onArchive(hubAdmin, 's3:GetObject', 'sweeps/s1/report.json')).toBe('Allowed');
  });

  it('denies principals outside the organization, even with an allow of their own', async () => {
    const outsider: Caller = { accountId: OUTSIDER, roleName: 'ZombieSweepMemberRole', orgId: OTHER_ORG, identityPolicies: [ADMIN] };
    expect(await onArchive(outsider, 's3:PutObject', `artifacts/${OUTSIDER}/${REGION}/e/s1/model.tar.gz`)).toBe('ExplicitlyDenied');
    expect(await onArchive(outsider, 's3:GetObject', 'sweeps/s1/report.json')).toBe('ExplicitlyDenied');
    const anonymousLike: Caller = { accountId: OUTSIDER, roleName: 'someone', identityPolicies: [ADMIN] };
    expect(await onArchive(anonymousLike, 's3:GetObject', 'audit/sweeps/s1/x.json')).toBe('ExplicitlyDenied');
  });

  it("lets the organization's member snapshot roles write only under artifacts/<their account>/", async () => {
    const member: Caller = { accountId: MEMBER, roleName: 'ZombieSweepMemberRole-Snapshot', orgId: ORG, identityPolicies: [ADMIN] };
    expect(
      await onArchive(member, 's3:PutObject', `artifacts/${MEMBER}/${REGION}/e/s1/model.tar.gz`, {
        's3:ObjectCreationOperation': 'true',
        's3:if-none-match': '*',
      }),
    ).toBe('Allowed');
    for (const other of ['ZombieSweepMemberRole', 'ZombieSweepMemberRole-Tag', 'ZombieSweepMemberRole-Delete']) {
      expect(
        await onArchive({ ...member, roleName: other }, 's3:PutObject', `artifacts/${MEMBER}/${REGION}/e/s1/model.tar.gz`, {
          's3:ObjectCreationOperation': 'true',
          's3:if-none-match': '*',
        }),
        other,
      ).not.toBe('Allowed');
    }
    expect(await onArchive(member, 's3:AbortMultipartUpload', `artifacts/${MEMBER}/${REGION}/e/s1/model.tar.gz`)).toBe('Allowed');
    expect(await onArchive(member, 's3:PutObject', `artifacts/444444444444/${REGION}/e/s1/model.tar.gz`)).not.toBe('Allowed');
    expect(await onArchive(member, 's3:PutObject', `manifests/${MEMBER}/${REGION}/e/s1.json`)).not.toBe('Allowed');
    expect(await onArchive(member, 's3:GetObject', `artifacts/${MEMBER}/${REGION}/e/s1/model.tar.gz`)).not.toBe('Allowed');
  });

  it('gives other roles of member accounts nothing', async () => {
    const admin: Caller = { accountId: MEMBER, roleName: 'Administrator', orgId: ORG, identityPolicies: [ADMIN] };
    expect(await onArchive(admin, 's3:PutObject', `artifacts/${MEMBER}/${REGION}/e/s1/model.tar.gz`)).not.toBe('Allowed');
    expect(await onArchive(admin, 's3:GetObject', 'sweeps/s1/report.json')).not.toBe('Allowed');
  });

  it('keeps the audit trail append-only: no deletes, no overwrites, for anyone', async () => {
    const key = 'audit/endpoints/222222222222/us-east-1/e/2026-01-01T00-00-00-000Z-deleted-abcd1234.json';
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention']) {
      expect(await onArchive(hubAdmin, action, key)).toBe('ExplicitlyDenied');
    }
    expect(await onArchive(hubAdmin, 's3:PutObject', key)).toBe('ExplicitlyDenied');
    expect(await onArchive(hubFunction('delete'), 's3:PutObject', key, { 's3:if-none-match': '*' })).toBe('Allowed');
  });

  it('leaves the rest of the bucket to the hub roles that need it', async () => {
    expect(await onArchive(hubFunction('snapshot'), 's3:PutObject', `manifests/${MEMBER}/${REGION}/e/s1.json`)).toBe('Allowed');
    expect(await onArchive(hubFunction('scan'), 's3:PutObject', `manifests/${MEMBER}/${REGION}/e/s1.json`)).not.toBe('Allowed');
    expect(await onArchive(hubFunction('report'), 's3:DeleteObject', 'locks/org.json')).toBe('Allowed');
  });
});

describe('archive bucket policy with restore enabled', () => {
  const withRestore = { ...bucketPolicy, Statement: [...bucketPolicy.Statement, ...policy('archive-bucket-policy-restore').Statement] };
  it("lets an account's own principals read back only that account's archived artifacts", async () => {
    const executionRole: Caller = { accountId: MEMBER, roleName: 'SageMakerExecution', orgId: ORG, identityPolicies: [ADMIN] };
    const read = (key: string) => decide(executionRole, { action: 's3:GetObject', resource: object(key), resourceAccount: HUB, resourcePolicy: withRestore });
    expect(await read(`artifacts/${MEMBER}/${REGION}/e/s1/model.tar.gz`)).toBe('Allowed');
    expect(await read(`artifacts/444444444444/${REGION}/e/s1/model.tar.gz`)).not.toBe('Allowed');
    expect(await read(`manifests/${MEMBER}/${REGION}/e/s1.json`)).not.toBe('Allowed');
  });
});
