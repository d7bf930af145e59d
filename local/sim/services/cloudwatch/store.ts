import type { World } from '../../world.ts';

/**
 * The simulated CloudWatch metric store of one account and region.
 *
 * A metric is identified by namespace, name and its exact set of dimensions: a query names one series,
 * and a series published under {EndpointName, VariantName} is a different metric from one under
 * {EndpointName} alone (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
 * Dimension order does not matter, so series are keyed by their dimensions sorted by name.
 *
 * Storage is sparse: each series keeps a map of timestamp -> statistic set, one entry per minute that
 * had data (or per second for high-resolution puts), and a daily sum is a single entry. Scenario
 * histories of 455 daily sums for thousands of endpoints stay small.
 */
export interface Dimension {
  Name: string;
  Value: string;
}

export interface StatisticSet {
  sum: number;
  count: number;
  min: number;
  max: number;
}

export interface MetricSeries {
  namespace: string;
  metricName: string;
  /** Sorted by Name. */
  dimensions: Dimension[];
  unit: string;
  /** Epoch ms (minute- or second-aligned) -> aggregated values. */
  points: Map<number, StatisticSet>;
  /** Latest datapoint timestamp (epoch ms), for ListMetrics' two-week and RecentlyActive rules. */
  latest: number;
}

interface CloudWatchState {
  series: Map<string, MetricSeries>;
}

/** CloudWatch keeps datapoints for 15 months (455 days). https://aws.amazon.com/cloudwatch/faqs/ */
export const RETENTION_DAYS = 455;
export const DAY_MS = 86_400_000;

export function sortDimensions(dimensions: readonly Dimension[]): Dimension[] {
  return [...dimensions].map((d) => ({ Name: d.Name, Value: d.Value })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export function seriesKey(namespace: string, metricName: string, dimensions: readonly Dimension[]): string {
  return [namespace, metricName, ...sortDimensions(dimensions).map((d) => `${d.Name}=${d.Value}`)].join('\u0000');
}

export type MetricStore = ReturnType<typeof metricStore>;

export function metricStore(world: World, accountId: string, region: string) {
  const state = world.regional<CloudWatchState>('cloudwatch', accountId, region, () => ({ series: new Map() }));

  function seriesFor(namespace: string, metricName: string, dimensions: readonly Dimension[], unit: string | undefined): MetricSeries {
    const key = seriesKey(namespace, metricName, dimensions);
    let series = state.series.get(key);
    if (!series) {
      series = { namespace, metricName, dimensions: sortDimensions(dimensions), unit: unit ?? 'None', points: new Map(), latest: Number.NEGATIVE_INFINITY };
      state.series.set(key, series);
    }
    return series;
  }

  function add(series: MetricSeries, at: number, stats: StatisticSet): void {
    const cell = series.points.get(at);
    if (cell) {
      cell.sum += stats.sum;
      cell.count += stats.count;
      cell.min = Math.min(cell.min, stats.min);
      cell.max = Math.max(cell.max, stats.max);
    } else {
      series.points.set(at, { ...stats });
    }
    if (at > series.latest) series.latest = at;
  }

  const align = (timestamp: Date, highResolution: boolean) => {
    const ms = timestamp.getTime();
    const step = highResolution ? 1000 : 60_000;
    return ms - (((ms % step) + step) % step);
  };

  return {
    accountId,
    region,
    /** Publishes one value (what SageMaker does for each minute with traffic). */
    put(namespace: string, metricName: string, dimensions: readonly Dimension[], timestamp: Date, value: number, unit?: string): void {
      add(seriesFor(namespace, metricName, dimensions, unit), align(timestamp, false), { sum: value, count: 1, min: value, max: value });
    },
    /** Publishes a pre-aggregated statistic set (PutMetricData's StatisticValues or Values/Counts). */
    putStatistics(
      namespace: string,
      metricName: string,
      dimensions: readonly Dimension[],
      timestamp: Date,
      stats: StatisticSet,
      options: { unit?: string; highResolution?: boolean } = {},
    ): void {
      add(seriesFor(namespace, metricName, dimensions, options.unit), align(timestamp, options.highResolution ?? false), stats);
    },
    /**
     * Seeds daily totals. A `Date` is used as the datapoint's timestamp; an ISO date string ('2025-01-31')
     * puts the day's sum at 12:00 UTC of that day. Zero sums are stored as datapoints with value 0.
     */
    putDailySums(
      namespace: string,
      metricName: string,
      dimensions: readonly Dimension[],
      sums: Map<string, number> | Array<{ date: Date; sum: number }>,
      unit?: string,
    ): void {
      const series = seriesFor(namespace, metricName, dimensions, unit);
      const entries: Array<[Date, number]> =
        sums instanceof Map ? [...sums].map(([day, sum]) => [new Date(`${day}T12:00:00.000Z`), sum]) : sums.map((s) => [s.date, s.sum]);
      for (const [date, sum] of entries) {
        if (Number.isNaN(date.getTime())) throw new Error(`metricStore.putDailySums: invalid date for ${metricName}`);
        add(series, align(date, false), { sum, count: 1, min: sum, max: sum });
      }
    },
    /** The series with exactly these dimensions (in any order), or undefined. */
    find(namespace: string, metricName: string, dimensions: readonly Dimension[]): MetricSeries | undefined {
      return state.series.get(seriesKey(namespace, metricName, dimensions));
    },
    all(): MetricSeries[] {
      return [...state.series.values()];
    },
    /** Total of the datapoints' sums in [from, to), for tests ("how many invocations did the store get?"). */
    sum(namespace: string, metricName: string, dimensions: readonly Dimension[], from: Date, to: Date): number {
      const series = state.series.get(seriesKey(namespace, metricName, dimensions));
      let total = 0;
      for (const [at, cell] of series?.points ?? []) if (at >= from.getTime() && at < to.getTime()) total += cell.sum;
      return total;
    },
    /** The oldest timestamp still retained at `now`. */
    retainedSince(now: Date = world.now()): number {
      return now.getTime() - RETENTION_DAYS * DAY_MS;
    },
  };
}
