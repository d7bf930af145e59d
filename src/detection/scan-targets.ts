import type { ClientFactory, TargetRef } from '../core/clients.ts';
import type { Clock } from '../core/clock.ts';
import { mapLimitStream } from '../core/concurrency.ts';
import { errorMessage, errorName } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import type { DetectionSettings } from '../core/schemas.ts';
import type { ConfigCacheStore } from './config-cache.ts';
import type { PriceTable } from './pricing.ts';
import type { Pricing, TargetScanResult } from './scan.ts';
import { scanOneTarget } from './target-scan.ts';

/**
 * Many targets in one process (the CLI and the benchmark): bounded targets in flight, each with its
 * own bounded SageMaker concurrency, so no account-region sees more than `endpointConcurrency` calls
 * at once. Targets may still be arriving (an async iterable over the organization's pages): the first
 * are scanned while the rest are listed. A target that fails, for whatever reason, is a result with
 * status `error`; the rest go on.
 */
export interface ScanTargetsOptions {
  factory: ClientFactory;
  targets: readonly TargetRef[] | AsyncIterable<TargetRef>;
  settings: DetectionSettings;
  clock: Clock;
  log: Log;
  targetConcurrency?: number;
  endpointConcurrency?: number;
  classifyMultiModel?: boolean;
  pricing?: Pricing;
  prices?: PriceTable;
  /** DescribeEndpointConfig answers kept across sweeps (./config-cache.ts). */
  configCache?: ConfigCacheStore;
  /** `total` is the number of targets known so far while they are still being listed. */
  onTargetDone?: (result: TargetScanResult, done: number, total: number) => void;
  /**
   * False: each target's findings are handed to onTargetDone and then dropped from the returned
   * results (which keep status and error), so a caller that streams them elsewhere (a file, S3) holds
   * one target's findings at a time instead of the organization's. Default true.
   */
  keepFindings?: boolean;
}

/**
 * Account-regions in flight. Latency-bound work (each target is a handful of sequential round trips),
 * so many at once; sockets stay bounded by the shared pool (DEFAULT_MAX_SOCKETS), throttling by each
 * account-region's adaptive retry.
 */
export const DEFAULT_TARGET_CONCURRENCY = 64;

export async function scanTargets(options: ScanTargetsOptions): Promise<TargetScanResult[]> {
  let done = 0;
  let known = 0;
  const counted = countArrivals(options.targets, () => known++);
  return mapLimitStream(counted, options.targetConcurrency ?? DEFAULT_TARGET_CONCURRENCY, async (target) => {
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
        pricing: options.pricing,
        prices: options.prices,
        ...(options.configCache ? { configCache: options.configCache } : {}),
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
    options.onTargetDone?.(result, ++done, Array.isArray(options.targets) ? options.targets.length : known);
    return options.keepFindings === false ? { ...result, findings: [] } : result;
  });
}

async function* countArrivals<T>(items: readonly T[] | AsyncIterable<T>, onItem: () => void): AsyncIterable<T> {
  for await (const item of items) {
    onItem();
    yield item;
  }
}
