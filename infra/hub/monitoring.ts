import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HUB_FUNCTIONS, type HubNames } from '../names.ts';
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

export interface MonitoringProps {
  names: HubNames;
  stateMachine: sfn.StateMachine;
  functions: HubFunctions;
  alarmTopic: sns.ITopic;
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
    alarm('executions-timed-out', 'A sweep execution timed out.', timedOut);
    alarm('scan-targets-failed', 'At least one account x region could not be scanned (member role missing, region disabled or access denied).', scanTargetsFailed);
    // One alarm per function (a math alarm may combine at most 10 metrics), so the alarm names the failing step.
    for (const fn of HUB_FUNCTIONS) {
      alarm(`${fn}-errors`, `The ${fn} function raised an error (the state machine retries transient ones; see its log group).`, functions.functions[fn].metricErrors({ period, statistic: 'Sum' }));
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: names.dashboard, defaultInterval: Duration.days(7) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Sweeps',
        left: [
          stateMachine.metricStarted({ period, statistic: 'Sum' }),
          stateMachine.metricSucceeded({ period, statistic: 'Sum' }),
          failed,
          timedOut,
          aborted,
        ],
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
}

/** $/month removed and $/month found idle, summed per month: the figures leadership asks for. */
function savingsWidget(names: HubNames): cloudwatch.GraphWidget {
  const monthly = (metricName: string, label: string) =>
    new cloudwatch.Metric({ namespace: names.metricNamespace, metricName, dimensionsMap: { Mode: 'cleanup' }, period: Duration.days(30), statistic: 'Sum', label });
  return new cloudwatch.GraphWidget({
    title: 'Savings ($/month removed) and idle cost found ($/month), per 30 days',
    left: [monthly(SAVINGS_METRICS.monthlySavings, 'removed by cleanup sweeps'), monthly(SAVINGS_METRICS.idleCost, 'found idle by cleanup sweeps')],
    width: 24,
  });
}
