import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WORKFLOW_FUNCTIONS, functionArnPlaceholder } from '../../src/core/functions.ts';
import { SETTING_PLACEHOLDERS, STATE_MACHINE_PLACEHOLDERS, readSweepAsl } from '../../statemachine/placeholders.ts';
import { sweepTimeoutSeconds, type InfraConfig } from '../config.ts';
import type { HubNames } from '../names.ts';
import { loadPolicy, type PolicyVars } from '../policies.ts';
import type { HubFunctions } from './functions.ts';

export interface WorkflowProps {
  config: InfraConfig;
  names: HubNames;
  policyVars: PolicyVars;
  functions: HubFunctions;
}

/** The value of every placeholder in statemachine/placeholders.ts, and nothing else. */
export function definitionSubstitutions(
  config: InfraConfig,
  names: HubNames,
  functionArn: (fn: (typeof WORKFLOW_FUNCTIONS)[number]) => string,
): Record<string, string> {
  const values: Record<string, string> = {
    [SETTING_PLACEHOLDERS.ArchiveBucket]: names.archiveBucket,
    [SETTING_PLACEHOLDERS.ScanMaxConcurrency]: String(config.workflow.scanMaxConcurrency),
    [SETTING_PLACEHOLDERS.ActionMaxConcurrency]: String(config.workflow.actionMaxConcurrency),
    [SETTING_PLACEHOLDERS.ScanToleratedFailurePercentage]: String(config.workflow.scanToleratedFailurePercentage),
  };
  for (const fn of WORKFLOW_FUNCTIONS) values[functionArnPlaceholder(fn)] = functionArn(fn);
  const expected = [...STATE_MACHINE_PLACEHOLDERS].sort();
  const actual = Object.keys(values).sort();
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw new Error(`state machine substitutions out of step with statemachine/placeholders.ts: expected ${expected.join(', ')}; got ${actual.join(', ')}`);
  }
  return values;
}

/**
 * statemachine/sweep.asl.json with its top-level TimeoutSeconds set from the approval window, so a
 * stuck sweep ends as TimedOut (alarmed) instead of running for the one-year maximum. CDK's
 * `timeout` prop only applies to definitions it builds itself, not to a file.
 */
export function sweepDefinition(config: Pick<InfraConfig, 'approval'>): string {
  const definition = JSON.parse(readSweepAsl()) as Record<string, unknown>;
  return JSON.stringify({ ...definition, TimeoutSeconds: sweepTimeoutSeconds(config) });
}

/**
 * The sweep state machine, from the ASL file itself (inline, with its timeout set). Logs go to CloudWatch at
 * level ALL without execution data: states carry the approval task token and approver addresses,
 * which stay in the execution history (IAM-protected, 90 days) rather than in a log group.
 */
export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const { config, names, functions } = props;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: names.stateMachineLogGroup,
      retention: config.retention.logDays as logs.RetentionDays,
      // Logs of what a sweep did are evidence: kept after an uninstall.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      roleName: names.stateMachineRole,
      description: 'zombie-sweep state machine',
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': config.hubAccountId } },
      }),
      inlinePolicies: { workflow: iam.PolicyDocument.fromJson(loadPolicy('hub-state-machine', props.policyVars)) },
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: names.stateMachine,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(sweepDefinition(config)),
      definitionSubstitutions: definitionSubstitutions(config, names, (fn) => functions.functions[fn].functionArn),
      role: this.role.withoutPolicyUpdates(),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
  }
}
