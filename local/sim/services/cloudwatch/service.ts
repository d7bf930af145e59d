import { decodeToken, encodeToken, jsonService, SimError, type CallContext, type SimService } from '../../protocol.ts';
import { ApiInput } from '../sagemaker/input.ts';
import { getMetricData } from './get-metric-data.ts';
import { bucketsOf, isValidPeriod, statValue, SUPPORTED_STATS, type SupportedStat } from './query.ts';
import { DAY_MS, metricStore, seriesKey, type Dimension, type StatisticSet } from './store.ts';

/**
 * CloudWatch as the current SDK speaks it: JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`,
 * signing name monitoring, query-compatible errors (`x-amzn-query-error: Code;Sender`, so the SDK
 * raises InvalidParameterValueException for `InvalidParameterValue` and so on). Throttled calls answer
 * `Throttling`, which the SDK retries. API reference: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
 */

const invalidValue = (message: string) => new SimError('InvalidParameterValue', message);
const missing = (parameter: string) => new SimError('MissingParameter', `The parameter ${parameter} is required.`);
const combination = (message: string) => new SimError('InvalidParameterCombination', message);
const storeFor = (ctx: CallContext) => metricStore(ctx.world, ctx.caller.accountId, ctx.caller.region);

function dimensionsOf(input: ApiInput, field: string, where: string): Dimension[] {
  const list = input.objects(field);
  if (list.length > 30) throw invalidValue(`The collection ${where} must not have a size greater than 30.`);
  return list.map((d, i) => {
    const name = d.string('Name');
    const value = d.string('Value');
    if (!name) throw missing(`${where}.member.${i + 1}.Name`);
    if (value === undefined || value === '') throw missing(`${where}.member.${i + 1}.Value`);
    if (name.length > 255) throw invalidValue(`The parameter ${where}.member.${i + 1}.Name must be shorter than 256 characters.`);
    return { Name: name, Value: value };
  });
}

/** PutMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html */
function putMetricData(raw: Record<string, unknown>, ctx: CallContext) {
  const input = new ApiInput(raw, 'ValidationError');
  const namespace = input.string('Namespace');
  if (!namespace) throw missing('Namespace');
  // The AWS/ prefix is reserved for AWS services: tests seed SageMaker's metrics through metricStore().
  if (namespace.startsWith('AWS/') || namespace.startsWith(':')) throw invalidValue(`The value ${namespace} for parameter Namespace is invalid.`);
  const data = input.objects('MetricData');
  if (data.length === 0) throw missing('MetricData');
  if (data.length > 1000) throw invalidValue('The collection MetricData must not have a size greater than 1000.');
  const now = ctx.world.now().getTime();
  const store = storeFor(ctx);
  data.forEach((datum, i) => {
    const where = `MetricData.member.${i + 1}`;
    const metricName = datum.string('MetricName');
    if (!metricName) throw missing(`${where}.MetricName`);
    const dimensions = dimensionsOf(datum, 'Dimensions', `${where}.Dimensions`);
    const timestamp = datum.date('Timestamp') ?? new Date(now);
    // Datapoints may be up to two weeks old and two hours in the future.
    if (timestamp.getTime() < now - 14 * DAY_MS || timestamp.getTime() > now + 2 * 3_600_000) {
      throw invalidValue(`The parameter ${where}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`);
    }
    const value = datum.number('Value');
    const values = datum.array('Values') as number[] | undefined;
    const counts = datum.array('Counts') as number[] | undefined;
    const statistics = datum.object('StatisticValues');
    const given = [value !== undefined, values !== undefined, statistics !== undefined].filter(Boolean).length;
    if (given > 1)
      throw combination(
        `The parameters ${where}.Value, ${where}.Values and ${where}.StatisticValues are mutually exclusive and you have specified more than one.`,
      );
    if (given === 0) throw combination(`At least one of the parameters ${where}.Value, ${where}.Values or ${where}.StatisticValues must be specified.`);
    const resolution = datum.number('StorageResolution', { integer: true });
    if (resolution !== undefined && resolution !== 1 && resolution !== 60) throw invalidValue(`The parameter ${where}.StorageResolution must be 1 or 60.`);
    let stats: StatisticSet;
    if (value !== undefined) {
      stats = { sum: value, count: 1, min: value, max: value };
    } else if (values !== undefined) {
      if (values.length > 150) throw invalidValue(`The collection ${where}.Values must not have a size greater than 150.`);
      if (counts !== undefined && counts.length !== values.length)
        throw combination(`The parameters ${where}.Values and ${where}.Counts must be of the same size.`);
      if (values.some((v) => typeof v !== 'number') || (counts ?? []).some((c) => typeof c !== 'number'))
        throw invalidValue(`The parameters ${where}.Values and ${where}.Counts must be numbers.`);
      stats = { sum: 0, count: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
      values.forEach((v, j) => {
        const n = counts?.[j] ?? 1;
        stats.sum += v * n;
        stats.count += n;
        stats.min = Math.min(stats.min, v);
        stats.max = Math.max(stats.max, v);
      });
      if (values.length === 0) return;
    } else {
      const s = statistics!;
      stats = {
        sum: s.number('Sum', { required: true })!,
        count: s.number('SampleCount', { required: true })!,
        min: s.number('Minimum', { required: true })!,
        max: s.number('Maximum', { required: true })!,
      };
    }
    store.putStatistics(namespace, metricName, dimensions, timestamp, stats, { unit: datum.string('Unit'), highResolution: resolution === 1 });
  });
  return {};
}

/** GetMetricStatistics: at most 1,440 datapoints per call. */
function getMetricStatistics(raw: Record<string, unknown>, ctx: CallContext) {
  const input = new ApiInput(raw, 'ValidationError');
  for (const field of ['Namespace', 'MetricName', 'StartTime', 'EndTime', 'Period']) if (!input.has(field)) throw missing(field);
  const namespace = input.string('Namespace')!;
  const metricName = input.string('MetricName')!;
  const dimensions = dimensionsOf(input, 'Dimensions', 'Dimensions');
  const start = input.date('StartTime')!;
  const end = input.date('EndTime')!;
  const period = input.number('Period')!;
  const statistics = input.strings('Statistics', { max: 5 });
  const extended = input.strings('ExtendedStatistics', { max: 10 });
  if (!statistics && !extended) throw combination('Must specify either Statistics or ExtendedStatistics.');
  if (extended && extended.length > 0)
    throw invalidValue('ExtendedStatistics (percentiles) are not supported by the simulator (see docs/simulator/cloudwatch.md).');
  for (const stat of statistics ?? [])
    if (!(SUPPORTED_STATS as readonly string[]).includes(stat)) throw invalidValue(`The parameter Statistics contains an invalid value: ${stat}.`);
  if (!isValidPeriod(period)) throw invalidValue('The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60.');
  if (start.getTime() >= end.getTime()) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
  const requested = Math.ceil((end.getTime() - start.getTime()) / (period * 1000));
  if (requested > 1440) {
    throw combination(
      `You have requested up to ${requested} datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  const unit = input.string('Unit');
  const series = storeFor(ctx).find(namespace, metricName, dimensions);
  const buckets = series && (unit === undefined || unit === series.unit) ? bucketsOf(series, { start, end, period, now: ctx.world.now() }) : [];
  return {
    Label: metricName,
    Datapoints: buckets.map((b) => ({
      Timestamp: new Date(b.timestamp),
      ...Object.fromEntries((statistics ?? []).map((stat) => [stat, statValue(b.stats, stat as SupportedStat)])),
      Unit: series!.unit,
    })),
  };
}

/**
 * ListMetrics: 500 per page; metrics without datapoints in the past two weeks are not listed (use
 * GetMetricData for those, as the API reference says); RecentlyActive=PT3H keeps the last three hours.
 */
function listMetrics(raw: Record<string, unknown>, ctx: CallContext) {
  const input = new ApiInput(raw, 'ValidationError');
  const namespace = input.string('Namespace');
  const metricName = input.string('MetricName');
  const filters = input.objects('Dimensions', { max: 10 }).map((d) => ({ name: d.string('Name', { required: true }), value: d.string('Value') }));
  const recently = input.string('RecentlyActive');
  if (recently !== undefined && recently !== 'PT3H')
    throw invalidValue(`The value ${recently} for parameter RecentlyActive is invalid; the only valid value is PT3H.`);
  const now = ctx.world.now().getTime();
  const since = recently ? now - 3 * 3_600_000 : now - 14 * DAY_MS;
  const metrics = storeFor(ctx)
    .all()
    .filter(
      (s) =>
        s.latest >= since &&
        (namespace === undefined || s.namespace === namespace) &&
        (metricName === undefined || s.metricName === metricName) &&
        filters.every((f) => s.dimensions.some((d) => d.Name === f.name && (f.value === undefined || d.Value === f.value))),
    )
    .map((s) => ({
      order: seriesKey(s.namespace, s.metricName, s.dimensions),
      metric: { Namespace: s.namespace, MetricName: s.metricName, Dimensions: s.dimensions.map((d) => ({ ...d })) },
    }))
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
    .map((entry) => entry.metric);
  const token = decodeToken<{ offset: number }>(input.string('NextToken'), 'InvalidNextToken');
  if (token !== undefined && !Number.isInteger(token.offset)) throw new SimError('InvalidNextToken', 'The NextToken is invalid.');
  const offset = token?.offset ?? 0;
  const page = metrics.slice(offset, offset + 500);
  return { Metrics: page, NextToken: offset + 500 < metrics.length ? encodeToken({ offset: offset + 500 }) : undefined };
}

export const cloudwatchOperations = {
  PutMetricData: putMetricData,
  GetMetricData: getMetricData,
  GetMetricStatistics: getMetricStatistics,
  ListMetrics: listMetrics,
};

export function cloudwatchService(): SimService {
  return jsonService({
    signingName: 'monitoring',
    targetPrefix: 'GraniteServiceVersion20100801',
    version: '1.0',
    queryCompatible: true,
    operations: cloudwatchOperations,
    throttlingCode: 'Throttling',
    throttlingMessage: 'Rate exceeded',
  });
}
