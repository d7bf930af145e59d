import type { ClientFactory, TargetRef } from '../core/clients.ts';
import type { Clock } from '../core/clock.ts';
import { mapLimit } from '../core/concurrency.ts';
import { errorMessage, errorName } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import type { DetectionSettings } from '../core/schemas.ts';
import type { PriceTable } from './pricing.ts';
import type { TargetScanResult } from './scan.ts';
import { scanOneTarget } from './target-scan.ts';

/**
 * Many targets in one process (the CLI and the benchmark): bounded targets in flight, each with its
 * own bounded SageMaker concurrency, so no account-region sees more than `endpointConcurrency` calls
 * at once. A target that fails, for whatever reason, is a result with status `error`; the rest go on.
 */
export interface ScanTargetsOptions {
  factory: ClientFactory;
  targets: readonly TargetRef[];
  settings: DetectionSettings;
  clock: Clock;
  log: Log;
  targetConcurrency?: number;
  endpointConcurrency?: number;
  classifyMultiModel?: boolean;
  prices?: PriceTable;
  onTargetDone?: (result: TargetScanResult, done: number, total: number) => void;
}

export async function scanTargets(options: ScanTargetsOptions): Promise<TargetScanResult[]> {
  let done = 0;
  return mapLimit(options.targets, options.targetConcurrency ?? 8, async (target) => {
    let result: TargetScanResult;
    try {
      result = await scanOneTarget({
        factory: options.factory,
        target,
        settings: options.settings,
        clock: options.clock,
        log: options.log,
        concurrency: options.endpointConcurrency,
        classifyMultiModel: options.classifyMultiModel,
        prices: options.prices,
      });
    } catch (error) {
      options.log.warn('target failed', { accountId: target.accountId, region: target.region, error: errorMessage(error) });
      result = {
        accountId: target.accountId,
        region: target.region,
        status: 'error',
        error: `${errorName(error)}: ${errorMessage(error)}`,
        scannedAt: options.clock.now().toISOString(),
        findings: [],
      };
    }
    options.onTargetDone?.(result, ++done, options.targets.length);
    return result;
  });
}
