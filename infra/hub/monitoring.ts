import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HUB_FUNCTIONS, type HubNames } from '../names.ts';
import { suppress } from '../nag.ts';
import type { HubFunctions } from './functions.ts';
import { SAVINGS_METRICS } from '../../src/savings/metrics.ts';

/**
 * Each scan child logs one structured line per target, `scan finished` with its `status`
 * (functions/scan/handler.ts; Powertools JSON, so CloudWatch matches fields directly).
 * Unreachable targets are reported, not fatal, so without this metric a member role missing from
 * a whole OU would only show up in reports nobody reads.
 */
export const SCAN_TARGET_FAILED_FILTER = '{ ($.message = "scan finished") && (($.status = "unreachable") || ($.status = "error")) }';
export const SCAN_TARGET_FAILED_METRIC = 'ScanTargetsFailed';

/**
 * API Gateway counts stage-throttled requests (429) only inside 4XXError, so throttling is read from
 * the approval API's own access log (JSON, `status` as text; apigateway's jsonWithStandardFields).
 */
export const API_THROTTLED_FILTER = '{ ($.status = "429") || ($.status = 429) }';
export const API_THROTTLED_METRIC = 'ApprovalApiThrottled';

/**
 * StackSet operations and stack instances that fail: CloudFormation sends these events to EventBridge
 * in the StackSet's own account and region
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stackset-operation-status-change.html,
 * .../event-detail-stackset-stack-instance-status-change.html). A member account whose instance fails
 * stays OUTDATED while the hub deploy reports success, so this is the only signal.
 */
export function stackSetFailurePattern(stackSetArn: string): events.EventPattern {
  return {
    source: ['aws.cloudformation'],
    detailType: ['CloudFormation StackSet Operation Status Change', 'CloudFormation StackSet StackInstance Status Change'],
    detail: {
      'stack-set-arn': [stackSetArn],
      'status-details': { $or: [{ status: ['FAILED', 'STOPPED'] }, { 'detailed-status': ['FAILED', 'INOPERABLE', 'CANCELLED'] }] },
    },
  } as events.EventPattern;
}

export interface MonitoringProps {
  names: HubNames;
  stateMachine: sfn.StateMachine;
  functions: HubFunctions;
  alarmTopic: sns.ITopic;
  approvalApi: { api: apigw.RestApi; accessLogs: logs.ILogGroup };
  /** ARN of the member-role StackSet (its failures are alarmed). */
  stackSetArn: string;
  /** The schedule's dead-letter queue, when a schedule exists. */
  scheduleDeadLetterQueue?: sqs.IQueue;
}

/** Alarms on failed or timed-out sweeps, failing scan targets and function errors; one dashboard for sweeps. */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { names, stateMachine, functions } = props;
    const period = Duration.minutes(5);
    const notify = new actions.SnsAction(props.alarmTopic);

    const failed = stateMachine.metricFailed({ period, statistic: 'Sum' });
    const timedOut = stateMachine.metricTimedOut({ period, statistic: 'Sum' });
    const aborted = stateMachine.metricAborted({ period, statistic: 'Sum' });

    new logs.MetricFilter(this, 'ScanTargetsFailedFilter', {
      logGroup: functions.logGroups.scan,
      filterPattern: logs.FilterPattern.literal(SCAN_TARGET_FAILED_FILTER),
      metricNamespace: names.metricNamespace,
      metricName: SCAN_TARGET_FAILED_METRIC,
      metricValue: '1',
      defaultValue: 0,
    });
    const scanTargetsFailed = new cloudwatch.Metric({ namespace: names.metricNamespace, metricName: SCAN_TARGET_FAILED_METRIC, period, statistic: 'Sum' });

    const alarm = (id: string, description: string, metric: cloudwatch.IMetric) => {
      const created = new cloudwatch.Alarm(this, id, {
        alarmName: `${names.stateMachine}-${id}`,
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      this.alarms.push(created);
      return created;
    };
    alarm('executions-failed', 'A sweep execution failed (see RecordFailure in its history); nothing after the failure point ran.', failed);
    alarm(
      'executions-timed-out',
      'A sweep execution hit the state machine timeout (approval window + work budget); whatever was running stopped there.',
      timedOut,
    );
    alarm('executions-aborted', 'A sweep execution was stopped by hand (StopExecution); its lock may need releasing (docs/operations.md).', aborted);
    alarm(
      'scan-targets-failed',
      'At least one account x region could not be scanned (member role missing, region disabled or access denied).',
      scanTargetsFailed,
    );
    // One alarm per function (a math alarm may combine at most 10 metrics), so the alarm names the failing step.
    for (const fn of HUB_FUNCTIONS) {
      alarm(
        `${fn}-errors`,
        `The ${fn} function raised an error (the state machine retries transient ones; see its log group).`,
        functions.functions[fn].metricErrors({ period, statistic: 'Sum' }),
      );
    }
    const api = this.approvalApiMetrics(props, period);
    alarm('approval-api-5xx', 'The approval API answered 5xx: approvers could not open or submit their page.', api.serverErrors);
    alarm(
      'approval-api-throttled',
      'The approval API throttled requests (429): a flood or scanner, or approvers locked out by the stage limits.',
      api.throttled,
    );
    alarm(
      'approval-web-throttles',
      'Lambda throttled the approval-web function: approvers got errors.',
      functions.functions['approval-web'].metricThrottles({ period, statistic: 'Sum' }),
    );
    const stackSetFailures = this.stackSetFailures(props, period);
    alarm(
      'stackset-failures',
      `A member-role StackSet operation or stack instance failed; accounts may be OUTDATED (failure events are kept in the ${names.stackSetEventsQueue} queue).`,
      stackSetFailures,
    );
    const scheduleDeadLetters = props.scheduleDeadLetterQueue?.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' });
    if (scheduleDeadLetters)
      alarm(
        'schedule-dead-letters',
        `A scheduled sweep could not be started; the failed invocation is in the ${names.scheduleDeadLetterQueue} queue.`,
        scheduleDeadLetters,
      );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: names.dashboard, defaultInterval: Duration.days(7) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Sweeps',
        left: [stateMachine.metricStarted({ period, statistic: 'Sum' }), stateMachine.metricSucceeded({ period, statistic: 'Sum' }), failed, timedOut, aborted],
        width: 12,
      }),
      new cloudwatch.GraphWidget({ title: 'Sweep duration (ms)', left: [stateMachine.metricTime({ period, statistic: 'Maximum' })], width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Scan targets failed', left: [scanTargetsFailed], width: 12 }),
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        left: HUB_FUNCTIONS.map((fn) => functions.functions[fn].metricErrors({ period, statistic: 'Sum', label: fn })),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Approval API', left: [api.serverErrors, api.clientErrors, api.throttled], width: 12 }),
      new cloudwatch.GraphWidget({
        title: 'Deployment and schedule',
        left: [stackSetFailures, ...(scheduleDeadLetters ? [scheduleDeadLetters] : [])],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function duration p99 (ms)',
        left: HUB_FUNCTIONS.map((fn) => functions.functions[fn].metricDuration({ period, statistic: 'p99', label: fn })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        left: HUB_FUNCTIONS.map((fn) => functions.functions[fn].metricThrottles({ period, statistic: 'Sum', label: fn })),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(savingsWidget(names));
  }

  private approvalApiMetrics(props: MonitoringProps, period: Duration) {
    new logs.MetricFilter(this, 'ApprovalApiThrottledFilter', {
      logGroup: props.approvalApi.accessLogs,
      filterPattern: logs.FilterPattern.literal(API_THROTTLED_FILTER),
      metricNamespace: props.names.metricNamespace,
      metricName: API_THROTTLED_METRIC,
      metricValue: '1',
      defaultValue: 0,
    });
    return {
      serverErrors: props.approvalApi.api.metricServerError({ period, statistic: 'Sum', label: 'approval API 5xx' }),
      clientErrors: props.approvalApi.api.metricClientError({ period, statistic: 'Sum', label: 'approval API 4xx' }),
      throttled: new cloudwatch.Metric({
        namespace: props.names.metricNamespace,
        metricName: API_THROTTLED_METRIC,
        period,
        statistic: 'Sum',
        label: 'approval API 429',
      }),
    };
  }

  /** The rule keeps each failure event in a queue (14 days) for the operator to read; the alarm counts matches. */
  private stackSetFailures(props: MonitoringProps, period: Duration): cloudwatch.IMetric {
    const queue = new sqs.Queue(this, 'StackSetFailureEvents', {
      queueName: props.names.stackSetEventsQueue,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    suppress(queue, [
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue only stores StackSet failure events for an operator to read; nothing consumes it, so a redrive queue has nothing to catch.',
      },
    ]);
    const rule = new events.Rule(this, 'StackSetFailureRule', {
      ruleName: props.names.stackSetEventsRule,
      description: 'zombie-sweep member-role StackSet operations and stack instances that fail',
      eventPattern: stackSetFailurePattern(props.stackSetArn),
      targets: [new targets.SqsQueue(queue)],
    });
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: rule.ruleName },
      period,
      statistic: 'Sum',
      label: 'StackSet failures',
    });
  }
}

/** $/month removed and $/month found idle, summed per month: the figures leadership asks for. */
function savingsWidget(names: HubNames): cloudwatch.GraphWidget {
  const monthly = (metricName: string, label: string) =>
    new cloudwatch.Metric({
      namespace: names.metricNamespace,
      metricName,
      dimensionsMap: { Mode: 'cleanup' },
      period: Duration.days(30),
      statistic: 'Sum',
      label,
    });
  return new cloudwatch.GraphWidget({
    title: 'Savings ($/month removed) and idle cost found ($/month), per 30 days',
    left: [monthly(SAVINGS_METRICS.monthlySavings, 'removed by cleanup sweeps'), monthly(SAVINGS_METRICS.idleCost, 'found idle by cleanup sweeps')],
    width: 24,
  });
}
