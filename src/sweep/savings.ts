import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { errorMessage } from '../core/errors.ts';
import { sweepSavings, writeSweepSavings } from '../savings/ledger.ts';
import { publishSavingsMetrics } from '../savings/metrics.ts';
import { hubS3, type SweepDeps } from './deps.ts';
import type { SweepReport } from './model.ts';

/**
 * The Report step's bookkeeping of what the sweep saved: the savings file always (a failure fails the
 * step, which the state machine retries), the dashboard metrics when configured (a failure there is
 * logged: the file is the record, the metric only a view of it).
 */
export async function recordSavings(deps: SweepDeps, report: SweepReport): Promise<void> {
  const savings = sweepSavings(report);
  await writeSweepSavings(hubS3(deps), deps.archiveBucket, savings);
  if (!deps.metricsNamespace) return;
  try {
    await publishSavingsMetrics(deps.clients.hub(CloudWatchClient), deps.metricsNamespace, savings, deps.clock.now());
  } catch (error) {
    deps.log.warn('savings metrics not published', { sweepId: report.sweepId, error: errorMessage(error) });
  }
}
