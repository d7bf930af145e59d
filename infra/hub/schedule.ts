import * as iam from 'aws-cdk-lib/aws-iam';
import { Duration } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SweepInputSchema, parseOrThrow, type SweepInput } from '../../src/core/schemas.ts';
import type { InfraConfig } from '../config.ts';
import type { HubNames } from '../names.ts';
import { loadPolicy, type PolicyVars } from '../policies.ts';
import { suppress } from '../nag.ts';

/**
 * The execution input of a scheduled sweep, validated with the same schema ValidateInput uses, so a
 * schedule that would fail at its first run fails `cdk synth` instead.
 */
export function scheduledSweepInput(config: InfraConfig): SweepInput {
  if (!config.schedule) throw new Error('no schedule configured');
  const input: SweepInput = {
    mode: config.schedule.mode,
    targets: {
      org: true,
      // The OUs that have the member role: accounts elsewhere would only ever be reported unreachable.
      ous: config.targetOus,
      regions: config.regions,
      excludeAccounts: config.excludeAccounts,
      roleName: config.memberRoleName,
      // No externalId: the functions read it from the hub secret, so it is never in the schedule's input.
    },
    detection: config.detection,
    approval: {
      approvers: config.approvers,
      timeoutSeconds: config.approval.timeoutSeconds,
      rejectExemptDays: config.approval.rejectExemptDays,
      ownerTagKeys: config.approval.ownerTagKeys,
      ...(config.approval.groups.length > 0 ? { groups: config.approval.groups } : {}),
      ...(config.approval.requiredApprovals > 1 ? { requiredApprovals: config.approval.requiredApprovals } : {}),
      ...(config.approval.notifyOwners
        ? { notifyOwners: true, noticeSeconds: config.approval.noticeSeconds, accountOwners: config.approval.accountOwners }
        : {}),
    },
    requestedBy: `schedule:${config.resourcePrefix}`,
    ...(config.schedule.digest ? { digest: true } : {}),
  };
  parseOrThrow(SweepInputSchema, input, 'scheduled sweep input');
  return input;
}

export interface SweepScheduleProps {
  config: InfraConfig;
  names: HubNames;
  policyVars: PolicyVars;
  stateMachineArn: string;
}

/** EventBridge Scheduler starting one sweep per occurrence. Only created when the config has a schedule. */
export class SweepSchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  /** Starts that failed after the retries land here (and raise the schedule-dead-letters alarm). */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id);
    const { config, names } = props;
    const schedule = config.schedule;
    if (!schedule) throw new Error('SweepSchedule needs config.schedule');

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: names.scheduleDeadLetterQueue,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    suppress(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the sweep schedule; an operator reads it after the alarm.' },
    ]);

    const role = new iam.Role(this, 'Role', {
      roleName: names.schedulerRole,
      description: 'zombie-sweep schedule: starts sweeps',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': config.hubAccountId } },
      }),
      inlinePolicies: { start: iam.PolicyDocument.fromJson(loadPolicy('hub-scheduler', props.policyVars)) },
    });

    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      name: names.schedule,
      description: `zombie-sweep ${schedule.mode} sweep`,
      scheduleExpression: schedule.expression,
      scheduleExpressionTimezone: schedule.timezone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: schedule.enabled ? 'ENABLED' : 'DISABLED',
      target: {
        arn: props.stateMachineArn,
        roleArn: role.roleArn,
        input: JSON.stringify(scheduledSweepInput(config)),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        // The role's policy (policies/hub-scheduler.json) allows SendMessage to exactly this queue name.
        // https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      },
    });
  }
}
