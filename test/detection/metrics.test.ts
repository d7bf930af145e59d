import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { fetchDailySums, invocationSeries, usageByEndpoint, type Series } from '../../src/detection/metrics.ts';
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
    expect(calls.every((c) => c.MaxDatapoints === 100_800 && c.MetricDataQueries!.every((q) => q.MetricStat?.Period === 86_400 && q.MetricStat.Stat === 'Sum'))).toBe(true);
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
