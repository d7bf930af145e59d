import { readFileSync } from 'node:fs';
import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MIN_REASON_LENGTH } from '../../infra/nag.ts';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_SPECS, handlerEntry } from '../../infra/hub/functions.ts';
import { SCAN_TARGET_FAILED_FILTER } from '../../infra/hub/monitoring.ts';
import { SWEEP_WORK_BUDGET_SECONDS } from '../../infra/config.ts';
import { scheduledSweepInput } from '../../infra/hub/schedule.ts';
import { HUB_FUNCTIONS, HUB_OUTPUTS, MEMBER_ACCESS_FUNCTIONS, hubNames } from '../../infra/names.ts';
import { loadPolicy, memberPolicyVars } from '../../infra/policies.ts';
import { withPseudoParameters } from '../../infra/member/member-template.ts';
import { STATE_MACHINE_PLACEHOLDERS, SWEEP_ASL_PATH } from '../../statemachine/placeholders.ts';
import { WORKFLOW_FUNCTIONS, functionArnPlaceholder } from '../../src/core/functions.ts';
import { configWith, resourcesOf, synthesize, type Synthesized } from './synth.ts';

/**
 * The hub stack as CloudFormation sees it, for the example config plus a weekly report schedule (hub
 * is a delegated admin) and for a management-account hub without schedule and with restore on.
 */
let main: Synthesized;
let management: Synthesized;

beforeAll(() => {
  main = synthesize(configWith({ schedule: { expression: 'cron(0 6 ? * MON *)', mode: 'report' } }));
  management = synthesize(
    configWith({
      hubAccountId: '222222222222',
      managementAccountId: '222222222222',
      schedule: undefined,
      operators: [],
      restoreRole: { enabled: true, trustedPrincipalArns: ['arn:aws:iam::222222222222:role/platform-operator'] },
    }),
  );
});
afterAll(() => {
  main?.cleanup();
  management?.cleanup();
});

const logicalIdOf = (s: Synthesized, type: string, predicate: (r: any) => boolean) => {
  const found = Object.entries(resourcesOf(s.json, type)).find(([, r]) => predicate(r));
  if (!found) throw new Error(`no ${type} matching`);
  return found[0];
};
const names = () => hubNames(main.config);
const archiveBucketId = () => logicalIdOf(main, 'AWS::S3::Bucket', (r) => r.Properties.BucketName === names().archiveBucket);
const archiveKeyId = () => logicalIdOf(main, 'AWS::KMS::Key', (r) => String(r.Properties.Description).includes('archive'));
const functionId = (s: Synthesized, fn: string) => logicalIdOf(s, 'AWS::Lambda::Function', (r) => r.Properties.FunctionName === `zombie-sweep-${fn}`);

describe('archive bucket', () => {
  it('is encrypted with the customer key (rotation on), versioned, Object Lock enabled, private and bucket-owner-enforced', () => {
    main.template.hasResourceProperties('AWS::KMS::Key', { Description: Match.stringLikeRegexp('archive'), EnableKeyRotation: true });
    main.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketName: names().archiveBucket,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [archiveKeyId(), 'Arn'] } }, BucketKeyEnabled: true },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'archive/' }),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('sets no default retention: audit objects are locked one by one by their writer', () => {
    const bucket = resourcesOf(main.json, 'AWS::S3::Bucket')[archiveBucketId()];
    expect(bucket.Properties.ObjectLockConfiguration).toBeUndefined();
  });

  it('moves artifacts to Glacier Instant Retrieval and expires old versions everywhere but audit/', () => {
    const rules = resourcesOf(main.json, 'AWS::S3::Bucket')[archiveBucketId()].Properties.LifecycleConfiguration.Rules as any[];
    const artifacts = rules.find((r) => r.Prefix === 'artifacts/');
    expect(artifacts.Transitions).toEqual([{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }]);
    expect(artifacts.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 90 });
    for (const prefix of ['sweeps/', 'manifests/', 'approvals/', 'locks/']) {
      expect(rules.find((r) => r.Prefix === prefix)?.NoncurrentVersionExpiration, prefix).toEqual({ NoncurrentDays: 90 });
    }
    const touchingAudit = rules.filter(
      (r) => (r.Prefix === undefined || r.Prefix.startsWith('audit')) && (r.ExpirationInDays || r.NoncurrentVersionExpiration || r.Transitions),
    );
    expect(touchingAudit).toEqual([]);
  });

  it('carries the bucket policy from policies/: TLS only, organization only, member writes under artifacts/, audit append-only', () => {
    const policy = Object.values(resourcesOf(main.json, 'AWS::S3::BucketPolicy')).find((p) => p.Properties.Bucket.Ref === archiveBucketId());
    const sids = (policy.Properties.PolicyDocument.Statement as any[]).map((s) => s.Sid);
    expect(sids).toEqual(loadPolicy('archive-bucket-policy', { ...fakeVars() }).Statement.map((s) => s.Sid));
    const tls = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'DenyInsecureTransport');
    expect(tls).toMatchObject({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    const org = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'DenyPrincipalsOutsideOrganization');
    expect(org.Condition.StringNotEqualsIfExists).toEqual({ 'aws:PrincipalOrgID': main.config.organizationId });
  });

  it('lets member snapshot roles use the archive key only through S3 in the hub region', () => {
    const key = resourcesOf(main.json, 'AWS::KMS::Key')[archiveKeyId()];
    const statement = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'AllowMemberSnapshotRolesToEncryptCopiesThroughS3');
    expect(statement.Condition.StringEquals).toEqual({ 'aws:PrincipalOrgID': main.config.organizationId, 'kms:ViaService': 's3.us-east-1.amazonaws.com' });
  });
});

describe('state machine', () => {
  const props = () => Object.values(resourcesOf(main.json, 'AWS::StepFunctions::StateMachine'))[0].Properties;

  it('is the ASL file itself, with a timeout of the approval window plus the work budget', () => {
    expect(props().DefinitionS3Location).toBeUndefined();
    const definition = JSON.parse(props().DefinitionString);
    const { TimeoutSeconds, ...rest } = definition;
    expect(rest).toEqual(JSON.parse(readFileSync(SWEEP_ASL_PATH, 'utf8')));
    expect(TimeoutSeconds).toBe(main.config.approval.timeoutSeconds + SWEEP_WORK_BUDGET_SECONDS);
  });

  it('substitutes exactly the placeholders of statemachine/placeholders.ts, and those cover the file', () => {
    const substituted = Object.keys(props().DefinitionSubstitutions).sort();
    expect(substituted).toEqual([...STATE_MACHINE_PLACEHOLDERS].sort());
    const asl = JSON.parse(readFileSync(SWEEP_ASL_PATH, 'utf8'));
    const used = new Set<string>();
    const visit = (node: unknown, key?: string): void => {
      if (typeof node === 'string' && key !== 'Comment') for (const m of node.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)) used.add(m[1]!);
      else if (Array.isArray(node)) node.forEach((n) => visit(n));
      else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) visit(v, k);
    };
    visit(asl);
    expect([...used].sort()).toEqual(substituted);
  });

  it('points every function placeholder at its own function and fills the settings from the config', () => {
    const subs = props().DefinitionSubstitutions;
    for (const fn of WORKFLOW_FUNCTIONS) expect(subs[functionArnPlaceholder(fn)], fn).toEqual({ 'Fn::GetAtt': [functionId(main, fn), 'Arn'] });
    expect(subs).toMatchObject({
      ArchiveBucket: names().archiveBucket,
      ScanMaxConcurrency: '40',
      ActionMaxConcurrency: '10',
      ScanToleratedFailurePercentage: '10',
    });
  });

  it('logs every state to CloudWatch without execution data, and traces with X-Ray', () => {
    expect(props().LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(props().TracingConfiguration).toEqual({ Enabled: true });
  });

  it('may start and manage its own Distributed Map children and read/write the Map files', () => {
    const role = Object.values(resourcesOf(main.json, 'AWS::IAM::Role')).find((r) => r.Properties.RoleName === 'zombie-sweep-state-machine');
    const statements = role.Properties.Policies[0].PolicyDocument.Statement as any[];
    expect(statements.find((s) => s.Sid === 'RunDistributedMapChildren').Resource).toBe(
      'arn:aws:states:us-east-1:111111111111:stateMachine:zombie-sweep-sweep',
    );
    expect(statements.find((s) => s.Sid === 'ReadMapItemsAndWriteMapResults').Resource).toBe(`arn:aws:s3:::${names().archiveBucket}/sweeps/*`);
  });
});

describe('Lambda functions', () => {
  const fns = () => resourcesOf(main.json, 'AWS::Lambda::Function');

  it('one per handler: nodejs22.x on ARM64, JSON logs into an explicit log group with retention, sized per function', () => {
    expect(Object.keys(fns())).toHaveLength(HUB_FUNCTIONS.length);
    for (const fn of HUB_FUNCTIONS) {
      const props = fns()[functionId(main, fn)].Properties;
      expect({ fn, runtime: props.Runtime, arch: props.Architectures, format: props.LoggingConfig.LogFormat, handler: props.Handler }).toEqual({
        fn,
        runtime: 'nodejs22.x',
        arch: ['arm64'],
        format: 'JSON',
        handler: 'index.handler',
      });
      expect(props.Timeout).toBe(FUNCTION_SPECS[fn].timeoutSeconds);
      expect(props.MemorySize).toBe(FUNCTION_SPECS[fn].memoryMb);
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      const logGroupId = props.LoggingConfig.LogGroup.Ref;
      expect(resourcesOf(main.json, 'AWS::Logs::LogGroup')[logGroupId].Properties).toEqual({
        LogGroupName: `/aws/lambda/zombie-sweep-${fn}`,
        RetentionInDays: 365,
      });
    }
    expect(FUNCTION_SPECS['approval-web'].timeoutSeconds).toBeLessThanOrEqual(29);
  });

  it('gets every environment variable its handler requires, and none it does not read', () => {
    const sharedDeps = readFileSync(new URL('../../functions/shared/sweep-deps.ts', import.meta.url), 'utf8');
    const cleanupDeps = readFileSync(new URL('../../functions/shared/cleanup-deps.ts', import.meta.url), 'utf8');
    const read = (source: string) => [...source.matchAll(/(required|optional)Env\('([A-Z_]+)'\)/g)].map((m) => ({ kind: m[1]!, name: m[2]! }));
    for (const fn of HUB_FUNCTIONS) {
      const handler = readFileSync(handlerEntry(fn), 'utf8');
      const sources = handler + (handler.includes('sweepDepsFromEnv') ? sharedDeps : '') + (handler.includes('cleanupDepsFromEnv') ? cleanupDeps : '');
      const names = read(sources);
      const required = new Set(names.filter((n) => n.kind === 'required').map((n) => n.name));
      const readable = new Set(names.map((n) => n.name));
      if (sources.includes('protectedListFromEnv()')) readable.add('PROTECTED_LIST');
      if (sources.includes('auditRetentionFromEnv()')) ['AUDIT_RETENTION_DAYS', 'AUDIT_RETENTION_MODE'].forEach((n) => (required.add(n), readable.add(n)));
      // functions/shared/env.ts: the client factory reads the external id secret when one is set.
      if (sources.includes('clientFactoryFromEnv(') || sources.includes('sweepDepsFromEnv(') || sources.includes('cleanupDepsFromEnv('))
        readable.add('EXTERNAL_ID_SECRET_ARN');
      const env = fns()[functionId(main, fn)].Properties.Environment.Variables as Record<string, unknown>;
      for (const name of required) expect(env[name], `${fn} needs ${name}`).toBeDefined();
      const stale = Object.keys(env).filter((name) => !readable.has(name) && !['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME'].includes(name));
      expect({ fn, stale }).toEqual({ fn, stale: [] });
    }
  });

  it("hands the deployment's protected list to validate-input, which joins it to every sweep", () => {
    const env = fns()[functionId(main, 'validate-input')].Properties.Environment.Variables;
    expect(JSON.parse(env.PROTECTED_LIST as string)).toEqual({ accountIds: [], ouIds: [], tags: {} });
  });

  it('writes audit events with the configured Object Lock retention', () => {
    const env = fns()[functionId(main, 'delete')].Properties.Environment.Variables;
    expect(env).toMatchObject({ AUDIT_RETENTION_DAYS: '2557', AUDIT_RETENTION_MODE: 'COMPLIANCE' });
  });

  it('has one role per function whose policies are exactly the policies/ documents', () => {
    const roles = Object.values(resourcesOf(main.json, 'AWS::IAM::Role'));
    for (const fn of HUB_FUNCTIONS) {
      const role = roles.find((r) => r.Properties.RoleName === `zombie-sweep-${fn}`);
      const policyNames = (role.Properties.Policies as any[]).map((p) => p.PolicyName).sort();
      const memberAccess = MEMBER_ACCESS_FUNCTIONS.includes(fn as never);
      expect(policyNames).toEqual(['base', fn, ...(memberAccess ? ['external-id'] : [])].sort());
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const statements = (role.Properties.Policies as any[]).flatMap((p) => p.PolicyDocument.Statement);
      const assumesMember = statements.some((s) => ([] as string[]).concat(s.Action).includes('sts:AssumeRole'));
      expect({ fn, assumesMember }).toEqual({ fn, assumesMember: MEMBER_ACCESS_FUNCTIONS.includes(fn as never) });
    }
    expect(resourcesOf(main.json, 'AWS::IAM::Policy')).toEqual({});
  });
});

describe('approval API', () => {
  it('serves GET and POST /approvals/{sweepId} through the approval-web function', () => {
    const methods = Object.values(resourcesOf(main.json, 'AWS::ApiGateway::Method')).map((m) => m.Properties);
    expect(methods.map((m) => m.HttpMethod).sort()).toEqual(['GET', 'POST']);
    for (const m of methods) {
      expect(m.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(m.Integration.Uri)).toContain(functionId(main, 'approval-web'));
      expect(m.RequestParameters).toEqual({ 'method.request.path.sweepId': true });
    }
    main.template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{sweepId}' });
  });

  it('limits each client IP and each signed link with WAF rate-based rules on the stage, so one flood cannot use up the stage limit approvers share', () => {
    const acls = Object.values(resourcesOf(main.json, 'AWS::WAFv2::WebACL')).map((r) => r.Properties);
    expect(acls).toHaveLength(1);
    expect(acls[0]).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    expect(acls[0].Rules).toEqual([
      expect.objectContaining({
        Name: 'per-ip-rate-limit',
        Action: { Block: {} },
        Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 100, EvaluationWindowSec: 300 } },
      }),
      expect.objectContaining({
        Name: 'per-link-rate-limit',
        Action: { Block: {} },
        Statement: {
          RateBasedStatement: {
            AggregateKeyType: 'CUSTOM_KEYS',
            CustomKeys: [{ QueryArgument: { Name: 'sig', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
            Limit: 30,
            EvaluationWindowSec: 300,
          },
        },
      }),
    ]);
    const [association] = Object.values(resourcesOf(main.json, 'AWS::WAFv2::WebACLAssociation')).map((r) => r.Properties);
    expect(JSON.stringify(association.ResourceArn)).toContain('/stages/');
    expect(JSON.stringify(association.WebACLArn)).toContain('WebAcl');
  });

  it('throttles and writes access logs', () => {
    main.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20, DataTraceEnabled: false })]),
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('gives request-approval the stage URL to build links from', () => {
    const env = resourcesOf(main.json, 'AWS::Lambda::Function')[functionId(main, 'request-approval')].Properties.Environment.Variables;
    expect(JSON.stringify(env.APPROVAL_BASE_URL)).toContain('execute-api');
  });
});

describe('notifications', () => {
  it('encrypts both topics with a customer key', () => {
    for (const topic of Object.values(resourcesOf(main.json, 'AWS::SNS::Topic'))) expect(topic.Properties.KmsMasterKeyId).toBeDefined();
  });

  it('subscribes each approver by email with a filter on their own address', () => {
    for (const approver of main.config.approvers) {
      main.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: approver, FilterPolicy: { approver: [approver] } });
    }
  });

  it('sends operators reports and failures, never approval links, plus the alarms', () => {
    const [operator] = main.config.operators;
    main.template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: operator, FilterPolicy: { event: ['sweep-finished', 'sweep-failed'] } });
    const subs = Object.values(resourcesOf(main.json, 'AWS::SNS::Subscription')).map((s) => s.Properties);
    const unfiltered = subs.filter((s) => !s.FilterPolicy);
    expect(unfiltered.map((s) => s.Endpoint)).toEqual([operator]);
    expect(JSON.stringify(unfiltered[0].TopicArn)).toContain('AlarmTopic');
  });
});

describe('schedule', () => {
  it('starts report sweeps with the configured input when configured', () => {
    const schedule = Object.values(resourcesOf(main.json, 'AWS::Scheduler::Schedule'))[0].Properties;
    expect(schedule).toMatchObject({ ScheduleExpression: 'cron(0 6 ? * MON *)', ScheduleExpressionTimezone: 'UTC', State: 'ENABLED' });
    const input = JSON.parse(schedule.Target.Input);
    expect(input).toEqual(scheduledSweepInput(main.config));
    expect(input).toMatchObject({ mode: 'report', targets: { org: true, ous: main.config.targetOus, roleName: 'ZombieSweepMemberRole' } });
    // The functions read the external id from the hub secret; the schedule never carries it.
    expect(input.targets.externalId).toBeUndefined();
    expect(JSON.stringify(schedule.Target.Arn)).toContain('StateMachine');
  });

  it('asks for the per-owner digest only when schedule.digest is set', () => {
    expect(scheduledSweepInput(main.config)).not.toHaveProperty('digest');
    const withDigest = configWith({ schedule: { expression: 'cron(0 6 ? * MON *)', mode: 'report', digest: true } });
    expect(scheduledSweepInput(withDigest)).toMatchObject({ mode: 'report', digest: true });
  });

  it('sends starts that fail after their retries to an encrypted dead-letter queue the scheduler role may write to', () => {
    const schedule = Object.values(resourcesOf(main.json, 'AWS::Scheduler::Schedule'))[0].Properties;
    const queueId = logicalIdOf(main, 'AWS::SQS::Queue', (r) => r.Properties.QueueName === names().scheduleDeadLetterQueue);
    expect(schedule.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    expect(resourcesOf(main.json, 'AWS::SQS::Queue')[queueId].Properties.SqsManagedSseEnabled).toBe(true);
    const role = Object.values(resourcesOf(main.json, 'AWS::IAM::Role')).find((r) => r.Properties.RoleName === names().schedulerRole);
    const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:111111111111:${names().scheduleDeadLetterQueue}` }),
    );
  });

  it('does not exist unless configured', () => {
    management.template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });
});

describe('monitoring', () => {
  it('alarms on failed, timed-out and aborted executions, on failing scan targets and on function errors', () => {
    const alarms = Object.values(resourcesOf(main.json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const byMetric = (metric: string) => alarms.filter((a) => a.MetricName === metric);
    expect(byMetric('ExecutionsFailed')).toHaveLength(1);
    expect(byMetric('ExecutionsTimedOut')).toHaveLength(1);
    expect(byMetric('ExecutionsAborted')).toHaveLength(1);
    expect(byMetric('ScanTargetsFailed')).toHaveLength(1);
    expect(byMetric('Errors')).toHaveLength(HUB_FUNCTIONS.length);
    for (const alarm of alarms) expect(alarm.AlarmActions).toHaveLength(1);
    main.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: SCAN_TARGET_FAILED_FILTER,
      MetricTransformations: [Match.objectLike({ MetricName: 'ScanTargetsFailed' })],
    });
    main.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('member capability StackSets', () => {
  const stackSets = (s: Synthesized) => Object.values(resourcesOf(s.json, 'AWS::CloudFormation::StackSet')).map((r) => r.Properties);
  const stackSet = (s: Synthesized, name: string) => stackSets(s).find((p) => p.StackSetName === name);

  it('are service-managed, auto-deploy to the configured OUs in one region, and remove the roles from accounts that leave', () => {
    for (const name of ['zombie-sweep-member-role', 'zombie-sweep-member-actions']) {
      expect(stackSet(main, name), name).toMatchObject({
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: main.config.targetOus }, Regions: ['us-east-1'] }],
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        CallAs: 'DELEGATED_ADMIN',
      });
    }
    expect(stackSet(management, 'zombie-sweep-member-role').CallAs).toBe('SELF');
  });

  it('deploy each capability role built from policies/ with per-account pseudo parameters', () => {
    const vars = { ...fakeVars(), ArchiveKeyArn: main.hub.archive.key.keyArn, Partition: '${AWS::Partition}' };
    const expected = (name: string) => Stack.of(main.hub).resolve(withPseudoParameters(loadPolicy(name, vars)));
    const observe = Stack.of(main.hub).resolve(main.hub.memberStackSet.template);
    const act = Stack.of(main.hub).resolve(main.hub.memberStackSet.actionTemplate);
    const roles = {
      read: observe.Resources.MemberRole.Properties,
      snapshot: observe.Resources.SnapshotRole.Properties,
      tag: act.Resources.TagRole.Properties,
      delete: act.Resources.DeleteRole.Properties,
    };
    // The read role keeps the single member role's logical id and name: an upgrade narrows it in place.
    expect(roles.read.RoleName).toBe('ZombieSweepMemberRole');
    for (const [capability, role] of Object.entries(roles)) {
      expect(role.RoleName, capability).toBe(
        capability === 'read' ? 'ZombieSweepMemberRole' : `ZombieSweepMemberRole-${capability.charAt(0).toUpperCase()}${capability.slice(1)}`,
      );
      expect(role.AssumeRolePolicyDocument, capability).toEqual(expected(`member-${capability}-role-trust`));
      expect(role.Policies[0].PolicyDocument, capability).toEqual(expected('member-read-policy'));
      if (capability !== 'read') expect(role.Policies[1].PolicyDocument, capability).toEqual(expected(`member-${capability}-policy`));
    }
    expect(Object.keys(observe.Resources).sort()).toEqual(['MemberRole', 'SnapshotRole']);
    expect(Object.keys(act.Resources).sort()).toEqual(['DeleteRole', 'TagRole']);
    // IAM policy variables survive the Fn::Sub escaping.
    expect(JSON.stringify(roles.delete.Policies[1].PolicyDocument)).toContain('"${aws:PrincipalTag/zombie-sweep-id}"');
    expect(JSON.stringify(roles.read.Policies[0].PolicyDocument)).toContain('arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:endpoint/*');
  });

  it('serialize valid template bodies (CloudFormation only fills in the archive key ARN)', () => {
    for (const [name, resources] of [
      ['zombie-sweep-member-role', ['MemberRole', 'SnapshotRole']],
      ['zombie-sweep-member-actions', ['TagRole', 'DeleteRole']],
    ] as const) {
      const body = stackSet(main, name).TemplateBody as string | { 'Fn::Join': [string, unknown[]] };
      const text =
        typeof body === 'string'
          ? body
          : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'arn:aws:kms:us-east-1:111111111111:key/resolved-at-deploy')).join('');
      const parsed = JSON.parse(text);
      expect(Object.keys(parsed.Resources), name).toEqual(resources);
      expect(Object.keys(parsed.Parameters), name).toEqual(['ExternalId']);
      expect(text.length).toBeLessThan(51_200); // TemplateBody limit
    }
  });

  it('leave the tag and delete roles out of protected accounts and protected target OUs', () => {
    const [ouA, ouB] = ['ou-abcd-11111111', 'ou-abcd-22222222'];
    const guarded = synthesize(configWith({ targetOus: [ouA, ouB], protected: { accountIds: ['999999999999'], ouIds: [ouB] } }));
    expect(stackSet(guarded, 'zombie-sweep-member-role').StackInstancesGroup[0].DeploymentTargets).toEqual({ OrganizationalUnitIds: [ouA, ouB] });
    expect(stackSet(guarded, 'zombie-sweep-member-actions').StackInstancesGroup[0].DeploymentTargets).toEqual({
      OrganizationalUnitIds: [ouA],
      AccountFilterType: 'DIFFERENCE',
      Accounts: ['999999999999'],
    });
    const allProtected = synthesize(configWith({ targetOus: [ouA], protected: { accountIds: [], ouIds: [ouA] } }));
    expect(stackSet(allProtected, 'zombie-sweep-member-actions')).toBeUndefined();
  });

  it('write the configured protected tags and OUs into the tag and delete roles as IAM refusals', () => {
    const guarded = synthesize(configWith({ protected: { accountIds: [], ouIds: ['ou-abcd-22222222'], tags: { 'data-class': 'regulated' } } }));
    const body = JSON.stringify(stackSet(guarded, 'zombie-sweep-member-actions').TemplateBody);
    for (const sid of ['NeverTagProtectedResourcesByConfiguredTag1', 'NeverDeleteProtectedResourcesByConfiguredTag1', 'NothingInProtectedOrganizationalUnits'])
      expect(body).toContain(sid);
    expect(body).toContain('aws:ResourceTag/data-class');
    expect(body).toContain('/*/ou-abcd-22222222/*');
  });

  it('adds the restore role and the restore read-back grants only when enabled', () => {
    const template = Stack.of(management.hub).resolve(management.hub.memberStackSet.template);
    expect(template.Resources.RestoreRole.Properties.RoleName).toBe('ZombieSweepRestoreRole');
    const bucketPolicies = Object.values(resourcesOf(management.json, 'AWS::S3::BucketPolicy')).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.map((s: any) => s.Sid),
    );
    expect(bucketPolicies).toContain('AllowOwningAccountToReadArchivedArtifacts');
    const mainSids = Object.values(resourcesOf(main.json, 'AWS::S3::BucketPolicy')).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.map((s: any) => s.Sid),
    );
    expect(mainSids).not.toContain('AllowOwningAccountToReadArchivedArtifacts');
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('passes for both configurations (a violation would have failed synthesis)', () => {
    for (const s of [main, management]) {
      const report = new AwsSolutionsChecks().validateScope(s.hub);
      expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    }
  });

  it('acknowledges findings only on specific resources, each with a specific reason', () => {
    const acknowledged: { path: string; id: string; reason: string }[] = [];
    for (const node of main.hub.node.findAll()) {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acknowledged.push({ path: node.node.path, id, reason });
      }
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const ack of acknowledged) {
      expect(ack.path.split('/').length, `${ack.id} on ${ack.path}`).toBeGreaterThan(1);
      expect(ack.reason.length, `${ack.id} on ${ack.path}`).toBeGreaterThanOrEqual(MIN_REASON_LENGTH);
      expect(ack.id, ack.path).not.toMatch(/^(Annotation::)?AwsSolutions-IAM5$/);
    }
  });
});

describe('outputs', () => {
  it('exposes what the CLI and the deploy guide need', () => {
    const outputs = Object.keys(main.json.Outputs);
    expect(outputs).toEqual(expect.arrayContaining(Object.values(HUB_OUTPUTS)));
    expect(main.json.Outputs[HUB_OUTPUTS.stateMachineArn].Value).toEqual({ Ref: logicalIdOf(main, 'AWS::StepFunctions::StateMachine', () => true) });
  });
});

function fakeVars() {
  const n = names();
  return {
    Partition: 'aws',
    HubAccountId: main.config.hubAccountId,
    HubRegion: main.config.hubRegion,
    OrgId: main.config.organizationId,
    ManagementAccountId: main.config.managementAccountId,
    ResourcePrefix: main.config.resourcePrefix,
    ...memberPolicyVars(main.config),
    RestoreRoleName: main.config.restoreRole.name,
    RestoreTrustedPrincipalArns: main.config.restoreRole.trustedPrincipalArns,
    ExternalId: '${ExternalId}',
    ArchiveBucket: n.archiveBucket,
    StateMachineName: n.stateMachine,
    ArchiveKeyArn: 'key',
  };
}
