import { describe, expect, it } from 'vitest';
import { HUB_FUNCTIONS, type HubFunction } from '../../infra/names.ts';
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
 * Each hub function's role against what its code does. The table below was taken from the code
 * (every `new …Command(` and `layout.*` key reached from functions/<name>/handler.ts): the role must
 * allow every call on it, every statement of hub-<name>.json must be needed by one of them (no
 * unused grants), and a few neighbouring things the function never does stay out of reach.
 * Requests run with the deployed archive bucket policy and key policies, as S3 and KMS evaluate them.
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
  configCache: layout.configCache(MEMBER, REGION),
};

const bucketPolicy = policy('archive-bucket-policy', HUB);
/** Key policies delegate to IAM in the hub account (as CDK's default key policy does); the role's own policy decides. */
const keyPolicy: PolicyJson = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'kms:*', Resource: '*' }] };

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
const appendAudit = (objectKey: string): Request[] => [onArchive('s3:PutObject', objectKey, { 's3:if-none-match': '*' }), onArchive('s3:PutObjectRetention', objectKey)];
const list = (prefix: string): Request => ({ action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}`, resourceAccount: HUB, resourcePolicy: bucketPolicy, context: { 's3:prefix': prefix } });
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
  const sweepTag: Record<string, string | string[]> = capability === 'delete' ? { 'aws:RequestTag/zombie-sweep-id': SWEEP, 'aws:TagKeys': ['zombie-sweep-id'] } : {};
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
const putMetrics = (namespace: string): Request => ({ action: 'cloudwatch:PutMetricData', resource: '*', resourceAccount: HUB, context: { 'cloudwatch:namespace': namespace } });
const readAuditHistory = (): Request[] => [list(layout.endpointAuditPrefix(MEMBER, REGION, ENDPOINT)), get(key.endpointEvent)];
const appendEndpointEvent = (): Request[] => [...appendAudit(key.sweepIndex), ...appendAudit(key.endpointEvent)];

/** What each function's code calls (handler → domain code), by request. */
const CALLS: Record<HubFunction, Request[]> = {
  // src/sweep/input.ts, lock.ts: claim the sweep id, take the actions lock, sweep-started once.
  'validate-input': [put(key.claim), get(key.claim), get(key.lock), put(key.lock), list(layout.sweepAuditPrefix(SWEEP)), ...appendAudit(key.sweepEvent), ...archiveKey()],
  // src/sweep/target-list.ts, targets.ts: organization accounts, enabled regions through the member role.
  'list-targets': [
    put(key.targets),
    anywhere('organizations:ListAccounts'),
    anywhere('organizations:ListAccountsForParent'),
    anywhere('organizations:ListOrganizationalUnitsForParent'),
    anywhere('ec2:DescribeRegions'),
    ...assumeMemberRole('read'),
    ...archiveKey(),
  ],
  // functions/scan/handler.ts: the findings file of one target, and its endpoint-config cache (src/detection/config-cache.ts).
  scan: [put(key.findings), get(key.configCache), put(key.configCache), ...assumeMemberRole('read'), ...archiveKey()],
  // src/sweep/collect.ts, map-results.ts: both phases, including manifest totals for the report.
  collect: [
    get(key.targets),
    get(key.mapResults('scan', 'manifest.json')),
    get(key.mapResults('scan', 'SUCCEEDED_0.json')),
    get(key.findings),
    put(key.report),
    get(key.report),
    put(key.candidates),
    get(key.detectedMarker),
    put(key.detectedMarker),
    get(key.mapResults('snapshot', 'manifest.json')),
    get(key.mapResults('snapshot', 'FAILED_0.json')),
    get(key.manifest),
    put(key.approvalCandidates),
    anywhere('organizations:ListParents'),
    // src/core/owners.ts: the account owner of a zombie without an owner tag naming an address.
    { action: 'organizations:ListTagsForResource', resource: `arn:aws:organizations::${String(VARS.ManagementAccountId)}:account/${ORG}/${MEMBER}`, resourceAccount: HUB },
    ...appendEndpointEvent(),
    ...archiveKey(),
  ],
  // src/cleanup/snapshot/*: manifests, verifying the member role's copies (HEAD = s3:GetObject), working state.
  snapshot: [
    get(key.manifest),
    put(key.manifest),
    get(key.artifact),
    list(layout.artifactPrefix(MEMBER, REGION, ENDPOINT, SWEEP)),
    get(key.snapshotPlan),
    put(key.snapshotPlan),
    put(key.snapshotMultipart),
    remove(key.snapshotMultipart),
    list(layout.snapshotStatePrefix(SWEEP, MEMBER, REGION, ENDPOINT)),
    ...readAuditHistory(),
    ...appendEndpointEvent(),
    ...assumeMemberRole('snapshot'),
    ...archiveKey(),
  ],
  // src/cleanup/tag.ts: manifest exists (HEAD), audit history, tagged event.
  tag: [get(key.manifest), ...readAuditHistory(), ...appendEndpointEvent(), ...assumeMemberRole('tag'), ...archiveKey()],
  // src/cleanup/approval/request.ts, decide.ts: a retried request forwards a recorded decision (SendTaskSuccess) and settles the record.
  'request-approval': [
    get(key.approvalCandidates),
    get(key.approval),
    put(key.approval),
    get(key.decision),
    put(key.decision),
    // src/cleanup/notice/notice.ts: the owner notice, once per sweep.
    get(key.notice),
    put(key.notice),
    anywhere('states:SendTaskSuccess'),
    kms('kms:GenerateMac', String(VARS.ApprovalMacKeyArn)),
    ...publish(),
    ...appendAudit(key.sweepEvent),
    ...appendEndpointEvent(),
    ...archiveKey(),
  ],
  // src/cleanup/approval/web.ts, decide.ts: verify the link, record the decision once, hand it to the workflow.
  'approval-web': [
    get(key.approval),
    get(key.decision),
    put(key.decision),
    // src/cleanup/approval/groups.ts: a group's decision record with its votes.
    get(key.groupDecision),
    put(key.groupDecision),
    // src/cleanup/notice/web.ts: the owner notice, the owner's veto (written once).
    get(key.notice),
    get(key.veto),
    put(key.veto),
    anywhere('states:SendTaskSuccess'),
    kms('kms:VerifyMac', String(VARS.ApprovalMacKeyArn)),
    kms('kms:GenerateMac', String(VARS.DecisionMacKeyArn)),
    kms('kms:VerifyMac', String(VARS.DecisionMacKeyArn)),
    ...appendAudit(key.sweepEvent),
    ...archiveKey(),
  ],
  // src/cleanup/decision.ts, reject.ts: reconcile a pending decision or record an expiry, tag, write the deletions list.
  'apply-decision': [
    get(key.approvalCandidates),
    // src/cleanup/notice/veto.ts: the owners' vetoes, and the candidates left to the approvers.
    list(layout.vetoPrefix(SWEEP)),
    get(key.groupDecision),
    get(key.veto),
    put(key.afterNotice),
    get(key.approval),
    get(key.decision),
    put(key.decision),
    put(key.deletions),
    kms('kms:VerifyMac', String(VARS.DecisionMacKeyArn)),
    ...readAuditHistory(),
    ...appendAudit(key.sweepEvent),
    ...appendEndpointEvent(),
    ...assumeMemberRole('tag'),
    ...archiveKey(),
  ],
  // src/cleanup/delete.ts, reverify.ts, archive-check.ts: signed decision (VerifyMac), the manifest and a HEAD (s3:GetObject) of every archived copy it lists, audit history.
  delete: [get(key.decision), get(key.veto), kms('kms:VerifyMac', String(VARS.DecisionMacKeyArn)), get(key.manifest), get(key.artifact), ...readAuditHistory(), ...appendEndpointEvent(), ...assumeMemberRole('delete'), ...archiveKey()],
  // src/sweep/finish.ts, savings.ts: report, the verified decision's lists, Delete Map results, savings file and metrics, release the lock, notify.
  report: [
    get(key.report),
    get(key.decision),
    get(key.mapResults('delete', 'manifest.json')),
    get(key.mapResults('delete', 'SUCCEEDED_0.json')),
    put(key.report),
    put(key.savings),
    get(key.lock),
    remove(key.lock),
    ...publish(),
    ...appendAudit(key.sweepEvent),
    ...archiveKey(),
    putMetrics('ZombieSweep'),
  ],
  // src/sweep/failure.ts: mark the report failed, release the lock, notify.
  'record-failure': [get(key.report), put(key.report), get(key.lock), remove(key.lock), ...publish(), ...appendAudit(key.sweepEvent), ...archiveKey()],
};

/** Neighbouring things each function never does: each must be refused. */
const NEVER: Record<HubFunction, Request[]> = {
  'validate-input': [remove(key.lock), put(key.manifest), put(key.decision), remove(key.sweepEvent)],
  'list-targets': [get(key.targets), put(key.report), put(key.manifest), anywhere('organizations:DescribeOrganization'), anywhere('organizations:InviteAccountToOrganization')],
  scan: [get(key.findings), put(key.report), put(key.targets), put(key.manifest), remove(key.endpointEvent)],
  collect: [put(key.manifest), put(key.decision), remove(key.lock), anywhere('states:SendTaskSuccess'), anywhere('organizations:TagResource'), anywhere('organizations:ListAccounts')],
  snapshot: [put(key.artifact), remove(key.manifest), put(key.decision), remove(key.endpointEvent)],
  tag: [put(key.manifest), put(key.decision), remove(key.endpointEvent), anywhere('states:SendTaskSuccess')],
  'request-approval': [kms('kms:VerifyMac', String(VARS.ApprovalMacKeyArn)), kms('kms:GenerateMac', String(VARS.DecisionMacKeyArn)), put(key.manifest), put(key.deletions), remove(key.decision)],
  'approval-web': [
    put(key.approval),
    put(key.notice),
    put(key.manifest),
    put(key.deletions),
    kms('kms:GenerateMac', String(VARS.ApprovalMacKeyArn)),
    anywhere('states:SendTaskFailure'),
    remove(key.decision),
  ],
  'apply-decision': [kms('kms:GenerateMac', String(VARS.DecisionMacKeyArn)), put(key.veto), put(key.notice), remove(key.endpointEvent), remove(key.sweepEvent), put(key.approval), put(key.manifest), remove(key.decision), anywhere('states:SendTaskSuccess')],
  delete: [kms('kms:GenerateMac', String(VARS.DecisionMacKeyArn)), put(key.veto), put(key.decision), get(key.approval), put(key.manifest), remove(key.endpointEvent), put(key.deletions)],
  report: [put(key.lock), put(key.manifest), put(key.decision), remove(key.sweepEvent), putMetrics('AWS/SageMaker'), putMetrics('SomeoneElse')],
  'record-failure': [put(key.lock), put(key.manifest), put(key.decision), remove(key.sweepEvent)],
};

const roleOf = (fn: HubFunction, identityPolicies = [policy('hub-function-base', HUB), policy(`hub-${fn}`, HUB)]): Caller => ({
  accountId: HUB,
  roleName: `${PREFIX}-${fn}`,
  orgId: ORG,
  identityPolicies,
});
const label = (r: Request) => `${r.action} ${r.resource.replace(`arn:aws:s3:::${BUCKET}/`, '')}`;
const actionsOf = (statement: Record<string, unknown>) => ([] as string[]).concat(statement.Action as string | string[]);

describe.each(HUB_FUNCTIONS.map((fn) => [fn] as const))('hub role %s', (fn) => {
  it('allows every call its code makes', async () => {
    const denied: string[] = [];
    for (const request of CALLS[fn]) if ((await decide(roleOf(fn), request)) !== 'Allowed') denied.push(label(request));
    expect(denied).toEqual([]);
  });

  it('grants nothing its code does not call (every statement and action is used)', async () => {
    const unused: string[] = [];
    for (const statement of policy(`hub-${fn}`, HUB).Statement) {
      for (const action of actionsOf(statement)) {
        const alone = roleOf(fn, [{ Version: '2012-10-17', Statement: [{ ...statement, Action: action }] }]);
        let used = false;
        for (const request of CALLS[fn].filter((r) => r.action === action)) if ((used = (await decide(alone, request)) === 'Allowed')) break;
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
