/**
 * The grants scale to zero and its undo need (policies/member-delete-policy.json,
 * policies/member-restore-role-policy.json), as IAM simulations: bound to what this sweep confirmed,
 * never to protected or exempt resources, and undone only on what is tagged scaled-to-zero.
 */
import { describe, expect, it } from 'vitest';
import { resolvePseudoParameters } from '../../infra/policies.ts';
import { loadPolicy } from '../../infra/policies.ts';
import { MEMBER, ORG, REGION, RESTORE_ROLE, VARS, decide, memberRole, type Caller, type Request } from './simulate.ts';

const SWEEP = 'sweep-1';
const arnOf = (kind: string, name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:${kind}/${name}`;
const tagsAs = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
const onMember = (action: string, resource: string, context: Request['context'] = {}): Request => ({ action, resource, resourceAccount: MEMBER, context });
const MARK = { zombie: 'confirmed', 'zombie-sweep-id': SWEEP };
const deleteSession = memberRole(MEMBER, 'delete', { 'zombie-sweep-id': SWEEP });
const SCALE_CALLS: Array<[string, string]> = [
  ['sagemaker:UpdateInferenceComponentRuntimeConfig', 'inference-component'],
  ['sagemaker:UpdateEndpointWeightsAndCapacities', 'endpoint'],
];
const restoreRole: Caller = {
  accountId: MEMBER,
  roleName: RESTORE_ROLE,
  orgId: ORG,
  identityPolicies: [resolvePseudoParameters(loadPolicy('member-restore-role-policy', VARS), { accountId: MEMBER, region: REGION })],
};

describe('scale to zero under the delete capability', () => {
  it.each(SCALE_CALLS)('%s: allowed on what this sweep confirmed, nothing else', async (action, kind) => {
    const arn = arnOf(kind, 'idle');
    expect(await decide(deleteSession, onMember(action, arn, tagsAs(MARK)))).toBe('Allowed');
    expect(await decide(deleteSession, onMember(action, arn, tagsAs({ zombie: 'confirmed', 'zombie-sweep-id': 'sweep-2' })))).not.toBe('Allowed');
    expect(await decide(deleteSession, onMember(action, arn, {}))).not.toBe('Allowed');
    expect(await decide(memberRole(MEMBER, 'delete'), onMember(action, arn, tagsAs(MARK)))).not.toBe('Allowed');
    for (const capability of ['read', 'snapshot', 'tag'] as const)
      expect(await decide(memberRole(MEMBER, capability), onMember(action, arn, tagsAs(MARK))), capability).not.toBe('Allowed');
  });

  it.each(SCALE_CALLS)('%s: never on a protected or exempt resource, even one this sweep confirmed', async (action, kind) => {
    const arn = arnOf(kind, 'idle');
    expect(await decide(deleteSession, onMember(action, arn, tagsAs({ ...MARK, 'zombie-protected': 'true' })))).toBe('ExplicitlyDenied');
    expect(await decide(deleteSession, onMember(action, arn, tagsAs({ ...MARK, 'zombie-exempt': 'yes' })))).toBe('ExplicitlyDenied');
  });

  it('lowers scaling minimums of SageMaker targets only', async () => {
    const target = `arn:aws:application-autoscaling:${REGION}:${MEMBER}:scalable-target/sagemaker-abc`;
    const register = (namespace: string, dimension: string) =>
      onMember('application-autoscaling:RegisterScalableTarget', target, {
        'application-autoscaling:service-namespace': namespace,
        'application-autoscaling:scalable-dimension': dimension,
      });
    expect(await decide(deleteSession, register('sagemaker', 'sagemaker:variant:DesiredInstanceCount'))).toBe('Allowed');
    expect(await decide(deleteSession, register('sagemaker', 'sagemaker:inference-component:DesiredCopyCount'))).toBe('Allowed');
    expect(await decide(deleteSession, register('ecs', 'ecs:service:DesiredCount'))).not.toBe('Allowed');
    expect(await decide(deleteSession, register('dynamodb', 'dynamodb:table:ReadCapacityUnits'))).not.toBe('Allowed');
  });
});

describe('the scaled-to-zero mark', () => {
  const addTags = (tags: Record<string, string>, existing: Record<string, string>) =>
    onMember('sagemaker:AddTags', arnOf('endpoint', 'idle'), {
      'aws:TagKeys': Object.keys(tags),
      ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
      ...tagsAs(existing),
    });
  const MARK_ZERO = { zombie: 'scaled-to-zero', 'zombie-approved-by': 'alice@example.com', 'zombie-approved-at': '2026-12-05T00:00:00Z' };

  it('a delete session writes it only on what its own sweep confirmed', async () => {
    expect(await decide(deleteSession, addTags(MARK_ZERO, MARK))).toBe('Allowed');
    expect(await decide(deleteSession, addTags(MARK_ZERO, { zombie: 'confirmed', 'zombie-sweep-id': 'sweep-2' }))).not.toBe('Allowed');
    expect(await decide(deleteSession, addTags(MARK_ZERO, {}))).not.toBe('Allowed');
  });

  it('and nothing else: not the confirmed mark, not other values or keys', async () => {
    expect(await decide(deleteSession, addTags({ zombie: 'confirmed', 'zombie-sweep-id': SWEEP }, {}))).not.toBe('Allowed');
    expect(await decide(deleteSession, addTags({ zombie: 'rejected' }, MARK))).not.toBe('Allowed');
    expect(await decide(deleteSession, addTags({ zombie: 'scaled-to-zero', owner: 'x' }, MARK))).not.toBe('Allowed');
    expect(await decide(deleteSession, addTags({ 'zombie-approved-by': 'x' }, MARK))).not.toBe('Allowed');
  });
});

describe('restoring a scaled-to-zero endpoint', () => {
  it('brings copies back only on components tagged scaled-to-zero', async () => {
    const arn = arnOf('inference-component', 'idle-llm');
    expect(await decide(restoreRole, onMember('sagemaker:UpdateInferenceComponentRuntimeConfig', arn, tagsAs({ zombie: 'scaled-to-zero' })))).toBe('Allowed');
    expect(await decide(restoreRole, onMember('sagemaker:UpdateInferenceComponentRuntimeConfig', arn, tagsAs({ zombie: 'confirmed' })))).not.toBe('Allowed');
    expect(await decide(restoreRole, onMember('sagemaker:UpdateInferenceComponentRuntimeConfig', arn, {}))).not.toBe('Allowed');
  });
});
