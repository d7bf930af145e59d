import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { resolveDetectionSettings } from '../../src/core/schemas.ts';
import { aggregatePages, fetchDailySums, invocationSeries, usageByEndpoint, type Series } from '../../src/detection/metrics.ts';
import { detectionWindow, judgeUsage } from '../../src/detection/rules.ts';
import type { DescribedEndpoint } from '../../src/detection/model.ts';

const endpoint = (over: Partial<DescribedEndpoint> = {}): DescribedEndpoint => ({
  endpointName: 'ep',
  endpointArn: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/ep',
  status: 'InService',
  creationTime: new Date(0),
  lastModifiedTime: new Date(0),
  variants: [
    { variantName: 'blue', currentInstanceCount: 1, shadow: false },
    { variantName: 'green', currentInstanceCount: 1, shadow: false },
  ],
  isAsync: false,
  ...over,
});

const dims = (s: Series) => Object.fromEntries(s.dimensions.map((d) => [d.Name, d.Value]));

describe('which series are summed', () => {
  it('queries every variant by EndpointName+VariantName, never EndpointName alone', () => {
    const series = invocationSeries(endpoint(), []);
    expect(series.map((s) => [s.metricName, dims(s)])).toEqual([
      ['Invocations', { EndpointName: 'ep', VariantName: 'blue' }],
      ['Invocations', { EndpointName: 'ep', VariantName: 'green' }],
    ]);
  });

  it('adds processed requests for async endpoints: both spellings, per variant and per endpoint', () => {
    const series = invocationSeries(endpoint({ isAsync: true, variants: [{ variantName: 'v', currentInstanceCount: 1, shadow: false }] }), []);
    expect(series.map((s) => [s.metricName, Object.keys(dims(s)).join('+')])).toEqual([
      ['Invocations', 'EndpointName+VariantName'],
      ['InvocationsProcesssed', 'EndpointName+VariantName'],
      ['InvocationsProcessed', 'EndpointName+VariantName'],
      ['InvocationsProcesssed', 'EndpointName'],
      ['InvocationsProcessed', 'EndpointName'],
    ]);
  });

  it('adds each inference component by InferenceComponentName', () => {
    const series = invocationSeries(endpoint(), [{ inferenceComponentName: 'ic-a', endpointName: 'ep' }]);
    expect(dims(series.at(-1)!)).toEqual({ InferenceComponentName: 'ic-a' });
  });
});

describe('GetMetricData batching', () => {
  const start = new Date('2026-10-23T00:00:00Z');
  const end = new Date('2026-11-22T12:00:00Z');

  it('sends at most 500 queries per call and follows NextToken to the end', async () => {
    const cw = mockClient(CloudWatchClient);
    const calls: GetMetricDataCommandInput[] = [];
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      calls.push(input);
      const queries = input.MetricDataQueries ?? [];
      // First page of each batch: one datapoint for q0 and a token; second page: another for q0.
      const firstPage = input.NextToken === undefined;
      return {
        MetricDataResults: queries.map((q) => ({
          Id: q.Id,
          Timestamps: q.Id === 'q0' ? [new Date(firstPage ? '2026-11-20T00:00:00Z' : '2026-11-01T00:00:00Z')] : [],
          Values: q.Id === 'q0' ? [firstPage ? 2 : 3] : [],
          StatusCode: firstPage ? 'PartialData' : 'Complete',
        })),
        NextToken: firstPage ? 'more' : undefined,
      };
    });
    const series: Series[] = Array.from({ length: 1_200 }, (_, i) => ({
      endpointName: `ep-${Math.floor(i / 2)}`,
      metricName: 'Invocations',
      dimensions: [
        { Name: 'EndpointName', Value: `ep-${Math.floor(i / 2)}` },
        { Name: 'VariantName', Value: `v${i % 2}` },
      ],
    }));
    const results = await fetchDailySums(new CloudWatchClient({ region: 'us-east-1' }), series, start, end);
    expect(calls.map((c) => c.MetricDataQueries!.length).sort()).toEqual([200, 200, 500, 500, 500, 500]);
    expect(
      calls.every((c) => c.MaxDatapoints === 100_800 && c.MetricDataQueries!.every((q) => q.MetricStat?.Period === 86_400 && q.MetricStat.Stat === 'Sum')),
    ).toBe(true);
    const usage = usageByEndpoint(series, results);
    // q0 of each batch is series 0, 500 and 1000: endpoints ep-0, ep-250, ep-500.
    expect(usage.get('ep-0')).toEqual({ invocations: 5, lastInvokedDay: new Date('2026-11-20T00:00:00Z') });
    expect(usage.get('ep-1')).toEqual({ invocations: 0 });
    cw.restore();
  });

  it('marks a series whose data CloudWatch could not return', async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', Timestamps: [], Values: [], StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'denied' }] }],
    });
    const series: Series[] = [{ endpointName: 'ep', metricName: 'Invocations', dimensions: [] }];
    const [result] = await fetchDailySums(new CloudWatchClient({ region: 'us-east-1' }), series, start, end);
    expect(result!.error).toContain('Forbidden');
    expect(usageByEndpoint(series, [result!]).get('ep')?.error).toContain('Forbidden');
    cw.restore();
  });
});

describe('trusting a GetMetricData answer', () => {
  const batch = [{ metricName: 'Invocations' }, { metricName: 'InvocationsProcessed' }];
  const day = new Date('2026-11-20T00:00:00Z');
  const complete = (Id: string, value = 0) => ({ Id, Timestamps: value ? [day] : [], Values: value ? [value] : [], StatusCode: 'Complete' as const });

  it('sums a query answered over several pages, judged by its last status', () => {
    const results = aggregatePages(
      [
        { MetricDataResults: [{ ...complete('q0', 2), StatusCode: 'PartialData' }], NextToken: 'more' },
        { MetricDataResults: [complete('q0', 3), complete('q1')] },
      ],
      batch,
    );
    expect(results).toEqual([{ days: new Map([[day.getTime(), 5]]) }, { days: new Map() }]);
  });

  it('never reads a query missing from every page as zero invocations', () => {
    const [answered, missing] = aggregatePages([{ MetricDataResults: [complete('q0', 1), complete('q7', 9)] }], batch);
    expect(answered!.error).toBeUndefined();
    expect(missing).toEqual({ days: new Map(), error: 'CloudWatch returned no result for query q1 (InvocationsProcessed)' });
  });

  it('treats any last status other than Complete as an error, including none at all', () => {
    const statuses: [MetricDataResult, string][] = [
      [{ ...complete('q0'), StatusCode: 'PartialData' }, 'CloudWatch returned PartialData for Invocations'],
      [
        { ...complete('q0'), StatusCode: 'InternalError', Messages: [{ Code: 'InternalError', Value: 'try again' }] },
        'CloudWatch returned InternalError for Invocations (InternalError try again)',
      ],
      [{ ...complete('q0'), StatusCode: undefined }, 'CloudWatch returned no status for Invocations'],
    ];
    for (const [result, error] of statuses) {
      expect(aggregatePages([{ MetricDataResults: [result, complete('q1')] }], batch)[0]!.error).toBe(error);
    }
  });

  it('distrusts the whole batch when the answer carries operation-level Messages', () => {
    const results = aggregatePages(
      [
        {
          MetricDataResults: [complete('q0'), complete('q1')],
          Messages: [{ Code: 'MaxMetricsExceeded', Value: 'Maximum number of allowed metrics exceeded' }],
        },
      ],
      batch,
    );
    expect(results.map((r) => r.error)).toEqual([
      'GetMetricData reported a problem with the whole request (MaxMetricsExceeded Maximum number of allowed metrics exceeded)',
      'GetMetricData reported a problem with the whole request (MaxMetricsExceeded Maximum number of allowed metrics exceeded)',
    ]);
  });

  it('turns a missing result into an error verdict for its endpoint, not an idle one', async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [complete('q0')] });
    const ep = endpoint();
    const series = invocationSeries(ep, []);
    const usage = usageByEndpoint(
      series,
      await fetchDailySums(new CloudWatchClient({ region: 'us-east-1' }), series, new Date('2026-10-23T00:00:00Z'), new Date('2026-11-22T12:00:00Z')),
    );
    const window = detectionWindow(new Date('2026-11-22T12:00:00Z'), resolveDetectionSettings({}));
    expect(judgeUsage(ep, usage.get('ep')!, [], window)).toEqual({
      verdict: 'error',
      reason: 'invocation metrics unavailable: CloudWatch returned no result for query q1 (Invocations)',
    });
    cw.restore();
  });
});
