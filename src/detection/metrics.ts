import { GetMetricDataCommand, type CloudWatchClient, type GetMetricDataCommandOutput, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { chunk, mapLimit } from '../core/concurrency.ts';
import { DAY_MS } from '../core/clock.ts';
import type { DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import { startOfUtcDay } from './rules.ts';

/**
 * Invocation metrics, read in as few GetMetricData calls as the API allows.
 *
 * Which series count as "someone used this endpoint" (AWS/SageMaker namespace, Sum statistic):
 * - `Invocations` per production variant, dimensions EndpointName + VariantName. A series is
 *   identified by its whole dimension set, so EndpointName alone matches nothing, and every variant
 *   (whatever its name, AllTraffic or not) has its own series.
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation
 * - `Invocations` per inference component, dimension InferenceComponentName only: component
 *   endpoints report invocations per component, not per variant (same page, "Dimensions for endpoint
 *   invocation metrics").
 * - Asynchronous endpoints publish no `Invocations`; they count processed requests. The page lists it
 *   among the metrics published with EndpointName + VariantName and spells it `InvocationsProcesssed`,
 *   while the metric is widely reported as `InvocationsProcessed` and some tools read it per endpoint
 *   (EndpointName alone). Both spellings under both dimension sets are queried and summed: four cheap
 *   extra queries in an already-batched call, and no reading of the docs can make a busy async
 *   endpoint look idle. Summing can only overcount, which errs towards "active".
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html
 * Shadow variants are counted too: they only see traffic that production variants also saw.
 */
export const NAMESPACE = 'AWS/SageMaker';
export const ASYNC_PROCESSED_METRICS = ['InvocationsProcesssed', 'InvocationsProcessed'] as const;

/**
 * GetMetricData accepts up to 500 queries per call and returns up to 100,800 datapoints per page;
 * the rest comes with NextToken. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
export const MAX_QUERIES_PER_CALL = 500;
export const MAX_DATAPOINTS_PER_CALL = 100_800;
/** Daily sums: 86,400 s is a multiple of 3,600, which CloudWatch requires for data older than 63 days. */
export const DAILY_PERIOD_SECONDS = 86_400;

export interface Series {
  /** Which endpoint the series belongs to (its sums add up into the endpoint's usage). */
  endpointName: string;
  metricName: string;
  dimensions: { Name: string; Value: string }[];
}

export function invocationSeries(endpoint: DescribedEndpoint, components: readonly InferenceComponentRef[]): Series[] {
  const series: Series[] = [];
  for (const variant of endpoint.variants) {
    const dimensions = [
      { Name: 'EndpointName', Value: endpoint.endpointName },
      { Name: 'VariantName', Value: variant.variantName },
    ];
    series.push({ endpointName: endpoint.endpointName, metricName: 'Invocations', dimensions });
    if (endpoint.isAsync) for (const metricName of ASYNC_PROCESSED_METRICS) series.push({ endpointName: endpoint.endpointName, metricName, dimensions });
  }
  if (endpoint.isAsync) {
    for (const metricName of ASYNC_PROCESSED_METRICS) {
      series.push({ endpointName: endpoint.endpointName, metricName, dimensions: [{ Name: 'EndpointName', Value: endpoint.endpointName }] });
    }
  }
  for (const component of components) {
    series.push({
      endpointName: endpoint.endpointName,
      metricName: 'Invocations',
      dimensions: [{ Name: 'InferenceComponentName', Value: component.inferenceComponentName }],
    });
  }
  return series;
}

/** Identity of a CloudWatch series: its name and its whole dimension set, in any order. */
export function seriesKey(series: Pick<Series, 'metricName' | 'dimensions'>): string {
  const dimensions = [...series.dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return [series.metricName, ...dimensions.map((d) => `${d.Name}=${d.Value}`)].join('\u0000');
}

/** Daily sums of one series: UTC day start (ms) -> value. No datapoint means zero. */
export interface SeriesResult {
  days: Map<number, number>;
  error?: string;
}

/**
 * Daily sums for every series over [start, end). Queries go out 500 per call; each call is followed
 * through NextToken until CloudWatch has returned every datapoint, then judged by aggregatePages.
 */
export async function fetchDailySums(
  cloudwatch: CloudWatchClient,
  series: readonly Series[],
  start: Date,
  end: Date,
  concurrency = 4,
): Promise<SeriesResult[]> {
  const results: SeriesResult[] = series.map(() => ({ days: new Map() }));
  if (series.length === 0 || end.getTime() <= start.getTime()) return results;
  const batches = chunk(
    series.map((s, index) => ({ s, index })),
    queriesPerCall(start, end),
  );
  await mapLimit(batches, concurrency, async (batch) => {
    const queries: MetricDataQuery[] = batch.map(({ s }, i) => ({
      Id: queryId(i),
      MetricStat: { Metric: { Namespace: NAMESPACE, MetricName: s.metricName, Dimensions: s.dimensions }, Period: DAILY_PERIOD_SECONDS, Stat: 'Sum' },
      ReturnData: true,
    }));
    const pages: MetricDataPage[] = [];
    let token: string | undefined;
    do {
      const page = await cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampDescending',
          MaxDatapoints: MAX_DATAPOINTS_PER_CALL,
          NextToken: token,
        }),
      );
      pages.push(page);
      token = page.NextToken || undefined;
    } while (token);
    aggregatePages(
      pages,
      batch.map(({ s }) => s),
    ).forEach((result, i) => (results[batch[i]!.index] = result));
  });
  return results;
}

/**
 * Queries per call such that every daily datapoint of every query fits in one answer: 500 queries
 * over a 30-day window, about 207 over the 485 days of window and history. A call that may hold more
 * datapoints than one answer carries comes back in pages, each a billed request of its own.
 */
export function queriesPerCall(start: Date, end: Date): number {
  const days = Math.max(1, daysBetween(start, end));
  return Math.max(1, Math.min(MAX_QUERIES_PER_CALL, Math.floor(MAX_DATAPOINTS_PER_CALL / days)));
}

/** One GetMetricData answer, as far as aggregation cares. */
export type MetricDataPage = Pick<GetMetricDataCommandOutput, 'MetricDataResults' | 'Messages' | 'NextToken'>;

const queryId = (position: number) => `q${position}`;
const QUERY_ID = /^q(\d+)$/;

/**
 * Sums every page of one batch (query `q<i>` is `batch[i]`) and decides which series can be trusted.
 * An empty series is zero invocations only when CloudWatch said so: a query whose last status is not
 * `Complete` (PartialData with no page left, InternalError, Forbidden, or no status at all), a query
 * missing from every page, or a batch whose answer carries operation-level `Messages` ("as much of the
 * operation as possible is still executed", so some queries may not have run) is an error for its
 * endpoint, never a quiet zero that would make it look idle.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html
 */
export function aggregatePages(pages: readonly MetricDataPage[], batch: readonly Pick<Series, 'metricName'>[]): SeriesResult[] {
  const results: SeriesResult[] = batch.map(() => ({ days: new Map() }));
  // A query answered over several pages says PartialData until its last part: its latest status counts.
  const lastStatus = new Map<number, { code: string | undefined; messages: string[] }>();
  const operationMessages: string[] = [];
  for (const page of pages) {
    operationMessages.push(...formatMessages(page.Messages));
    for (const result of page.MetricDataResults ?? []) {
      const match = QUERY_ID.exec(result.Id ?? '');
      const position = match ? Number(match[1]) : NaN;
      const target = results[position];
      if (!target) continue;
      const values = result.Values ?? [];
      (result.Timestamps ?? []).forEach((timestamp, i) => {
        const day = startOfUtcDay(new Date(timestamp)).getTime();
        target.days.set(day, (target.days.get(day) ?? 0) + (values[i] ?? 0));
      });
      lastStatus.set(position, { code: result.StatusCode, messages: formatMessages(result.Messages) });
    }
  }
  results.forEach((result, position) => {
    const metric = batch[position]!.metricName;
    const status = lastStatus.get(position);
    if (operationMessages.length > 0) result.error = `GetMetricData reported a problem with the whole request (${operationMessages.join('; ')})`;
    else if (!status) result.error = `CloudWatch returned no result for query ${queryId(position)} (${metric})`;
    else if (status.code !== 'Complete') {
      result.error = `CloudWatch returned ${status.code ?? 'no status'} for ${metric}${status.messages.length ? ` (${status.messages.join('; ')})` : ''}`;
    }
  });
  return results;
}

function formatMessages(messages: readonly { Code?: string; Value?: string }[] | undefined): string[] {
  return (messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).filter(Boolean);
}

/** Adds an endpoint's series into its usage: total, last day with invocations, first error. */
export function summarizeUsage(parts: readonly SeriesResult[]): WindowUsage {
  let invocations = 0;
  let lastDay: number | undefined;
  let error: string | undefined;
  for (const part of parts) {
    if (part.error) error ??= part.error;
    for (const [day, value] of part.days) {
      invocations += value;
      if (value > 0 && (lastDay === undefined || day > lastDay)) lastDay = day;
    }
  }
  return { invocations, ...(lastDay !== undefined ? { lastInvokedDay: new Date(lastDay) } : {}), ...(error ? { error } : {}) };
}

/** Groups per-series results by endpoint name. */
export function usageByEndpoint(series: readonly Series[], results: readonly SeriesResult[]): Map<string, WindowUsage> {
  const grouped = new Map<string, SeriesResult[]>();
  series.forEach((s, i) => {
    const list = grouped.get(s.endpointName) ?? [];
    list.push(results[i]!);
    grouped.set(s.endpointName, list);
  });
  const out = new Map<string, WindowUsage>();
  for (const [name, parts] of grouped) out.set(name, summarizeUsage(parts));
  return out;
}

export function daysBetween(start: Date, end: Date): number {
  return Math.ceil((end.getTime() - start.getTime()) / DAY_MS);
}
