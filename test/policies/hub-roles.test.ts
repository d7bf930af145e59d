import { beforeAll, describe, expect, it } from 'vitest';
import { HUB_FUNCTIONS, MEMBER_ACCESS_FUNCTIONS, type HubFunction } from '../../infra/names.ts';
import { recordCleanupSweep, type RecordedCall, type RecordedIds } from './recorded-calls.ts';
import { capabilityRoleName, type MemberCapability } from '../../src/core/capabilities.ts';
import type { PolicyJson } from '../../infra/policies.ts';
import { DELETIONS_FILE } from '../../src/cleanup/decision.ts';
import { layout } from '../../src/core/layout.ts';
import { AFTER_NOTICE_FILE } from '../../src/cleanup/notice/veto.ts';
import { SAVINGS_FILE } from '../../src/savings/ledger.ts';
import { ACTIONS_LOCK_SCOPE } from '../../src/sweep/lock.ts';
import { SWEEP_FILES } from '../../src/sweep/model.ts';
import { BUCKET, EXTERNAL_ID, HUB, MEMBER, MEMBER_ROLE, ORG, PREFIX, REGION, VARS, decide, policy, roleArn, type Caller, type Request } from './simulate.ts';

/**
 * Each hub function's role against what its code does. What it does is recorded, not copied: one
 * representative cleanup sweep runs through the local runner (recorded-calls.ts) and every SDK call a
 * function made with its own credentials becomes the IAM request(s) AWS would evaluate (requestsOf).
 * The role must allow every one; every statement of hub-<name>.json must be needed by a recorded call
 * or by a path the sweep does not take (NOT_IN_THE_RUN, each named); and a few neighbouring things the
 * function never does stay out of reach. Requests run with the deployed archive bucket policy and key
 * policies, as S3 and KMS evaluate them.
 */

const SWEEP = 'sweep-2026-03-01-a1b2';
const ENDPOINT = 'ep-a';
const MAP_RUN = '0d5a7c2e-6b1f-4a7e-9c3d-2f8e1a4b5c6d';

const key = {
  claim: layout.sweepFile(SWEEP, SWEEP_FILES.claim),
  lock: layout.lock(ACTIONS_LOCK_SCOPE),
  targets: layout.targets(SWEEP),
  findings: layout.findings(SWEEP, MEMBER, REGION),
  mapResults: (kind: 'scan' | 'snapshot' | 'delete', file: string) => `${layout.sweepPrefix(SWEEP)}map-results/${kind}/${MAP_RUN}/${file}`,
  report: layout.report(SWEEP),
  savings: layout.sweepFile(SWEEP, SAVINGS_FILE),
  candidates: layout.sweepFile(SWEEP, SWEEP_FILES.candidates),
  detectedMarker: layout.sweepFile(SWEEP, SWEEP_FILES.detectedMarker),
  approvalCandidates: layout.sweepFile(SWEEP, SWEEP_FILES.approvalCandidates),
  deletions: layout.sweepFile(SWEEP, DELETIONS_FILE),
  manifest: layout.manifest(MEMBER, REGION, ENDPOINT, SWEEP),
  artifact: `${layout.artifactPrefix(MEMBER, REGION, ENDPOINT, SWEEP)}models-${MEMBER}/team/model.tar.gz`,
  snapshotPlan: `${layout.snapshotStatePrefix(SWEEP, MEMBER, REGION, ENDPOINT)}plan.json`,
  snapshotMultipart: `${layout.snapshotStatePrefix(SWEEP, MEMBER, REGION, ENDPOINT)}multipart/3f2a.json`,
  approval: layout.approval(SWEEP),
  decision: layout.decision(SWEEP),
  notice: layout.notice(SWEEP),
  groupDecision: layout.groupDecision(SWEEP, 'search'),
  veto: layout.veto(SWEEP, MEMBER, REGION, ENDPOINT),
  afterNotice: layout.sweepFile(SWEEP, AFTER_NOTICE_FILE),
  endpointEvent: `${layout.endpointAuditPrefix(MEMBER, REGION, ENDPOINT)}2026-03-01T00-00-00-000Z-tagged-abcd1234.json`,
  sweepEvent: `${layout.sweepAuditPrefix(SWEEP)}2026-03-01T00-00-00-000Z-sweep-started-abcd1234.json`,
  sweepIndex: layout.sweepIndexEntry(SWEEP, MEMBER, REGION, ENDPOINT),
};

const bucketPolicy = policy('archive-bucket-policy', HUB);
/** Key policies delegate to IAM in the hub account (as CDK's default key policy does); the role's own policy decides. */
const keyPolicy: PolicyJson = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'kms:*', Resource: '*' }],
};

const onArchive = (action: string, objectKey: string, context: Record<string, string> = {}): Request => ({
  action,
  resource: `arn:aws:s3:::${BUCKET}/${objectKey}`,
  resourceAccount: HUB,
  resourcePolicy: bucketPolicy,
  context,
});
const get = (objectKey: string) => onArchive('s3:GetObject', objectKey);
/** Conditional writes (If-None-Match / If-Match) need nothing beyond s3:PutObject. */
const put = (objectKey: string) => onArchive('s3:PutObject', objectKey);
const remove = (objectKey: string) => onArchive('s3:DeleteObject', objectKey);
/** Audit events: If-None-Match always (the bucket policy refuses anything else), Object Lock retention when configured. */
const appendAudit = (objectKey: string): Request[] => [
  onArchive('s3:PutObject', objectKey, { 's3:if-none-match': '*' }),
  onArchive('s3:PutObjectRetention', objectKey),
];
const list = (prefix: string): Request => ({
  action: 's3:ListBucket',
  resource: `arn:aws:s3:::${BUCKET}`,
  resourceAccount: HUB,
  resourcePolicy: bucketPolicy,
  context: { 's3:prefix': prefix },
});
const archiveKey = (): Request[] =>
  ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ action, resource: String(VARS.ArchiveKeyArn), resourceAccount: HUB, resourcePolicy: keyPolicy }));
const kms = (action: string, keyArn: string): Request => ({ action, resource: keyArn, resourceAccount: HUB, resourcePolicy: keyPolicy });
const publish = (): Request[] => [
  { action: 'sns:Publish', resource: String(VARS.NotificationTopicArn), resourceAccount: HUB },
  kms('kms:GenerateDataKey', String(VARS.NotificationKeyArn)),
  kms('kms:Decrypt', String(VARS.NotificationKeyArn)),
];
/** src/core/clients.ts: AssumeRole of the step's own capability role; the delete step tags its session with the sweep id. */
const assumeMemberRole = (capability: MemberCapability): Request[] => {
  const sweepTag: Record<string, string | string[]> =
    capability === 'delete' ? { 'aws:RequestTag/zombie-sweep-id': SWEEP, 'aws:TagKeys': ['zombie-sweep-id'] } : {};
  const request = (action: string): Request => ({
    action,
    resource: roleArn(MEMBER, capabilityRoleName(MEMBER_ROLE, capability)),
    resourceAccount: MEMBER,
    resourcePolicy: policy(`member-${capability}-role-trust`, MEMBER),
    context: { 'aws:ResourceOrgID': ORG, 'sts:ExternalId': EXTERNAL_ID, ...sweepTag },
  });
  return capability === 'delete' ? [request('sts:AssumeRole'), request('sts:TagSession')] : [request('sts:AssumeRole')];
};
const anywhere = (action: string): Request => ({ action, resource: '*', resourceAccount: HUB });
const putMetrics = (namespace: string): Request => ({
  action: 'cloudwatch:PutMetricData',
  resource: '*',
  resourceAccount: HUB,
  context: { 'cloudwatch:namespace': namespace },
});

/** A recorded call's object key as the policies see it: the simulator's bucket is the deployed archive. */
function requestsOf(call: RecordedCall, ids: RecordedIds): Request[] {
  const input = (call.input ?? {}) as Record<string, unknown>;
  const op = `${call.service}:${call.operation}`;
  const objectKey = String(input.Key ?? '');
  if (call.service === 'S3' && input.Bucket !== ids.bucket)
    throw new Error(`${call.fn} ${op} on bucket ${String(input.Bucket)}: hub functions touch only the archive`);
  const macKey = () =>
    input.KeyId === ids.approvalKeyId
      ? String(VARS.ApprovalMacKeyArn)
      : input.KeyId === ids.decisionKeyId
        ? String(VARS.DecisionMacKeyArn)
        : `unknown key ${String(input.KeyId)}`;
  switch (op) {
    case 'S3:GetObject':
      return [get(objectKey), archiveKey()[1]!];
    case 'S3:HeadObject':
      return [get(objectKey)];
    case 'S3:PutObject': {
      const put = onArchive('s3:PutObject', objectKey, input.IfNoneMatch ? { 's3:if-none-match': String(input.IfNoneMatch) } : {});
      return [put, archiveKey()[0]!, ...(input.ObjectLockMode ? [onArchive('s3:PutObjectRetention', objectKey)] : [])];
    }
    case 'S3:CreateMultipartUpload':
    case 'S3:UploadPart':
    case 'S3:UploadPartCopy':
    case 'S3:CompleteMultipartUpload':
      return [onArchive('s3:PutObject', objectKey), archiveKey()[0]!];
    case 'S3:AbortMultipartUpload':
      return [onArchive('s3:AbortMultipartUpload', objectKey)];
    case 'S3:DeleteObject':
      return [remove(objectKey)];
    case 'S3:ListObjectsV2':
      return [list(String(input.Prefix ?? ''))];
    case 'KMS:GenerateMac':
    case 'KMS:VerifyMac':
      return [kms(`kms:${call.operation}`, macKey())];
    case 'SNS:Publish':
      if (input.TopicArn !== ids.topicArn) throw new Error(`${call.fn} published to ${String(input.TopicArn)}`);
      return publish();
    case 'SNS:ListSubscriptionsByTopic':
      // src/core/notifier.ts: which owners have a confirmed subscription (never subscribes anyone).
      if (input.TopicArn !== ids.topicArn) throw new Error(`${call.fn} listed subscriptions of ${String(input.TopicArn)}`);
      return [{ action: 'sns:ListSubscriptionsByTopic', resource: String(VARS.NotificationTopicArn), resourceAccount: HUB }];
    case 'SFN:SendTaskSuccess':
      return [anywhere('states:SendTaskSuccess')];
    case 'STS:AssumeRole':
      return assumeRecorded(input);
    case 'STS:GetCallerIdentity':
      return [];
    case 'Organizations:ListTagsForResource':
      return [
        {
          action: 'organizations:ListTagsForResource',
          resource: `arn:aws:organizations::${String(VARS.ManagementAccountId)}:account/${ORG}/${String(input.ResourceId)}`,
          resourceAccount: HUB,
        },
      ];
    case 'CloudWatch:PutMetricData':
      return [putMetrics(String(input.Namespace))];
    case 'SecretsManager:GetSecretValue':
      return [{ action: 'secretsmanager:GetSecretValue', resource: String(VARS.ExternalIdSecretArn), resourceAccount: HUB }];
    default:
      if (call.service === 'Organizations' || call.service === 'EC2')
        return [anywhere(`${call.service === 'EC2' ? 'ec2' : 'organizations'}:${call.operation}`)];
      throw new Error(`${call.fn} made ${op}, which this test cannot yet express as an IAM request: add it here`);
  }
}

/** The AssumeRole a function made, as deployed: always with the hub's external id, into a role of the organization. */
function assumeRecorded(input: Record<string, unknown>): Request[] {
  const roleName = String(input.RoleArn).split('/').pop()!;
  const capability = (['snapshot', 'tag', 'delete'] as const).find((c) => roleName === capabilityRoleName(MEMBER_ROLE, c)) ?? 'read';
  const account = String(input.RoleArn).split(':')[4]!;
  const tags = (input.Tags as { Key: string; Value: string }[] | undefined) ?? [];
  const context: Record<string, string | string[]> = {
    'aws:ResourceOrgID': ORG,
    'sts:ExternalId': EXTERNAL_ID,
    ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])),
    ...(tags.length > 0 ? { 'aws:TagKeys': tags.map((t) => t.Key) } : {}),
  };
  const request = (action: string): Request => ({
    action,
    resource: roleArn(account, capabilityRoleName(MEMBER_ROLE, capability)),
    resourceAccount: account,
    resourcePolicy: policy(`member-${capability}-role-trust`, account),
    context,
  });
  return tags.length > 0 ? [request('sts:AssumeRole'), request('sts:TagSession')] : [request('sts:AssumeRole')];
}

/**
 * What the recorded sweep does not do, so nothing recorded it: other paths of the same functions
 * (approver groups, owner vetoes, a failed sweep, a resumed snapshot, organization listing by OU,
 * savings metrics deployed). Each request names the path; everything else comes from the recording.
 */
const NOT_IN_THE_RUN: Partial<Record<HubFunction, Request[]>> = {
  // src/sweep/input.ts: a retried ValidateInput reads the claim its first attempt wrote.
  'validate-input': [get(key.claim)],
  // src/sweep/targets.ts: targets by OU, regions 'all' (enabled regions through the member role's read capability).
  'list-targets': [
    anywhere('organizations:ListAccountsForParent'),
    anywhere('organizations:ListOrganizationalUnitsForParent'),
    anywhere('ec2:DescribeRegions'),
    ...assumeMemberRole('read'),
  ],
  // src/core/owners.ts, src/cleanup/approval/groups.ts: no account owner configured (its Organizations tags), approver groups by OU.
  collect: [
    {
      action: 'organizations:ListTagsForResource',
      resource: `arn:aws:organizations::${String(VARS.ManagementAccountId)}:account/${ORG}/${MEMBER}`,
      resourceAccount: HUB,
    },
    anywhere('organizations:ListParents'),
  ],
  // src/cleanup/approval/request.ts: a retried request forwards an already recorded decision to the new task token.
  'request-approval': [anywhere('states:SendTaskSuccess')],
  // src/cleanup/decision.ts: a pending decision reconciled, or the window closing without one (expired record).
  'apply-decision': [put(key.decision)],
  // src/cleanup/approval/groups.ts, src/cleanup/notice/web.ts: a group vote checks the decision so far; an owner's veto.
  'approval-web': [kms('kms:VerifyMac', String(VARS.DecisionMacKeyArn)), put(key.veto)],
  // src/sweep/savings.ts: deployed, the Report step publishes the savings metrics (METRICS_NAMESPACE).
  report: [putMetrics('ZombieSweep')],
  // src/sweep/failure.ts: a failed sweep: mark the report failed, release the lock, notify.
  'record-failure': [get(key.report), put(key.report), get(key.lock), remove(key.lock), ...publish(), ...appendAudit(key.sweepEvent), ...archiveKey()],
};

/** Neighbouring things each function never does: each must be refused. */
const NEVER: Record<HubFunction, Request[]> = {
  'validate-input': [remove(key.lock), put(key.manifest), put(key.decision), remove(key.sweepEvent)],
  'list-targets': [
    get(key.targets),
    put(key.report),
    put(key.manifest),
    anywhere('organizations:DescribeOrganization'),
    anywhere('organizations:InviteAccountToOrganization'),
  ],
  scan: [get(key.findings), put(key.report), put(key.targets), put(key.manifest), remove(key.endpointEvent)],
  collect: [
    put(key.manifest),
    put(key.decision),
    remove(key.lock),
    anywhere('states:SendTaskSuccess'),
    anywhere('organizations:TagResource'),
    anywhere('organizations:ListAccounts'),
  ],
  snapshot: [put(key.artifact), remove(key.manifest), put(key.decision), remove(key.endpointEvent)],
  tag: [put(key.manifest), put(key.decision), remove(key.endpointEvent), anywhere('states:SendTaskSuccess')],
  'request-approval': [
    { action: 'sns:Subscribe', resource: String(VARS.NotificationTopicArn), resourceAccount: HUB },
    { action: 'sns:SetSubscriptionAttributes', resource: String(VARS.NotificationTopicArn), resourceAccount: HUB },
    kms('kms:VerifyMac', String(VARS.ApprovalMacKeyArn)),
    kms('kms:GenerateMac', String(VARS.DecisionMacKeyArn)),
    put(key.manifest),
    put(key.deletions),
    remove(key.decision),
  ],
  'approval-web': [
    put(key.approval),
    put(key.notice),
    put(key.manifest),
    put(key.deletions),
    kms('kms:GenerateMac', String(VARS.ApprovalMacKeyArn)),
    anywhere('states:SendTaskFailure'),
    remove(key.decision),
  ],
  'apply-decision': [
    kms('kms:GenerateMac', String(VARS.DecisionMacKeyArn)),
    put(key.veto),
    put(key.notice),
    remove(key.endpointEvent),
    remove(key.sweepEvent),
    put(key.approval),
    put(key.manifest),
    remove(key.decision),
    anywhere('states:SendTaskSuccess'),
  ],
  delete: [
    kms('kms:GenerateMac', String(VARS.DecisionMacKeyArn)),
    put(key.veto),
    put(key.decision),
    get(key.approval),
    put(key.manifest),
    remove(key.endpointEvent),
    put(key.deletions),
  ],
  report: [put(key.lock), put(key.manifest), put(key.decision), remove(key.sweepEvent), putMetrics('AWS/SageMaker'), putMetrics('SomeoneElse')],
  'record-failure': [put(key.lock), put(key.manifest), put(key.decision), remove(key.sweepEvent)],
};

/** The documents a function's role holds, as infra attaches them (infra/hub/functions.ts documentsFor). */
const documentsOf = (fn: HubFunction) => [
  policy('hub-function-base', HUB),
  policy(`hub-${fn}`, HUB),
  ...((MEMBER_ACCESS_FUNCTIONS as readonly string[]).includes(fn) ? [policy('hub-external-id', HUB)] : []),
];
const roleOf = (fn: HubFunction, identityPolicies = [policy('hub-function-base', HUB), policy(`hub-${fn}`, HUB)]): Caller => ({
  accountId: HUB,
  roleName: `${PREFIX}-${fn}`,
  orgId: ORG,
  identityPolicies,
});
const label = (r: Request) => `${r.action} ${r.resource.replace(`arn:aws:s3:::${BUCKET}/`, '')}`;
const actionsOf = (statement: Record<string, unknown>) => ([] as string[]).concat(statement.Action as string | string[]);

let recorded: { fn: HubFunction; what: string; requests: Request[] }[] = [];
beforeAll(async () => {
  const { calls, ids } = await recordCleanupSweep();
  // Calls in member accounts run under the member capability roles (member-capabilities.test.ts), not the function's own.
  recorded = calls.filter((c) => !c.target).map((c) => ({ fn: c.fn, what: `${c.service}:${c.operation}`, requests: requestsOf(c, ids) }));
}, 120_000);

/** Everything a function is known to call: what it did in the recorded sweep, and the paths that sweep does not take. */
const callsOf = (fn: HubFunction): Request[] => [...recorded.filter((r) => r.fn === fn).flatMap((r) => r.requests), ...(NOT_IN_THE_RUN[fn] ?? [])];

describe('the recorded sweep', () => {
  it('ran every workflow function and the approval pages', () => {
    const ran = new Set(recorded.map((r) => r.fn));
    expect(HUB_FUNCTIONS.filter((fn) => !ran.has(fn) && fn !== 'record-failure')).toEqual([]);
  });
});

describe.each(HUB_FUNCTIONS.map((fn) => [fn] as const))('hub role %s', (fn) => {
  it('allows every call the function made in the recorded sweep', async () => {
    const denied: string[] = [];
    for (const { what, requests } of recorded.filter((r) => r.fn === fn)) {
      for (const request of requests) if ((await decide(roleOf(fn, documentsOf(fn)), request)) !== 'Allowed') denied.push(`${what}: ${label(request)}`);
    }
    expect(denied).toEqual([]);
  });

  it('allows the calls of the paths the recorded sweep does not take', async () => {
    const denied: string[] = [];
    for (const request of NOT_IN_THE_RUN[fn] ?? []) if ((await decide(roleOf(fn, documentsOf(fn)), request)) !== 'Allowed') denied.push(label(request));
    expect(denied).toEqual([]);
  });

  it('grants nothing its code does not call (every statement and action is used)', async () => {
    const unused: string[] = [];
    for (const statement of policy(`hub-${fn}`, HUB).Statement) {
      for (const action of actionsOf(statement)) {
        const alone = roleOf(fn, [{ Version: '2012-10-17', Statement: [{ ...statement, Action: action }] }]);
        let used = false;
        for (const request of callsOf(fn).filter((r) => r.action === action)) if ((used = (await decide(alone, request)) === 'Allowed')) break;
        if (!used) unused.push(`${String(statement.Sid)}: ${action}`);
      }
    }
    expect(unused).toEqual([]);
  });

  it('refuses what the function never does', async () => {
    const allowed: string[] = [];
    for (const request of NEVER[fn]) if ((await decide(roleOf(fn), request)) === 'Allowed') allowed.push(label(request));
    expect(allowed).toEqual([]);
  });
});
