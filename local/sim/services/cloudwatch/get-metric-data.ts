import { createHash } from 'node:crypto';
import { decodeToken, encodeToken, SimError, type CallContext } from '../../protocol.ts';
import { ApiInput } from '../sagemaker/input.ts';
import { bucketsOf, isValidPeriod, statValue, SUPPORTED_STATS, type SupportedStat } from './query.ts';
import { metricStore, type Dimension } from './store.ts';

/**
 * GetMetricData (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
 * up to 500 MetricDataQuery per call; MetricStat queries on one exact series; timestamps newest first
 * unless ScanBy=TimestampAscending; at most MaxDatapoints (default 100,800) datapoints per answer, the
 * rest behind a NextToken. Results cut short say StatusCode PartialData; later pages continue them.
 */
export const MAX_QUERIES = 500;
export const DEFAULT_MAX_DATAPOINTS = 100_800;
const ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;

interface PreparedQuery {
  id: string;
  label: string;
  returnData: boolean;
  timestamps: number[];
  values: number[];
}

interface PageToken {
  request: string;
  query: number;
  offset: number;
}

function prepare(input: ApiInput, ctx: CallContext): { queries: PreparedQuery[]; fingerprint: string } {
  const entries = input.objects('MetricDataQueries', { required: true, min: 1, max: MAX_QUERIES });
  const start = input.date('StartTime', { required: true })!;
  const end = input.date('EndTime', { required: true })!;
  if (start.getTime() >= end.getTime()) throw new SimError('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
  const ascending = (input.string('ScanBy', { oneOf: ['TimestampDescending', 'TimestampAscending'] }) ?? 'TimestampDescending') === 'TimestampAscending';
  const now = ctx.world.now();
  const store = metricStore(ctx.world, ctx.caller.accountId, ctx.caller.region);
  const seen = new Set<string>();
  const queries = entries.map((entry) => {
    const id = entry.string('Id', { required: true, min: 1, max: 255, pattern: ID_PATTERN });
    if (seen.has(id))
      throw new SimError('ValidationError', `The value ${id} for field Id is used by more than one query in MetricDataQueries; Ids must be unique.`);
    seen.add(id);
    if (entry.has('Expression')) {
      throw new SimError(
        'InvalidParameterValue',
        `Query ${id}: the simulator does not evaluate metric math or Metrics Insights expressions; use MetricStat (see docs/simulator/cloudwatch.md).`,
      );
    }
    const metricStat = entry.object('MetricStat');
    if (!metricStat) throw new SimError('ValidationError', `Query ${id} must specify either Expression or MetricStat.`);
    const metric = metricStat.object('Metric', { required: true })!;
    const namespace = metric.string('Namespace', { required: true, min: 1, max: 255 });
    const metricName = metric.string('MetricName', { required: true, min: 1, max: 255 });
    const dimensions: Dimension[] = metric
      .objects('Dimensions', { max: 30 })
      .map((d) => ({ Name: d.string('Name', { required: true, min: 1, max: 255 }), Value: d.string('Value', { required: true, min: 1, max: 1024 }) }));
    const period = metricStat.number('Period', { required: true, integer: true, min: 1 })!;
    if (!isValidPeriod(period))
      throw new SimError('ValidationError', `The parameter MetricStat.Period of query ${id} must be 1, 5, 10, 20, 30 or a multiple of 60.`);
    const stat = metricStat.string('Stat', { required: true });
    if (!(SUPPORTED_STATS as readonly string[]).includes(stat)) {
      throw new SimError(
        'InvalidParameterValue',
        `Query ${id}: statistic ${stat} is not supported by the simulator (supported: ${SUPPORTED_STATS.join(', ')}).`,
      );
    }
    const unit = metricStat.string('Unit');
    const series = store.find(namespace, metricName, dimensions);
    const buckets = series && (unit === undefined || unit === series.unit) ? bucketsOf(series, { start, end, period, now }) : [];
    if (!ascending) buckets.reverse();
    return {
      id,
      label: entry.string('Label') ?? metricName,
      returnData: entry.boolean('ReturnData') ?? true,
      timestamps: buckets.map((b) => b.timestamp),
      values: buckets.map((b) => statValue(b.stats, stat as SupportedStat)),
    };
  });
  const { NextToken: _ignored, ...rest } = input.raw;
  const fingerprint = createHash('sha256').update(JSON.stringify(rest)).digest('base64url').slice(0, 22);
  return { queries: queries.filter((q) => q.returnData), fingerprint };
}

export function getMetricData(raw: Record<string, unknown>, ctx: CallContext) {
  const input = new ApiInput(raw, 'ValidationError');
  const maxDatapoints = input.number('MaxDatapoints', { integer: true, min: 1 }) ?? DEFAULT_MAX_DATAPOINTS;
  const { queries, fingerprint } = prepare(input, ctx);
  const token = decodeToken<PageToken>(input.string('NextToken'), 'InvalidNextToken');
  if (token !== undefined && (token.request !== fingerprint || !Number.isInteger(token.query) || !Number.isInteger(token.offset))) {
    throw new SimError('InvalidNextToken', 'The service returned an invalid NextToken: it belongs to a different request.');
  }
  let budget = maxDatapoints;
  let queryIndex = token?.query ?? 0;
  let offset = token?.offset ?? 0;
  const results: Record<string, unknown>[] = [];
  while (queryIndex < queries.length) {
    const query = queries[queryIndex]!;
    const take = Math.min(budget, query.timestamps.length - offset);
    const complete = offset + take >= query.timestamps.length;
    if (take > 0 || complete) {
      results.push({
        Id: query.id,
        Label: query.label,
        Timestamps: query.timestamps.slice(offset, offset + take).map((ms) => new Date(ms)),
        Values: query.values.slice(offset, offset + take),
        StatusCode: complete ? 'Complete' : 'PartialData',
        Messages: [],
      });
    }
    budget -= take;
    if (!complete) {
      offset += take;
      break;
    }
    queryIndex++;
    offset = 0;
    if (budget === 0) break;
  }
  const nextToken = queryIndex < queries.length ? encodeToken({ request: fingerprint, query: queryIndex, offset } satisfies PageToken) : undefined;
  return { MetricDataResults: results, NextToken: nextToken, Messages: [] };
}
