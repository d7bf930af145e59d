import { DAY_MS, RETENTION_DAYS, type MetricSeries, type StatisticSet } from './store.ts';

/**
 * CloudWatch's retrieval rules, from the GetMetricData and GetMetricStatistics API references
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
 * - StartTime is rounded down to the minute (< 15 days ago), to 5 minutes (15-63 days) or to the hour
 *   (> 63 days), and buckets of `Period` seconds are laid from there.
 * - When StartTime is more than 3 hours ago the Period must be a multiple of 60 s (up to 15 days),
 *   300 s (15-63 days) or 3600 s (older), "or no data points in that time range is returned".
 * - Nothing older than 455 days is kept.
 */
const HOUR_MS = 3_600_000;

export const SUPPORTED_STATS = ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'] as const;
export type SupportedStat = (typeof SUPPORTED_STATS)[number];

/** Valid periods: 1, 5, 10, 20, 30 (high resolution) or any multiple of 60. */
export function isValidPeriod(period: number): boolean {
  return Number.isInteger(period) && period >= 1 && ([1, 5, 10, 20, 30].includes(period) || period % 60 === 0);
}

export function roundedStart(start: Date, now: Date): number {
  const age = now.getTime() - start.getTime();
  const step = age > 63 * DAY_MS ? HOUR_MS : age > 15 * DAY_MS ? 300_000 : 60_000;
  const ms = start.getTime();
  return ms - (((ms % step) + step) % step);
}

/** The granularity the Period must be a multiple of for data starting at `start`, or undefined if any valid period works. */
export function requiredGranularity(start: Date, now: Date): number | undefined {
  const age = now.getTime() - start.getTime();
  if (age <= 3 * HOUR_MS) return undefined;
  if (age <= 15 * DAY_MS) return 60;
  if (age <= 63 * DAY_MS) return 300;
  return 3600;
}

export interface Bucket {
  /** Epoch ms of the bucket's start (the timestamp CloudWatch reports). */
  timestamp: number;
  stats: StatisticSet;
}

/** Buckets with data between start (rounded) and end, ascending. Empty when the period breaks the age rule. */
export function bucketsOf(series: MetricSeries | undefined, window: { start: Date; end: Date; period: number; now: Date }): Bucket[] {
  if (!series) return [];
  const granularity = requiredGranularity(window.start, window.now);
  if (granularity !== undefined && window.period % granularity !== 0) return [];
  const from = roundedStart(window.start, window.now);
  const to = window.end.getTime();
  const retained = window.now.getTime() - RETENTION_DAYS * DAY_MS;
  const periodMs = window.period * 1000;
  const buckets = new Map<number, StatisticSet>();
  for (const [at, cell] of series.points) {
    if (at < from || at >= to || at < retained) continue;
    const bucket = from + Math.floor((at - from) / periodMs) * periodMs;
    const current = buckets.get(bucket);
    if (current) {
      current.sum += cell.sum;
      current.count += cell.count;
      current.min = Math.min(current.min, cell.min);
      current.max = Math.max(current.max, cell.max);
    } else {
      buckets.set(bucket, { ...cell });
    }
  }
  return [...buckets].sort((a, b) => a[0] - b[0]).map(([timestamp, stats]) => ({ timestamp, stats }));
}

export function statValue(stats: StatisticSet, stat: SupportedStat): number {
  switch (stat) {
    case 'Sum':
      return stats.sum;
    case 'SampleCount':
      return stats.count;
    case 'Average':
      return stats.count === 0 ? 0 : stats.sum / stats.count;
    case 'Minimum':
      return stats.min;
    case 'Maximum':
      return stats.max;
  }
}
