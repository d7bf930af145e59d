import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SweepSavings } from './model.ts';

/**
 * Per-sweep figures for the hub dashboard: `MonthlySavingsUsd` (the $/month this sweep removed) and
 * `IdleCostUsd` (the $/month it found idle). Summed over a month they show the trend leadership asks
 * about; the savings files stay the source of truth (`zombie-sweep savings`).
 */
export const SAVINGS_METRICS = { monthlySavings: 'MonthlySavingsUsd', idleCost: 'IdleCostUsd' } as const;

export async function publishSavingsMetrics(cloudwatch: CloudWatchClient, namespace: string, savings: SweepSavings, at: Date): Promise<void> {
  const dimensions = [{ Name: 'Mode', Value: savings.mode }];
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: [
        { MetricName: SAVINGS_METRICS.monthlySavings, Dimensions: dimensions, Value: savings.realizedMonthlyUsd, Unit: 'None', Timestamp: at },
        { MetricName: SAVINGS_METRICS.idleCost, Dimensions: dimensions, Value: savings.idle.monthlyCostUsd, Unit: 'None', Timestamp: at },
      ],
    }),
  );
}
