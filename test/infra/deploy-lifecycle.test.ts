import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINIMAL_CONFIG_FILE, loadInfraConfig } from '../../infra/config.ts';
import { API_THROTTLED_FILTER } from '../../infra/hub/monitoring.ts';
import { HUB_FUNCTIONS, MEMBER_ACCESS_FUNCTIONS, hubNames } from '../../infra/names.ts';
import { configWith, resourcesOf, synthesize, type Synthesized } from './synth.ts';

/**
 * What a platform team relies on across the deployment lifecycle, read from the synthesized
 * templates: a first deploy that works on a fresh account, evidence that survives an uninstall,
 * an external id that never appears as text, and alarms for what can go wrong unseen.
 */
let example: Synthesized;
let minimal: Synthesized;
let existing: Synthesized;

beforeAll(() => {
  example = synthesize(configWith({ schedule: { expression: 'rate(7 days)', mode: 'report' } }));
  minimal = synthesize(loadInfraConfig(MINIMAL_CONFIG_FILE));
  existing = synthesize(configWith({ approvalApi: { cloudWatchRole: 'existing' }, externalIdSecret: 'platform/zombie-sweep-external-id' }));
});
afterAll(() => {
  for (const s of [example, minimal, existing]) s?.cleanup();
});

const byType = (s: Synthesized, type: string) => Object.entries(resourcesOf(s.json, type));
const names = () => hubNames(example.config);

describe('first deploy on a fresh account', () => {
  it('sets the account-level API Gateway CloudWatch role before the stage that logs through it', () => {
    const [[accountId, account]] = byType(example, 'AWS::ApiGateway::Account') as [[string, any]];
    const [[, stage]] = byType(example, 'AWS::ApiGateway::Stage') as [[string, any]];
    expect(stage.Properties.AccessLogSetting).toBeDefined();
    expect(stage.DependsOn).toContain(accountId);
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    const role = resourcesOf(example.json, 'AWS::IAM::Role')[roleId];
    expect(role.Properties.RoleName).toBe(names().apiGatewayCloudWatchRole);
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
    // Other APIs in the account may log through it: an uninstall leaves the setting and the role.
    expect(account.DeletionPolicy).toBe('Retain');
    expect(role.DeletionPolicy).toBe('Retain');
  });

  it('leaves the account setting alone when the config says the account already has the role', () => {
    expect(byType(existing, 'AWS::ApiGateway::Account')).toHaveLength(0);
    expect(byType(existing, 'AWS::ApiGateway::Stage')[0]![1].Properties.AccessLogSetting).toBeDefined();
  });

  it('synthesizes the minimal config (only the ids) with cdk-nag passing', () => {
    expect(minimal.config.regions).toBe('all');
    expect(byType(minimal, 'AWS::Lambda::Function')).toHaveLength(HUB_FUNCTIONS.length);
    expect(byType(minimal, 'AWS::CloudFormation::StackSet')[0]![1].Properties.CallAs).toBe('SELF');
    expect(byType(minimal, 'AWS::Scheduler::Schedule')).toHaveLength(0);
  });
});

describe('teardown keeps the evidence', () => {
  it('retains both buckets and both bucket policies (TLS-only, org-only, DenyAuditDeletion, log delivery)', () => {
    for (const [, bucket] of byType(example, 'AWS::S3::Bucket')) expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const policies = byType(example, 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(2);
    for (const [id, policy] of policies)
      expect({ id, deletion: policy.DeletionPolicy, replace: policy.UpdateReplacePolicy }).toEqual({ id, deletion: 'Retain', replace: 'Retain' });
    const sids = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement.map((s: any) => s.Sid));
    expect(sids).toEqual(expect.arrayContaining(['DenyAuditDeletion', 'DenyInsecureTransport']));
  });

  it('retains the archive key and its alias, so the alias the guide names keeps working', () => {
    const alias = byType(example, 'AWS::KMS::Alias').find(([, a]) => a.Properties.AliasName === names().archiveKeyAlias)![1];
    expect(alias.DeletionPolicy).toBe('Retain');
    const key = resourcesOf(example.json, 'AWS::KMS::Key')[alias.Properties.TargetKeyId['Fn::GetAtt'][0]];
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('retains every log group: function logs, state machine logs and the approval access logs', () => {
    const groups = byType(example, 'AWS::Logs::LogGroup');
    expect(groups.map(([, g]) => g.Properties.LogGroupName).sort()).toEqual(
      [...HUB_FUNCTIONS.map((fn) => names().logGroup(fn)), names().stateMachineLogGroup, names().apiAccessLogGroup].sort(),
    );
    for (const [, group] of groups)
      expect({ name: group.Properties.LogGroupName, policy: group.DeletionPolicy }).toEqual({ name: group.Properties.LogGroupName, policy: 'Retain' });
  });

  it('names the buckets from the config when set, for a reinstall next to a retained archive', () => {
    const s = synthesize(configWith({ archive: { bucketName: 'bank-zs-archive-2027', accessLogsBucketName: 'bank-zs-access-logs-2027' } }));
    try {
      const bucketNames = byType(s, 'AWS::S3::Bucket')
        .map(([, b]) => b.Properties.BucketName)
        .sort();
      expect(bucketNames).toEqual(['bank-zs-access-logs-2027', 'bank-zs-archive-2027']);
      const fn = byType(s, 'AWS::Lambda::Function').find(([, f]) => f.Properties.FunctionName === 'zombie-sweep-scan')![1];
      expect(fn.Properties.Environment.Variables.ARCHIVE_BUCKET).toBe('bank-zs-archive-2027');
    } finally {
      s.cleanup();
    }
  });
});

describe('external id', () => {
  const stackSet = (s: Synthesized) => byType(s, 'AWS::CloudFormation::StackSet')[0]![1].Properties;

  it('is generated in Secrets Manager and reaches the StackSet only as a dynamic reference to a NoEcho parameter', () => {
    const [[secretId, secret]] = byType(example, 'AWS::SecretsManager::Secret') as [[string, any]];
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false });
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(stackSet(example).Parameters).toEqual([
      { ParameterKey: 'ExternalId', ParameterValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] } },
    ]);
    const body = JSON.stringify(stackSet(example).TemplateBody);
    expect(body).toContain('\\"NoEcho\\":true');
    expect(body).toContain('\\"sts:ExternalId\\":{\\"Fn::Sub\\":\\"${ExternalId}\\"}');
  });

  it('is read by exactly the functions that assume member roles, from the secret', () => {
    const [[secretId]] = byType(example, 'AWS::SecretsManager::Secret') as [[string, any]];
    for (const [, fn] of byType(example, 'AWS::Lambda::Function')) {
      const name = String(fn.Properties.FunctionName).replace(`${example.config.resourcePrefix}-`, '');
      const variable = fn.Properties.Environment.Variables.EXTERNAL_ID_SECRET_ARN;
      if ((MEMBER_ACCESS_FUNCTIONS as readonly string[]).includes(name)) expect(variable, name).toEqual({ Ref: secretId });
      else expect(variable, name).toBeUndefined();
    }
    const scanRole = byType(example, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === names().functionRole('scan'))![1];
    const statements = scanRole.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secretId } }));
  });

  it('uses an existing secret when the config names one, granting read on that secret only', () => {
    expect(byType(existing, 'AWS::SecretsManager::Secret')).toHaveLength(0);
    expect(JSON.stringify(stackSet(existing).Parameters)).toMatch(/\{\{resolve:secretsmanager:[^"]*platform\/zombie-sweep-external-id:SecretString:::\}\}/);
    const scanRole = byType(existing, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === names().functionRole('scan'))![1];
    const statements = scanRole.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:platform/zombie-sweep-external-id-??????',
      }),
    );
  });

  it('appears nowhere in the schedule input', () => {
    const schedule = byType(example, 'AWS::Scheduler::Schedule')[0]![1].Properties;
    expect(JSON.parse(schedule.Target.Input).targets).not.toHaveProperty('externalId');
  });
});

describe('operations', () => {
  // An alarm holds its metric directly, or (when the metric has a label) as the single entry of Metrics.
  const alarms = () =>
    byType(example, 'AWS::CloudWatch::Alarm').map(([, a]) => {
      const stat = a.Properties.Metrics?.[0]?.MetricStat?.Metric;
      return {
        ...a.Properties,
        Namespace: a.Properties.Namespace ?? stat?.Namespace,
        MetricName: a.Properties.MetricName ?? stat?.MetricName,
        Dimensions: a.Properties.Dimensions ?? stat?.Dimensions,
      };
    });

  it('alarms on approval API 5xx and on throttled (429) requests, read from the access log', () => {
    expect(alarms().filter((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5XXError')).toHaveLength(1);
    expect(alarms().filter((a) => a.MetricName === 'ApprovalApiThrottled')).toHaveLength(1);
    example.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: API_THROTTLED_FILTER,
      MetricTransformations: [Match.objectLike({ MetricName: 'ApprovalApiThrottled' })],
    });
    const throttles = alarms().filter((a) => a.MetricName === 'Throttles');
    expect(throttles).toHaveLength(1);
    expect(JSON.stringify(throttles[0]!.Dimensions)).toContain('approvalweb');
  });

  it('alarms on failed StackSet operations and stack instances, keeping the events in a queue', () => {
    const [[, rule]] = byType(example, 'AWS::Events::Rule') as [[string, any]];
    expect(rule.Properties.EventPattern).toMatchObject({
      source: ['aws.cloudformation'],
      'detail-type': ['CloudFormation StackSet Operation Status Change', 'CloudFormation StackSet StackInstance Status Change'],
    });
    expect(JSON.stringify(rule.Properties.EventPattern.detail['stack-set-arn'])).toContain('StackSetId');
    const alarm = alarms().find((a) => a.MetricName === 'TriggeredRules');
    expect(alarm.Dimensions).toEqual([{ Name: 'RuleName', Value: { Ref: byType(example, 'AWS::Events::Rule')[0]![0] } }]);
    expect(rule.Properties.Targets).toHaveLength(1);
  });

  it('alarms when a scheduled start lands in the dead-letter queue', () => {
    const queueId = byType(example, 'AWS::SQS::Queue').find(([, q]) => q.Properties.QueueName === names().scheduleDeadLetterQueue)![0];
    const alarm = alarms().find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }]);
  });

  it('shows every alarm, the approval API and the StackSet failures on the dashboard', () => {
    const [[, dashboard]] = byType(example, 'AWS::CloudWatch::Dashboard') as [[string, any]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of ['Approval API', 'Deployment and schedule', 'Alarms', 'Sweeps']) expect(body).toContain(title);
    for (const metric of ['5XXError', 'ApprovalApiThrottled', 'TriggeredRules', 'ApproximateNumberOfMessagesVisible', 'ExecutionsAborted'])
      expect(body).toContain(metric);
    const alarmCount = byType(example, 'AWS::CloudWatch::Alarm').length;
    expect((body.match(/arn:[^"\\]*:cloudwatch:[^"\\]*:alarm:|Fn::GetAtt\\",\\"[A-Za-z0-9]+\\",\\"Arn|"Fn::GetAtt/g) ?? []).length).toBeGreaterThan(0);
    expect(alarmCount).toBeGreaterThanOrEqual(HUB_FUNCTIONS.length + 8);
  });

  it('sends every alarm to the operators', () => {
    for (const alarm of alarms()) expect(alarm.AlarmActions, alarm.AlarmName).toHaveLength(1);
  });
});
