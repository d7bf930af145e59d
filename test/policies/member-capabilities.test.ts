import { describe, expect, it } from 'vitest';
import { BUCKET, HUB, MEMBER, OTHER_MEMBER, OUTSIDER, REGION, ADMIN, decide, memberRole, policy, type Request } from './simulate.ts';
import { WORKFLOW_TAG_KEYS } from './workflow-tags.ts';

/**
 * What each member capability role (policies/member-<capability>-policy.json on top of
 * member-read-policy.json) may do: the calls the workflow makes must be allowed. What they must never
 * do is in capability-attacks.test.ts.
 */
const endpointArn = (name: string, account = MEMBER) => `arn:aws:sagemaker:${REGION}:${account}:endpoint/${name}`;
const icArn = (name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:inference-component/${name}`;
const configArn = (name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint-config/${name}`;
const modelArn = (name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:model/${name}`;
const onMember = (action: string, resource: string, context: Request['context'] = {}): Request => ({ action, resource, resourceAccount: MEMBER, context });
const SWEEP = 'sweep-1';
const deleter = () => memberRole(MEMBER, 'delete', { 'zombie-sweep-id': SWEEP });
const confirmedBy = (sweepId: string) => ({ 'aws:ResourceTag/zombie': 'confirmed', 'aws:ResourceTag/zombie-sweep-id': sweepId });

describe('every capability: read-only discovery', () => {
  const reads: Array<[string, string]> = [
    ['sagemaker:ListEndpoints', '*'],
    ['sagemaker:ListInferenceComponents', '*'],
    ['sagemaker:DescribeEndpoint', endpointArn('demo')],
    ['sagemaker:DescribeEndpointConfig', configArn('demo')],
    ['sagemaker:DescribeModel', modelArn('demo')],
    ['sagemaker:DescribeInferenceComponent', icArn('ic-1')],
    ['sagemaker:ListTags', endpointArn('demo')],
    ['cloudwatch:GetMetricData', '*'],
    ['application-autoscaling:DescribeScalableTargets', '*'],
    ['ec2:DescribeRegions', '*'],
    // Tags of idle endpoints in batches of 100 (src/detection); the action has no resource-level permissions.
    ['tag:GetResources', '*'],
  ];
  it.each(['read', 'snapshot', 'tag', 'delete'] as const)('%s sessions can describe, list tags and read metrics', async (capability) => {
    const caller = capability === 'delete' ? deleter() : memberRole(MEMBER, capability);
    for (const [action, resource] of reads) expect(await decide(caller, onMember(action, resource)), action).toBe('Allowed');
  });
});

describe('delete capability', () => {
  it.each([
    ['sagemaker:DeleteEndpoint', endpointArn('idle')],
    ['sagemaker:DeleteInferenceComponent', icArn('idle')],
    ['sagemaker:DeleteEndpointConfig', configArn('idle')],
    ['sagemaker:DeleteModel', modelArn('idle')],
  ])('%s where the resource is tagged zombie=confirmed by its own sweep', async (action, arn) => {
    expect(await decide(deleter(), onMember(action, arn, confirmedBy(SWEEP)))).toBe('Allowed');
  });

  it('deregisters SageMaker endpoint scaling targets only', async () => {
    const target = `arn:aws:application-autoscaling:${REGION}:${MEMBER}:scalable-target/abc123`;
    const deregister = (namespace: string, dimension: string) =>
      decide(
        deleter(),
        onMember('application-autoscaling:DeregisterScalableTarget', target, {
          'application-autoscaling:service-namespace': namespace,
          'application-autoscaling:scalable-dimension': dimension,
        }),
      );
    expect(await deregister('sagemaker', 'sagemaker:variant:DesiredInstanceCount')).toBe('Allowed');
    expect(await deregister('sagemaker', 'sagemaker:inference-component:DesiredCopyCount')).toBe('Allowed');
    expect(await deregister('ecs', 'ecs:service:DesiredCount')).not.toBe('Allowed');
    expect(await deregister('sagemaker', 'sagemaker:spot-fleet:whatever')).not.toBe('Allowed');
  });
});

describe('tag capability', () => {
  it("writes and removes every one of the workflow's own keys (src/core/tags.ts)", async () => {
    const tagger = memberRole(MEMBER, 'tag');
    expect(
      await decide(tagger, onMember('sagemaker:AddTags', endpointArn('idle'), { 'aws:TagKeys': WORKFLOW_TAG_KEYS, 'aws:RequestTag/zombie': 'confirmed' })),
    ).toBe('Allowed');
    expect(await decide(tagger, onMember('sagemaker:DeleteTags', endpointArn('idle'), { 'aws:TagKeys': WORKFLOW_TAG_KEYS }))).toBe('Allowed');
  });

  it.each([
    ['inference component', icArn('ic-1')],
    ['endpoint config', configArn('idle')],
    ['model', modelArn('idle')],
  ])('marks the %s of a confirmed zombie (deleting it then needs its own mark)', async (_kind, arn) => {
    expect(
      await decide(
        memberRole(MEMBER, 'tag'),
        onMember('sagemaker:AddTags', arn, { 'aws:TagKeys': ['zombie', 'zombie-sweep-id'], 'aws:RequestTag/zombie': 'confirmed' }),
      ),
    ).toBe('Allowed');
  });

  it('rejects an endpoint the owner exempted (zombie=rejected and zombie-exempt-until on a zombie-exempt=true endpoint)', async () => {
    const context = { 'aws:TagKeys': ['zombie', 'zombie-exempt-until'], 'aws:RequestTag/zombie': 'rejected', 'aws:ResourceTag/zombie-exempt': 'true' };
    expect(await decide(memberRole(MEMBER, 'tag'), onMember('sagemaker:AddTags', endpointArn('kept'), context))).toBe('Allowed');
  });

  it.each(['false', 'False', 'no', '0'])('confirms an endpoint whose zombie-exempt tag says %j', async (value) => {
    const context = { 'aws:TagKeys': ['zombie'], 'aws:RequestTag/zombie': 'confirmed', 'aws:ResourceTag/zombie-exempt': value };
    expect(await decide(memberRole(MEMBER, 'tag'), onMember('sagemaker:AddTags', endpointArn('idle'), context))).toBe('Allowed');
  });
});

describe('snapshot capability', () => {
  const artifact = (account: string) => ({ action: 's3:GetObject', resource: `arn:aws:s3:::models-${account}/team/model.tar.gz`, resourceAccount: account });
  const anyoneMayRead = (account: string) => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::models-${account}/*` }],
  });

  it('reads artifacts in its own account, never in others, even when their bucket policy would allow it', async () => {
    expect(await decide(memberRole(MEMBER, 'snapshot'), artifact(MEMBER))).toBe('Allowed');
    for (const account of [OTHER_MEMBER, OUTSIDER]) {
      expect(await decide(memberRole(MEMBER, 'snapshot'), { ...artifact(account), resourcePolicy: anyoneMayRead(account) })).not.toBe('Allowed');
    }
  });

  it('decrypts source objects with its own keys only through S3', async () => {
    const key = `arn:aws:kms:${REGION}:${MEMBER}:key/abcd`;
    const keyPolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 'kms:*', Resource: '*' }],
    };
    const decrypt = (via: string) => ({ ...onMember('kms:Decrypt', key, { 'kms:ViaService': via }), resourcePolicy: keyPolicy });
    expect(await decide(memberRole(MEMBER, 'snapshot'), decrypt(`s3.${REGION}.amazonaws.com`))).toBe('Allowed');
    expect(await decide(memberRole(MEMBER, 'snapshot'), decrypt(`secretsmanager.${REGION}.amazonaws.com`))).not.toBe('Allowed');
  });

  it('writes copies under artifacts/<its own account>/ of the archive (identity and bucket policy together)', async () => {
    const archive = policy('archive-bucket-policy');
    const put = (key: string, context: Request['context'] = {}) =>
      decide(memberRole(MEMBER, 'snapshot'), {
        action: 's3:PutObject',
        resource: `arn:aws:s3:::${BUCKET}/${key}`,
        resourceAccount: HUB,
        resourcePolicy: archive,
        context,
      });
    expect(await put(`artifacts/${MEMBER}/${REGION}/idle/sweep-1/model.tar.gz`, { 's3:ObjectCreationOperation': 'false' })).toBe('Allowed');
    expect(await put(`artifacts/${MEMBER}/${REGION}/idle/sweep-1/model.tar.gz`, { 's3:ObjectCreationOperation': 'true', 's3:if-none-match': '*' })).toBe(
      'Allowed',
    );
    for (const key of [
      `artifacts/${OTHER_MEMBER}/${REGION}/idle/sweep-1/model.tar.gz`,
      `manifests/${MEMBER}/${REGION}/idle/sweep-1.json`,
      'sweeps/sweep-1/report.json',
    ]) {
      expect(await put(key, { 's3:if-none-match': '*' }), key).not.toBe('Allowed');
    }
  });

  it('a capability role in the hub account itself is confined to its prefix too', async () => {
    const hubMember = { ...memberRole(HUB, 'snapshot'), identityPolicies: [ADMIN] };
    const object = `arn:aws:s3:::${BUCKET}/audit/sweeps/sweep-1/x.json`;
    expect(await decide(hubMember, { action: 's3:GetObject', resource: object, resourceAccount: HUB, resourcePolicy: policy('archive-bucket-policy') })).toBe(
      'ExplicitlyDenied',
    );
  });
});

describe('regions', () => {
  it('member sessions act only in the swept regions (and the hub region) when the deployment names them', async () => {
    const { loadPolicy, memberPolicyVars, resolvePseudoParameters } = await import('../../infra/policies.ts');
    const { VARS } = await import('./simulate.ts');
    const vars = { ...VARS, ...memberPolicyVars({ memberRoleName: 'ZombieSweepMemberRole', regions: ['eu-west-1'], hubRegion: REGION }) };
    const reader = { ...memberRole(), identityPolicies: [resolvePseudoParameters(loadPolicy('member-read-policy', vars), { accountId: MEMBER })] };
    const describeIn = (region: string) =>
      decide(reader, {
        ...onMember('sagemaker:DescribeEndpoint', `arn:aws:sagemaker:${region}:${MEMBER}:endpoint/demo`),
        context: { 'aws:RequestedRegion': region },
      });
    expect(await describeIn('eu-west-1')).toBe('Allowed');
    expect(await describeIn(REGION)).toBe('Allowed');
    expect(await describeIn('ap-southeast-2')).toBe('ExplicitlyDenied');
  });
});
