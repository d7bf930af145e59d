import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { isoDate } from '../core/clock.ts';
import type { Log } from '../core/log.ts';
import { attempt, failed } from './attempt.ts';
import type { FindingFacts } from './findings.ts';
import { fetchDailySums, invocationSeries, summarizeUsage, type SeriesResult } from './metrics.ts';
import type { DescribedEndpoint, InferenceComponentRef } from './model.ts';
import { startOfUtcDay, type DetectionWindow } from './rules.ts';

/**
 * "Last invoked" before the window, for every endpoint idle in it: zombies and exempt ones, but also
 * not-billable and too-new ones at or under the threshold, so that `lastInvokedAt: null` in the report
 * means "never" for all of them (docs/detection.md, "Last invoked and idle since"). One batched
 * GetMetricData read per target (500 series per call) covers them all.
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

/** Latest day with invocations in the 455 days before the window (CloudWatch keeps hourly data 15 months). */
export async function lastInvokedBefore(
  cloudwatch: CloudWatchClient,
  endpoints: readonly DescribedEndpoint[],
  componentsOf: Map<string, InferenceComponentRef[]>,
  window: DetectionWindow,
  log: Log,
): Promise<Map<string, LastInvoked>> {
  const out = new Map<string, LastInvoked>();
  if (endpoints.length === 0 || window.historyStart.getTime() >= window.start.getTime()) {
    // A lookback of 455 days or more: the window already covered all the history there is.
    for (const e of endpoints) out.set(e.endpointName, {});
    return out;
  }
  const series = endpoints.flatMap((e) => invocationSeries(e, componentsOf.get(e.endpointName) ?? []));
  const results = await attempt(() => fetchDailySums(cloudwatch, series, window.historyStart, window.start));
  if (failed(results)) {
    log.warn('last-invoked lookup failed', { error: results.failed });
    for (const e of endpoints) out.set(e.endpointName, { unknown: results.failed });
    return out;
  }
  // An endpoint deleted and re-created under the same name inherits its predecessor's series:
  // days before this endpoint's creation are not its invocations.
  const createdDay = new Map(endpoints.map((e) => [e.endpointName, startOfUtcDay(e.creationTime).getTime()]));
  const parts = new Map<string, SeriesResult[]>();
  series.forEach((s, i) => {
    const since = createdDay.get(s.endpointName)!;
    const result = results[i]!;
    const own: SeriesResult = { days: new Map([...result.days].filter(([day]) => day >= since)), ...(result.error ? { error: result.error } : {}) };
    parts.set(s.endpointName, [...(parts.get(s.endpointName) ?? []), own]);
  });
  for (const e of endpoints) {
    const usage = summarizeUsage(parts.get(e.endpointName) ?? []);
    out.set(e.endpointName, usage.error ? { unknown: usage.error } : usage.lastInvokedDay ? { day: usage.lastInvokedDay } : {});
  }
  return out;
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
