import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudWatchClient,
  CloudWatchServiceException,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  MissingRequiredParameterException,
  PutMetricDataCommand,
  paginateGetMetricData,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { metricStore } from '../../local/sim/services/cloudwatch/store.ts';
import { assumeInto, DEV, MGMT, smallOrg } from './core-fixtures.ts';

const REGION = 'us-east-1';
const DAY = 86_400_000;
const NS = 'AWS/SageMaker';
const variantDims = (endpoint: string, variant: string) => [
  { Name: 'EndpointName', Value: endpoint },
  { Name: 'VariantName', Value: variant },
];

let sim: Simulator;
let cw: CloudWatchClient;
const now = new Date();

function invocations(id: string, dimensions: { Name: string; Value: string }[], period = 86_400): MetricDataQuery {
  return {
    Id: id,
    MetricStat: { Metric: { Namespace: NS, MetricName: 'Invocations', Dimensions: dimensions }, Period: period, Stat: 'Sum' },
    ReturnData: true,
  };
}

/** The query-compatible wire code is ValidationError; the SDK names the exception ValidationException and keeps the code in `Code`. */
function expectValidationError(error: Error): void {
  expect(error.name).toBe('ValidationException');
  expect((error as Error & { Code?: string }).Code).toBe('ValidationError');
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CloudWatchServiceException);
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  sim = await startSimulator({ world: smallOrg() });
  cw = new CloudWatchClient({ ...sim.clientConfig(REGION), maxAttempts: 1 });
  const store = metricStore(sim.world, MGMT, REGION);
  // fraud-detector: traffic on its second variant only, 5 per day for the last 10 days, and one burst 40 days ago.
  store.putDailySums(
    NS,
    'Invocations',
    variantDims('fraud-detector', 'green'),
    Array.from({ length: 10 }, (_, i) => ({ date: new Date(now.getTime() - (i + 1) * DAY), sum: 5 })),
  );
  store.putDailySums(NS, 'Invocations', variantDims('fraud-detector', 'green'), [{ date: new Date(now.getTime() - 40 * DAY), sum: 7 }]);
  store.put(NS, 'Invocations', [{ Name: 'InferenceComponentName', Value: 'summarizer' }], new Date(now.getTime() - 3_600_000), 3);
  store.putDailySums(NS, 'Invocations', variantDims('ancient', 'AllTraffic'), [{ date: new Date(now.getTime() - 460 * DAY), sum: 99 }]);
});
afterAll(async () => {
  cw.destroy();
  await sim.stop();
});

describe('GetMetricData', () => {
  it('matches dimensions exactly: EndpointName alone finds nothing published per variant; order does not matter', async () => {
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 30 * DAY),
        EndTime: now,
        MetricDataQueries: [
          invocations('endpoint_only', [{ Name: 'EndpointName', Value: 'fraud-detector' }]),
          invocations('blue', variantDims('fraud-detector', 'blue')),
          invocations('green_reversed', [...variantDims('fraud-detector', 'green')].reverse()),
          invocations('component', [{ Name: 'InferenceComponentName', Value: 'summarizer' }], 3600),
        ],
      }),
    );
    const byId = Object.fromEntries(out.MetricDataResults!.map((r) => [r.Id, r]));
    expect(byId.endpoint_only?.Values).toEqual([]);
    expect(byId.blue?.Values).toEqual([]);
    expect(byId.green_reversed?.Values?.reduce((a: number, b: number) => a + b, 0)).toBe(50);
    expect(byId.green_reversed?.StatusCode).toBe('Complete');
    expect(byId.green_reversed?.Label).toBe('Invocations');
    expect(byId.component?.Values).toEqual([3]);
  });

  it('returns timestamps newest first by default and oldest first with ScanBy=TimestampAscending', async () => {
    const query = {
      StartTime: new Date(now.getTime() - 455 * DAY),
      EndTime: now,
      MetricDataQueries: [invocations('green', variantDims('fraud-detector', 'green'))],
    };
    const newest = (await cw.send(new GetMetricDataCommand(query))).MetricDataResults![0]!;
    expect(newest.Timestamps).toHaveLength(11);
    const times = newest.Timestamps!.map((t) => t.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(newest.Values?.at(-1)).toBe(7);
    const oldest = (await cw.send(new GetMetricDataCommand({ ...query, ScanBy: 'TimestampAscending' }))).MetricDataResults![0]!;
    expect(oldest.Timestamps!.map((t) => t.getTime())).toEqual([...times].reverse());
    // Buckets start at the rounded StartTime (hour-aligned for data older than 63 days).
    expect(times.every((t) => t % 3_600_000 === (now.getTime() - 455 * DAY - ((now.getTime() - 455 * DAY) % 3_600_000)) % 3_600_000)).toBe(true);
  });

  it('keeps nothing older than 455 days', async () => {
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 500 * DAY),
        EndTime: now,
        MetricDataQueries: [invocations('ancient', variantDims('ancient', 'AllTraffic'))],
      }),
    );
    expect(out.MetricDataResults?.[0]?.Values).toEqual([]);
  });

  it('applies the period rules: older data needs coarser periods, odd periods are invalid', async () => {
    const fineOld = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 41 * DAY),
        EndTime: now,
        MetricDataQueries: [invocations('g', variantDims('fraud-detector', 'green'), 60)],
      }),
    );
    expect(fineOld.MetricDataResults?.[0]?.Values).toEqual([]);
    const coarseOld = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 41 * DAY),
        EndTime: now,
        MetricDataQueries: [invocations('g', variantDims('fraud-detector', 'green'), 300)],
      }),
    );
    expect(coarseOld.MetricDataResults?.[0]?.Values).toHaveLength(11);
    const odd = await failure(
      cw.send(
        new GetMetricDataCommand({ StartTime: new Date(now.getTime() - DAY), EndTime: now, MetricDataQueries: [invocations('g', variantDims('x', 'y'), 45)] }),
      ),
    );
    expectValidationError(odd);
  });

  it('accepts 500 queries and rejects 501', async () => {
    const queries = (n: number) => Array.from({ length: n }, (_, i) => invocations(`q${i}`, variantDims(`endpoint-${i}`, 'AllTraffic')));
    const window = { StartTime: new Date(now.getTime() - 30 * DAY), EndTime: now };
    expect((await cw.send(new GetMetricDataCommand({ ...window, MetricDataQueries: queries(500) }))).MetricDataResults).toHaveLength(500);
    const tooMany = await failure(cw.send(new GetMetricDataCommand({ ...window, MetricDataQueries: queries(501) })));
    expectValidationError(tooMany);
    expect(tooMany.message).toContain("at 'metricDataQueries' failed to satisfy constraint: Member must have length less than or equal to 500");
  });

  it('validates query ids: lowercase first letter, unique', async () => {
    const window = { StartTime: new Date(now.getTime() - DAY), EndTime: now };
    const upper = await failure(cw.send(new GetMetricDataCommand({ ...window, MetricDataQueries: [invocations('Upper', variantDims('a', 'b'))] })));
    expectValidationError(upper);
    expect(upper.message).toContain("'metricDataQueries.1.id'");
    expectValidationError(
      await failure(
        cw.send(new GetMetricDataCommand({ ...window, MetricDataQueries: [invocations('a', variantDims('a', 'b')), invocations('a', variantDims('c', 'd'))] })),
      ),
    );
    const backwards = await failure(
      cw.send(
        new GetMetricDataCommand({ StartTime: now, EndTime: new Date(now.getTime() - DAY), MetricDataQueries: [invocations('a', variantDims('a', 'b'))] }),
      ),
    );
    expect(backwards.message).toContain('StartTime must be less than');
  });

  it('continues past MaxDatapoints with NextToken, marking cut results PartialData', async () => {
    const request = {
      StartTime: new Date(now.getTime() - 455 * DAY),
      EndTime: now,
      MaxDatapoints: 4,
      MetricDataQueries: [
        invocations('green', variantDims('fraud-detector', 'green')),
        invocations('none', variantDims('quiet', 'AllTraffic')),
        invocations('ic', [{ Name: 'InferenceComponentName', Value: 'summarizer' }]),
      ],
    };
    const first = await cw.send(new GetMetricDataCommand(request));
    expect(first.MetricDataResults).toHaveLength(1);
    expect(first.MetricDataResults?.[0]).toMatchObject({ Id: 'green', StatusCode: 'PartialData' });
    expect(first.MetricDataResults?.[0]?.Values).toHaveLength(4);
    expect(first.NextToken).toBeDefined();
    const totals: Record<string, number> = {};
    let pages = 0;
    for await (const page of paginateGetMetricData({ client: cw }, request)) {
      pages++;
      for (const r of page.MetricDataResults!) totals[r.Id!] = (totals[r.Id!] ?? 0) + r.Values!.reduce((a, b) => a + b, 0);
    }
    // 11 + 0 + 1 datapoints, 4 per answer.
    expect(pages).toBe(3);
    expect(totals).toEqual({ green: 57, none: 0, ic: 3 });
    const tampered = await failure(
      cw.send(new GetMetricDataCommand({ ...request, MaxDatapoints: 5, ScanBy: 'TimestampAscending', NextToken: first.NextToken })),
    );
    expect(tampered.name).toBe('InvalidNextToken');
  });

  it('scopes metrics to the caller account', async () => {
    const dev = new CloudWatchClient({ ...sim.clientConfig(REGION), credentials: await assumeInto(sim, DEV), maxAttempts: 1 });
    const out = await dev.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 30 * DAY),
        EndTime: now,
        MetricDataQueries: [invocations('green', variantDims('fraud-detector', 'green'))],
      }),
    );
    expect(out.MetricDataResults?.[0]?.Values).toEqual([]);
    dev.destroy();
  });
});

describe('PutMetricData and GetMetricStatistics', () => {
  it('stores custom metrics and answers statistics per period', async () => {
    const at = new Date(Math.floor((now.getTime() - 2 * 3_600_000) / 3_600_000) * 3_600_000);
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'ZombieSweep/Test',
        MetricData: [
          { MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'api' }], Timestamp: at, Value: 10, Unit: 'Milliseconds' },
          {
            MetricName: 'Latency',
            Dimensions: [{ Name: 'Service', Value: 'api' }],
            Timestamp: new Date(at.getTime() + 60_000),
            Values: [20, 30],
            Counts: [1, 2],
            Unit: 'Milliseconds',
          },
          {
            MetricName: 'Latency',
            Dimensions: [{ Name: 'Service', Value: 'api' }],
            Timestamp: new Date(at.getTime() + 120_000),
            StatisticValues: { SampleCount: 2, Sum: 8, Minimum: 3, Maximum: 5 },
            Unit: 'Milliseconds',
          },
        ],
      }),
    );
    const stats = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'ZombieSweep/Test',
        MetricName: 'Latency',
        Dimensions: [{ Name: 'Service', Value: 'api' }],
        StartTime: at,
        EndTime: new Date(at.getTime() + 3_600_000),
        Period: 3600,
        Statistics: ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'],
      }),
    );
    expect(stats.Label).toBe('Latency');
    expect(stats.Datapoints).toHaveLength(1);
    // 10, then 20 once and 30 twice, then a set of 2 samples summing 8.
    expect(stats.Datapoints?.[0]).toMatchObject({ Sum: 98, SampleCount: 6, Minimum: 3, Maximum: 30, Unit: 'Milliseconds' });
    expect(stats.Datapoints?.[0]?.Average).toBeCloseTo(98 / 6);
  });

  it('raises the modeled exception classes for bad input', async () => {
    expect(
      await failure(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/SageMaker', MetricData: [{ MetricName: 'Invocations', Value: 1 }] }))),
    ).toBeInstanceOf(InvalidParameterValueException);
    expect(await failure(cw.send(new PutMetricDataCommand({ Namespace: 'Custom', MetricData: [{ MetricName: 'X', Value: 1, Values: [1] }] })))).toBeInstanceOf(
      InvalidParameterCombinationException,
    );
    expect(
      await failure(
        cw.send(new PutMetricDataCommand({ Namespace: 'Custom', MetricData: [{ MetricName: 'X', Value: 1, Timestamp: new Date(now.getTime() - 15 * DAY) }] })),
      ),
    ).toBeInstanceOf(InvalidParameterValueException);
    const missing = await failure(cw.send(new PutMetricDataCommand({ MetricData: [{ MetricName: 'X', Value: 1 }] } as never)));
    expect(missing).toBeInstanceOf(MissingRequiredParameterException);
    expect(missing.message).toBe('The parameter Namespace is required.');
    const tooMany = await failure(
      cw.send(
        new GetMetricStatisticsCommand({
          Namespace: 'Custom',
          MetricName: 'X',
          StartTime: new Date(now.getTime() - 2 * DAY),
          EndTime: now,
          Period: 60,
          Statistics: ['Sum'],
        }),
      ),
    );
    expect(tooMany).toBeInstanceOf(InvalidParameterCombinationException);
    expect(tooMany.message).toContain('exceeds the limit of 1440');
  });
});
