import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand, paginateListMetrics } from '@aws-sdk/client-cloudwatch';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { metricStore } from '../../local/sim/services/cloudwatch/store.ts';
import { MGMT, smallOrg } from './core-fixtures.ts';

const REGION = 'us-east-1';
const DAY = 86_400_000;
const NS = 'AWS/SageMaker';

let sim: Simulator;
let cw: CloudWatchClient;

beforeAll(async () => {
  sim = await startSimulator({ world: smallOrg() });
  cw = new CloudWatchClient({ ...sim.clientConfig(REGION), maxAttempts: 1 });
  const store = metricStore(sim.world, MGMT, REGION);
  const now = Date.now();
  for (let i = 0; i < 600; i++) {
    store.put(
      NS,
      'Invocations',
      [
        { Name: 'EndpointName', Value: `endpoint-${i}` },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
      new Date(now - (i % 2 === 0 ? 3_600_000 : 5 * DAY)),
      1,
    );
  }
  store.put(NS, 'Invocations', [{ Name: 'InferenceComponentName', Value: 'summarizer' }], new Date(now - 60_000), 2);
  // Idle for three weeks: still queryable, but ListMetrics no longer lists it.
  store.put(
    NS,
    'Invocations',
    [
      { Name: 'EndpointName', Value: 'forgotten' },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ],
    new Date(now - 21 * DAY),
    4,
  );
});
afterAll(async () => {
  cw.destroy();
  await sim.stop();
});

describe('ListMetrics', () => {
  it('pages 500 at a time and filters by dimension name and value', async () => {
    const first = await cw.send(new ListMetricsCommand({ Namespace: NS }));
    expect(first.Metrics).toHaveLength(500);
    const all = [];
    for await (const page of paginateListMetrics({ client: cw }, { Namespace: NS, MetricName: 'Invocations' })) all.push(...page.Metrics!);
    expect(all).toHaveLength(601);
    const components = await cw.send(new ListMetricsCommand({ Namespace: NS, Dimensions: [{ Name: 'InferenceComponentName' }] }));
    expect(components.Metrics).toEqual([{ Namespace: NS, MetricName: 'Invocations', Dimensions: [{ Name: 'InferenceComponentName', Value: 'summarizer' }] }]);
    const one = await cw.send(new ListMetricsCommand({ Dimensions: [{ Name: 'EndpointName', Value: 'endpoint-7' }] }));
    expect(one.Metrics?.[0]?.Dimensions).toEqual([
      { Name: 'EndpointName', Value: 'endpoint-7' },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ]);
  });

  it('omits metrics without datapoints in two weeks, though GetMetricData still returns their data', async () => {
    const listed = await cw.send(new ListMetricsCommand({ Dimensions: [{ Name: 'EndpointName', Value: 'forgotten' }] }));
    expect(listed.Metrics).toEqual([]);
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 30 * DAY),
        EndTime: new Date(),
        MetricDataQueries: [
          {
            Id: 'f',
            MetricStat: {
              Metric: {
                Namespace: NS,
                MetricName: 'Invocations',
                Dimensions: [
                  { Name: 'VariantName', Value: 'AllTraffic' },
                  { Name: 'EndpointName', Value: 'forgotten' },
                ],
              },
              Period: 86_400,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0]?.Values).toEqual([4]);
  });

  it('keeps only the last three hours with RecentlyActive=PT3H', async () => {
    const recent = [];
    for await (const page of paginateListMetrics({ client: cw }, { Namespace: NS, RecentlyActive: 'PT3H' })) recent.push(...page.Metrics!);
    expect(recent).toHaveLength(301);
  });
});

describe('throttling', () => {
  it('answers Throttling the way CloudWatch does, and the SDK retries until it succeeds', async () => {
    sim.traffic.setThrottling({ enabled: true, limits: { monitoring: { rate: 20, burst: 1 } } });
    const retrying = new CloudWatchClient({ ...sim.clientConfig(REGION), maxAttempts: 10 });
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => retrying.send(new ListMetricsCommand({ Namespace: 'Nothing/Here' }))));
      expect(results.every((r) => r.Metrics?.length === 0)).toBe(true);
      const throttled = sim.ledger.filter({ service: 'monitoring', operation: 'ListMetrics', errors: true });
      expect(throttled.length).toBeGreaterThan(0);
      expect(throttled.every((e) => e.errorCode === 'Throttling')).toBe(true);
    } finally {
      sim.traffic.setThrottling({ enabled: false });
      retrying.destroy();
    }
  });
});
