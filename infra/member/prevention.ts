import { buildSync } from 'esbuild';
import { Stack } from 'aws-cdk-lib';
import * as cfn from 'aws-cdk-lib/aws-cloudformation';
import { Construct } from 'constructs';
import { hubIsManagement, type InfraConfig } from '../config.ts';
import { join } from 'node:path';
import { REPO_ROOT } from '../hub/functions.ts';
import type { HubNames } from '../names.ts';
import { loadPolicy, type PolicyVars } from '../policies.ts';
import { AUTO_TAGGED_EVENTS } from '../../src/prevention/auto-tag.ts';
import { withPseudoParameters } from './member-template.ts';

/**
 * Prevention in member accounts (docs/prevention.md): the auto-tagger in every account of the target
 * OUs and every configured region (EventBridge rules and Lambda functions are regional, unlike the
 * member roles). A StackSet of its own, so turning prevention on or off never touches the roles the
 * sweep relies on. The function's code is inlined (docs/decisions/0005-inline-auto-tagger.md).
 */

/** The handler bundled for the Lambda runtime, which provides the AWS SDK. */
export function autoTaggerCode(): string {
  const out = buildSync({
    entryPoints: [join(REPO_ROOT, 'functions', 'auto-tagger', 'handler.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['@aws-sdk/*'],
    write: false,
    legalComments: 'none',
  });
  const code = out.outputFiles[0]!.text;
  // withPseudoParameters would turn a `${AWS::...}` inside the code into a substitution.
  if (/\$\{AWS::/.test(code)) throw new Error('auto-tagger bundle contains a CloudFormation pseudo parameter pattern');
  return code;
}

export function preventionTemplate(config: InfraConfig, policyVars: PolicyVars, code: string): Record<string, unknown> {
  const functionName = `${config.resourcePrefix}-auto-tagger`;
  const tags = [{ Key: 'zombie-sweep:component', Value: 'prevention' }];
  return withPseudoParameters({
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'zombie-sweep prevention: tags new SageMaker endpoints and inference components with created-by and auto-delete-after',
    Resources: {
      AutoTaggerRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          // Role names are global in an account; one instance per region needs one role per region.
          RoleName: `${config.resourcePrefix}-auto-tagger-\${AWS::Region}`,
          Description: 'zombie-sweep auto-tagger: adds only created-by and auto-delete-after to new endpoints and inference components',
          AssumeRolePolicyDocument: loadPolicy('member-auto-tagger-trust', policyVars),
          Policies: [{ PolicyName: 'zombie-sweep-auto-tagger', PolicyDocument: loadPolicy('member-auto-tagger-policy', policyVars) }],
          Tags: tags,
        },
      },
      AutoTaggerLogs: {
        Type: 'AWS::Logs::LogGroup',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { LogGroupName: `/aws/lambda/${functionName}`, RetentionInDays: config.retention.logDays },
      },
      AutoTagger: {
        Type: 'AWS::Lambda::Function',
        DependsOn: ['AutoTaggerLogs'],
        Properties: {
          FunctionName: functionName,
          Description: 'zombie-sweep: tags new endpoints and inference components with created-by and auto-delete-after',
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 128,
          Timeout: 30,
          ReservedConcurrentExecutions: 5,
          Role: { 'Fn::GetAtt': ['AutoTaggerRole', 'Arn'] },
          Environment: { Variables: { AUTO_DELETE_AFTER_DAYS: String(config.prevention.autoTagger.autoDeleteAfterDays) } },
          Code: { ZipFile: code },
          Tags: tags,
        },
      },
      CreateCallsRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Description: 'SageMaker create calls (via CloudTrail) that the auto-tagger tags',
          EventPattern: {
            source: ['aws.sagemaker'],
            'detail-type': ['AWS API Call via CloudTrail'],
            detail: { eventSource: ['sagemaker.amazonaws.com'], eventName: [...AUTO_TAGGED_EVENTS] },
          },
          Targets: [
            { Id: 'auto-tagger', Arn: { 'Fn::GetAtt': ['AutoTagger', 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 } },
          ],
        },
      },
      RuleMayInvoke: {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          Action: 'lambda:InvokeFunction',
          FunctionName: { Ref: 'AutoTagger' },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': ['CreateCallsRule', 'Arn'] },
          SourceAccount: '${AWS::AccountId}',
        },
      },
    },
  }) as Record<string, unknown>;
}

export interface PreventionStackSetProps {
  config: InfraConfig;
  names: HubNames;
  policyVars: PolicyVars;
}

export class PreventionStackSet extends Construct {
  readonly stackSet: cfn.CfnStackSet;
  readonly template: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: PreventionStackSetProps) {
    super(scope, id);
    const { config, names } = props;
    this.template = preventionTemplate(config, props.policyVars, autoTaggerCode());
    this.stackSet = new cfn.CfnStackSet(this, 'StackSet', {
      stackSetName: `${names.memberStackSet}-prevention`,
      description: 'zombie-sweep auto-tagger in every target account and region',
      permissionModel: 'SERVICE_MANAGED',
      callAs: hubIsManagement(config) ? 'SELF' : 'DELEGATED_ADMIN',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: { regionConcurrencyType: 'PARALLEL', maxConcurrentPercentage: 25, failureTolerancePercentage: 25 },
      stackInstancesGroup: [{ regions: config.prevention.autoTagger.regions, deploymentTargets: { organizationalUnitIds: config.targetOus } }],
      templateBody: Stack.of(this).toJsonString(this.template),
    });
  }
}
