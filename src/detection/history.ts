import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { isoDate } from '../core/clock.ts';
import type { Log } from '../core/log.ts';
import { attempt, failed } from './attempt.ts';
import type { FindingFacts } from './findings.ts';
import { fetchDailySums, invocationSeries, usageByEndpoint, type SeriesResult } from './metrics.ts';
import type { DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import { startOfUtcDay, type DetectionWindow } from './rules.ts';

/**
 * "Last invoked" before the window, for every endpoint idle in it: zombies and exempt ones, but also
 * not-billable and too-new ones at or under the threshold, so that `lastInvokedAt: null` in the report
 * means "never" for all of them (docs/detection.md, "Last invoked and idle since"). The same
 * GetMetricData read that measures the window covers the history (readInvocations).
 */
export const LAST_INVOKED_UNKNOWN = 'last invocation unknown';

export interface LastInvoked {
  /** Latest day with invocations; absent for "none in the history CloudWatch keeps". */
  day?: Date;
  /** Why the history could not be read (the endpoint's lastInvokedAt is then unknown, not "never"). */
  unknown?: string;
}

/**
 * Endpoints whose last invocation lies before the window (none in it), minus those created after
 * the window start: nothing before their creation is theirs, so for them "no invocation in the
 * window" already means "never", with no read at all.
 */
export function needsHistory(endpoint: DescribedEndpoint, lastInvokedInWindow: Date | undefined, window: DetectionWindow): boolean {
  return lastInvokedInWindow === undefined && endpoint.creationTime.getTime() < window.start.getTime();
}

/** What one read of an endpoint's invocation series tells: the window's usage and the history before it. */
export interface Invocations {
  usage: Map<string, WindowUsage>;
  history: Map<string, LastInvoked>;
}

/**
 * Daily sums of every series from the history start (455 days back, CloudWatch's retention of hourly
 * data) to now, read once: the days inside the window are its usage, the days before it the
 * last-invoked history. One read instead of a window read and a second history read for idle
 * endpoints; daily periods are allowed over the whole range (a multiple of 3,600 s for data older than
 * 63 days), and queriesPerCall (metrics.ts) keeps every call within the datapoints of one answer.
 * If CloudWatch cannot answer, every endpoint's usage is an error (never idle) and its history unknown.
 */
export async function readInvocations(
  cloudwatch: CloudWatchClient,
  endpoints: readonly DescribedEndpoint[],
  componentsOf: Map<string, InferenceComponentRef[]>,
  window: DetectionWindow,
  log: Log,
): Promise<Invocations> {
  const series = endpoints.flatMap((e) => invocationSeries(e, componentsOf.get(e.endpointName) ?? []));
  const from = new Date(Math.min(window.historyStart.getTime(), window.start.getTime()));
  const fetched = await attempt(() => fetchDailySums(cloudwatch, series, from, window.now));
  if (failed(fetched)) {
    log.warn('invocation metrics unavailable', { error: fetched.failed });
    return {
      usage: new Map(endpoints.map((e) => [e.endpointName, { invocations: 0, error: fetched.failed }])),
      history: new Map(endpoints.map((e) => [e.endpointName, { unknown: fetched.failed }])),
    };
  }
  const windowStart = window.start.getTime();
  const inWindow = fetched.map((result) => keepDays(result, (day) => day >= windowStart));
  // An endpoint deleted and re-created under the same name inherits its predecessor's series:
  // days before this endpoint's creation are not its invocations.
  const createdDay = new Map(endpoints.map((e) => [e.endpointName, startOfUtcDay(e.creationTime).getTime()]));
  const before = fetched.map((result, i) => keepDays(result, (day) => day < windowStart && day >= createdDay.get(series[i]!.endpointName)!));
  const history = new Map<string, LastInvoked>();
  for (const [name, past] of usageByEndpoint(series, before)) {
    history.set(name, past.error ? { unknown: past.error } : past.lastInvokedDay ? { day: past.lastInvokedDay } : {});
  }
  return { usage: usageByEndpoint(series, inWindow), history };
}

function keepDays(result: SeriesResult, keep: (day: number) => boolean): SeriesResult {
  return { days: new Map([...result.days].filter(([day]) => keep(day))), ...(result.error ? { error: result.error } : {}) };
}

/** The history entries of the endpoints that need one (needsHistory); the others' last invocation is in the window or "never". */
export function historyOf(history: Map<string, LastInvoked>, endpoints: readonly DescribedEndpoint[]): Map<string, LastInvoked> {
  return new Map(endpoints.map((e) => [e.endpointName, history.get(e.endpointName) ?? {}]));
}

/**
 * Sets lastInvokedDay from the window or the history. Where the history was asked for and could not
 * be read, the reason says so and a zombie's idle-since falls back to the window start, which is still
 * true ("never" would not be).
 */
export function withLastInvoked(facts: FindingFacts, history: Map<string, LastInvoked>, window: DetectionWindow): FindingFacts {
  if (facts.usage?.lastInvokedDay) return { ...facts, lastInvokedDay: facts.usage.lastInvokedDay };
  const before = history.get(facts.endpoint.endpointName);
  if (before?.unknown === undefined) return before?.day ? { ...facts, lastInvokedDay: before.day } : facts;
  return { ...facts, reason: `${facts.reason}; ${LAST_INVOKED_UNKNOWN} (${before.unknown})`, idleSince: isoDate(window.start) };
}
