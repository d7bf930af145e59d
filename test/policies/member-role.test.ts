import { describe, expect, it } from 'vitest';
import { BUCKET, HUB, MEMBER, OTHER_MEMBER, OUTSIDER, REGION, ADMIN, decide, memberRole, policy, type Request } from './simulate.ts';

/** What the member role (policies/member-role-policy.json) may and may not do, evaluated by an IAM simulator. */
const endpointArn = (name: string, account = MEMBER) => `arn:aws:sagemaker:${REGION}:${account}:endpoint/${name}`;
const icArn = (name: string) => `arn:aws:sagemaker:${REGION}:${MEMBER}:inference-component/${name}`;
const onMember = (action: string, resource: string, context: Request['context'] = {}): Request => ({ action, resource, resourceAccount: MEMBER, context });

describe('member role: read-only discovery', () => {
  it.each([
    ['sagemaker:ListEndpoints', '*'],
    ['sagemaker:ListInferenceComponents', '*'],
    ['sagemaker:DescribeEndpoint', endpointArn('demo')],
    ['sagemaker:DescribeEndpointConfig', `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint-config/demo`],
    ['sagemaker:DescribeModel', `arn:aws:sagemaker:${REGION}:${MEMBER}:model/demo`],
    ['sagemaker:DescribeInferenceComponent', icArn('ic-1')],
    ['sagemaker:ListTags', endpointArn('demo')],
    ['cloudwatch:GetMetricData', '*'],
    ['application-autoscaling:DescribeScalableTargets', '*'],
    ['ec2:DescribeRegions', '*'],
    // Tags of idle endpoints in batches of 100 (src/detection); the action has no resource-level permissions.
    ['tag:GetResources', '*'],
  ])('can %s', async (action, resource) => {
    expect(await decide(memberRole(), onMember(action, resource))).toBe('Allowed');
  });
});

describe('member role: deletion only of what the workflow confirmed', () => {
  it('cannot delete an endpoint that has no zombie tag', async () => {
    expect(await decide(memberRole(), onMember('sagemaker:DeleteEndpoint', endpointArn('prod')))).not.toBe('Allowed');
  });

  it.each(['rejected', 'restored', 'Confirmed', 'confirmed '])('cannot delete an endpoint tagged zombie=%j', async (value) => {
    expect(await decide(memberRole(), onMember('sagemaker:DeleteEndpoint', endpointArn('prod'), { 'aws:ResourceTag/zombie': value }))).not.toBe('Allowed');
  });

  it('can delete an endpoint tagged zombie=confirmed', async () => {
    expect(await decide(memberRole(), onMember('sagemaker:DeleteEndpoint', endpointArn('idle'), { 'aws:ResourceTag/zombie': 'confirmed' }))).toBe('Allowed');
  });

  it('deletes inference components only when they carry zombie=confirmed themselves', async () => {
    expect(await decide(memberRole(), onMember('sagemaker:DeleteInferenceComponent', icArn('live')))).not.toBe('Allowed');
    expect(await decide(memberRole(), onMember('sagemaker:DeleteInferenceComponent', icArn('idle'), { 'aws:ResourceTag/zombie': 'confirmed' }))).toBe('Allowed');
  });

  it('cannot delete a confirmed endpoint in another account', async () => {
    const request = { action: 'sagemaker:DeleteEndpoint', resource: endpointArn('idle', OTHER_MEMBER), resourceAccount: OTHER_MEMBER, context: { 'aws:ResourceTag/zombie': 'confirmed' } };
    expect(await decide(memberRole(), request)).not.toBe('Allowed');
  });

  it('deregisters SageMaker scalable targets only', async () => {
    const target = `arn:aws:application-autoscaling:${REGION}:${MEMBER}:scalable-target/abc123`;
    expect(await decide(memberRole(), onMember('application-autoscaling:DeregisterScalableTarget', target, { 'application-autoscaling:service-namespace': 'sagemaker' }))).toBe('Allowed');
    expect(await decide(memberRole(), onMember('application-autoscaling:DeregisterScalableTarget', target, { 'application-autoscaling:service-namespace': 'ecs' }))).not.toBe('Allowed');
  });
});

describe('member role: tags', () => {
  it('can write the workflow tags (zombie*)', async () => {
    const keys = ['zombie', 'zombie-sweep-id', 'zombie-confirmed-date', 'zombie-snapshot', 'zombie-exempt-until'];
    expect(await decide(memberRole(), onMember('sagemaker:AddTags', endpointArn('idle'), { 'aws:TagKeys': keys }))).toBe('Allowed');
    expect(await decide(memberRole(), onMember('sagemaker:DeleteTags', endpointArn('idle'), { 'aws:TagKeys': ['zombie'] }))).toBe('Allowed');
  });

  it.each([[['owner']], [['zombie', 'owner']], [['auto-delete-after']], [['Zombie-x', 'cost-center']]])('cannot write non-zombie* tags %j', async (keys) => {
    expect(await decide(memberRole(), onMember('sagemaker:AddTags', endpointArn('idle'), { 'aws:TagKeys': keys }))).not.toBe('Allowed');
    expect(await decide(memberRole(), onMember('sagemaker:DeleteTags', endpointArn('idle'), { 'aws:TagKeys': keys }))).not.toBe('Allowed');
  });

  it.each([
    ['inference component', icArn('ic-1')],
    ['endpoint config', `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint-config/idle`],
    ['model', `arn:aws:sagemaker:${REGION}:${MEMBER}:model/idle`],
  ])('can mark the %s of a confirmed zombie (deleting it then needs its own zombie=confirmed)', async (_kind, arn) => {
    expect(await decide(memberRole(), onMember('sagemaker:AddTags', arn, { 'aws:TagKeys': ['zombie', 'zombie-sweep-id'] }))).toBe('Allowed');
    expect(await decide(memberRole(), onMember('sagemaker:AddTags', arn, { 'aws:TagKeys': ['owner'] }))).not.toBe('Allowed');
  });

  it('cannot tag without naming the keys', async () => {
    expect(await decide(memberRole(), onMember('sagemaker:AddTags', endpointArn('idle')))).not.toBe('Allowed');
  });
});

describe('member role: nothing else', () => {
  it.each([
    ['sagemaker:CreateEndpoint', endpointArn('new')],
    ['sagemaker:UpdateEndpoint', endpointArn('prod')],
    ['sagemaker:InvokeEndpoint', endpointArn('prod')],
    ['sagemaker:CreatePresignedNotebookInstanceUrl', `arn:aws:sagemaker:${REGION}:${MEMBER}:notebook-instance/nb`],
    ['ec2:TerminateInstances', `arn:aws:ec2:${REGION}:${MEMBER}:instance/i-0123456789abcdef0`],
    ['iam:CreateUser', `arn:aws:iam::${MEMBER}:user/intruder`],
    ['iam:PassRole', `arn:aws:iam::${MEMBER}:role/SageMakerExecution`],
    ['s3:DeleteObject', `arn:aws:s3:::models-${MEMBER}/model.tar.gz`],
    ['s3:PutObject', `arn:aws:s3:::models-${MEMBER}/model.tar.gz`],
    ['kms:Decrypt', `arn:aws:kms:${REGION}:${MEMBER}:key/abcd`],
    ['cloudwatch:PutMetricData', '*'],
    ['sts:AssumeRole', `arn:aws:iam::${OTHER_MEMBER}:role/ZombieSweepMemberRole`],
  ])('cannot %s', async (action, resource) => {
    expect(await decide(memberRole(), onMember(action, resource))).not.toBe('Allowed');
  });
});

describe('member role: model artifacts', () => {
  const artifact = (account: string) => ({ action: 's3:GetObject', resource: `arn:aws:s3:::models-${account}/team/model.tar.gz`, resourceAccount: account });
  const anyoneMayRead = (account: string) => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::models-${account}/*` }],
  });

  it('reads artifacts in its own account', async () => {
    expect(await decide(memberRole(), artifact(MEMBER))).toBe('Allowed');
  });

  it("cannot read other accounts' buckets, even when their bucket policy would allow it", async () => {
    for (const account of [OTHER_MEMBER, OUTSIDER]) {
      expect(await decide(memberRole(), { ...artifact(account), resourcePolicy: anyoneMayRead(account) })).not.toBe('Allowed');
    }
  });

  it('decrypts source objects with its own keys only through S3', async () => {
    const key = `arn:aws:kms:${REGION}:${MEMBER}:key/abcd`;
    // The usual default key policy: the account delegates key use to IAM policies.
    const keyPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 'kms:*', Resource: '*' }] };
    const decrypt = (via: string) => ({ ...onMember('kms:Decrypt', key, { 'kms:ViaService': via }), resourcePolicy: keyPolicy });
    expect(await decide(memberRole(), decrypt(`s3.${REGION}.amazonaws.com`))).toBe('Allowed');
    expect(await decide(memberRole(), decrypt(`secretsmanager.${REGION}.amazonaws.com`))).not.toBe('Allowed');
  });
});

describe('member role: writing into the hub archive (identity policy and bucket policy together)', () => {
  const archive = policy('archive-bucket-policy');
  const put = (key: string) => ({ action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/${key}`, resourceAccount: HUB, resourcePolicy: archive });

  it('writes copies under artifacts/<its own account>/', async () => {
    expect(await decide(memberRole(), put(`artifacts/${MEMBER}/${REGION}/idle/sweep-1/model.tar.gz`))).toBe('Allowed');
  });

  it.each([
    [`artifacts/${OTHER_MEMBER}/${REGION}/idle/sweep-1/model.tar.gz`],
    [`manifests/${MEMBER}/${REGION}/idle/sweep-1.json`],
    [`audit/endpoints/${MEMBER}/${REGION}/idle/x.json`],
    ['sweeps/sweep-1/report.json'],
  ])('cannot write %s', async (key) => {
    expect(await decide(memberRole(), put(key))).not.toBe('Allowed');
  });

  it('cannot read, list or delete in the archive', async () => {
    const object = `arn:aws:s3:::${BUCKET}/manifests/${MEMBER}/${REGION}/idle/sweep-1.json`;
    expect(await decide(memberRole(), { action: 's3:GetObject', resource: object, resourceAccount: HUB, resourcePolicy: archive })).not.toBe('Allowed');
    expect(await decide(memberRole(), { action: 's3:DeleteObject', resource: object, resourceAccount: HUB, resourcePolicy: archive })).not.toBe('Allowed');
    expect(await decide(memberRole(), { action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}`, resourceAccount: HUB, resourcePolicy: archive })).not.toBe('Allowed');
  });

  it('a member role in the hub account itself is confined to its prefix too', async () => {
    const hubMember = { ...memberRole(HUB), identityPolicies: [ADMIN] };
    const object = `arn:aws:s3:::${BUCKET}/audit/sweeps/sweep-1/x.json`;
    expect(await decide(hubMember, { action: 's3:GetObject', resource: object, resourceAccount: HUB, resourcePolicy: archive })).toBe('ExplicitlyDenied');
  });
});

describe('restore role (off by default)', () => {
  const restore = () => ({ accountId: MEMBER, roleName: 'ZombieSweepRestoreRole', orgId: 'o-abcdefghij', identityPolicies: [policy('member-restore-role-policy')] });

  it('recreates models, configs, endpoints and inference components with their original tags', async () => {
    for (const [action, type] of [
      ['sagemaker:CreateModel', 'model'],
      ['sagemaker:CreateEndpointConfig', 'endpoint-config'],
      ['sagemaker:CreateEndpoint', 'endpoint'],
      ['sagemaker:CreateInferenceComponent', 'inference-component'],
    ] as const) {
      const resource = `arn:aws:sagemaker:${REGION}:${MEMBER}:${type}/restored`;
      expect(await decide(restore(), onMember(action, resource)), action).toBe('Allowed');
      const tagOnCreate = { 'aws:TagKeys': ['owner', 'zombie'], 'sagemaker:TaggingAction': action.split(':')[1]! };
      expect(await decide(restore(), onMember('sagemaker:AddTags', resource, tagOnCreate)), `${action} tags`).toBe('Allowed');
    }
  });

  it('passes execution roles to SageMaker only', async () => {
    const role = `arn:aws:iam::${MEMBER}:role/SageMakerExecution`;
    expect(await decide(restore(), onMember('iam:PassRole', role, { 'iam:PassedToService': 'sagemaker.amazonaws.com' }))).toBe('Allowed');
    expect(await decide(restore(), onMember('iam:PassRole', role, { 'iam:PassedToService': 'lambda.amazonaws.com' }))).not.toBe('Allowed');
  });

  it('cannot delete, retag owners after creation, or act in another account', async () => {
    expect(await decide(restore(), onMember('sagemaker:DeleteEndpoint', endpointArn('prod'), { 'aws:ResourceTag/zombie': 'confirmed' }))).not.toBe('Allowed');
    expect(await decide(restore(), onMember('sagemaker:AddTags', endpointArn('prod'), { 'aws:TagKeys': ['owner'] }))).not.toBe('Allowed');
    const elsewhere = { action: 'sagemaker:CreateEndpoint', resource: endpointArn('x', OTHER_MEMBER), resourceAccount: OTHER_MEMBER };
    expect(await decide(restore(), elsewhere)).not.toBe('Allowed');
  });
});
