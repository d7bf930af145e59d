import type { DetectionSettings, EndpointType } from '../core/schemas.ts';
import { DAY_MS, isoDate } from '../core/clock.ts';
import { EXEMPT_TAG, type TagMap } from '../core/tags.ts';
import type { DescribedConfig, DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';

/**
 * The zombie verdict as pure functions (docs/design.md "Idle (zombie) verdict"). Everything here is
 * deterministic over plain data and a clock value, so every rule is unit-tested without AWS.
 * Where a rule cannot be sure, it errs towards keeping the endpoint: a false positive deletes a
 * production model, a false negative only leaves money burning until the next sweep.
 */

/** CloudWatch keeps hourly (and so daily) aggregates for 15 months (GetMetricStatistics retention). */
export const HISTORY_DAYS = 455;

export interface DetectionWindow {
  now: Date;
  /** UTC midnight `lookbackDays` before today: the window is whole days plus today so far. */
  start: Date;
  /** Endpoints created or updated after this are too new to judge; undefined when minAgeDays is 0. */
  ageCutoff?: Date;
  /** Earliest day the last-invoked lookup reads. */
  historyStart: Date;
  settings: DetectionSettings;
}

export function startOfUtcDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
}

/**
 * Aligning to UTC midnight makes each daily CloudWatch bucket a calendar day (so "last invoked" is a
 * date) and widens the window by at most a day, which only makes an idle verdict harder to reach.
 */
export function detectionWindow(now: Date, settings: DetectionSettings): DetectionWindow {
  const today = startOfUtcDay(now).getTime();
  return {
    now,
    start: new Date(today - settings.lookbackDays * DAY_MS),
    ageCutoff: settings.minAgeDays > 0 ? new Date(today - settings.minAgeDays * DAY_MS) : undefined,
    historyStart: new Date(today - HISTORY_DAYS * DAY_MS),
    settings,
  };
}

export interface BillingFacts {
  billable: boolean;
  /** Instances behind instance-based variants (serverless variants count none). */
  instanceCount: number;
  reason: string;
}

/** Whether the endpoint costs money while nobody calls it. */
export function idleBilling(endpoint: DescribedEndpoint): BillingFacts {
  let instanceCount = 0;
  let provisioned = 0;
  let serverlessVariants = 0;
  for (const variant of endpoint.variants) {
    if (variant.serverless) {
      serverlessVariants++;
      provisioned += variant.serverless.provisionedConcurrency ?? 0;
      continue;
    }
    instanceCount += variantInstanceCount(variant);
  }
  if (instanceCount > 0 || provisioned > 0) {
    const parts: string[] = [];
    if (instanceCount > 0) parts.push(`${instanceCount} instance${instanceCount === 1 ? '' : 's'} running`);
    if (provisioned > 0) parts.push(`serverless provisioned concurrency ${provisioned}`);
    return { billable: true, instanceCount, reason: parts.join(' and ') };
  }
  if (serverlessVariants > 0 && serverlessVariants === endpoint.variants.length) {
    return { billable: false, instanceCount, reason: 'serverless without provisioned concurrency: costs nothing while idle' };
  }
  const scaledToZero = endpoint.isAsync ? 'async endpoint scaled to zero instances' : 'no instances running';
  return { billable: false, instanceCount, reason: `${scaledToZero}: costs nothing while idle` };
}

export function variantInstanceCount(variant: DescribedEndpoint['variants'][number]): number {
  if (variant.serverless) return 0;
  if (variant.currentInstanceCount !== undefined) return variant.currentInstanceCount;
  if (variant.instancePools && variant.instancePools.length > 0) return variant.instancePools.reduce((sum, pool) => sum + pool.currentInstanceCount, 0);
  // InService variants always report CurrentInstanceCount; without it, what was asked for is the best estimate.
  return variant.desiredInstanceCount ?? 0;
}

/** Too new: created or updated (itself or one of its inference components) after the age cutoff. */
export function tooNewReason(endpoint: DescribedEndpoint, components: readonly InferenceComponentRef[], window: DetectionWindow): string | undefined {
  const cutoff = window.ageCutoff;
  if (!cutoff) return undefined;
  const minAge = window.settings.minAgeDays;
  const after = (date: Date | undefined) => date !== undefined && date.getTime() > cutoff.getTime();
  if (after(endpoint.creationTime)) return `created ${isoDate(endpoint.creationTime)}, less than ${minAge} days ago`;
  if (after(endpoint.lastModifiedTime)) return `updated ${isoDate(endpoint.lastModifiedTime)}, less than ${minAge} days ago`;
  // A component replaced inside the window took its predecessor's traffic history with it.
  for (const component of components) {
    const changed = after(component.creationTime) ? component.creationTime : after(component.lastModifiedTime) ? component.lastModifiedTime : undefined;
    if (changed) return `inference component ${component.inferenceComponentName} deployed ${isoDate(changed)}, less than ${minAge} days ago`;
  }
  return undefined;
}

export type UsageJudgement = { verdict: 'active' | 'not-billable' | 'too-new' | 'error'; reason: string } | { verdict: 'idle'; reason: string };

/**
 * Everything decidable before tags are read. `idle` means: billable, old enough, and at or under the
 * threshold; only exemption tags can still save it.
 */
export function judgeUsage(
  endpoint: DescribedEndpoint,
  usage: WindowUsage,
  components: readonly InferenceComponentRef[],
  window: DetectionWindow,
): UsageJudgement {
  if (usage.error) return { verdict: 'error', reason: `invocation metrics unavailable: ${usage.error}` };
  const { lookbackDays, thresholdInvocations } = window.settings;
  const counted = `${formatCount(usage.invocations)} invocation${usage.invocations === 1 ? '' : 's'} in the last ${lookbackDays} days (threshold ${thresholdInvocations})`;
  if (usage.invocations > thresholdInvocations) return { verdict: 'active', reason: counted };
  const billing = idleBilling(endpoint);
  if (!billing.billable) return { verdict: 'not-billable', reason: `${billing.reason}; ${counted}` };
  const tooNew = tooNewReason(endpoint, components, window);
  if (tooNew) return { verdict: 'too-new', reason: `${tooNew}; ${counted}` };
  return { verdict: 'idle', reason: `${counted}; ${billing.reason}` };
}

export type Exemption = { exempt: true; reason: string } | { exempt: false };

/** What the owner's tags say: keep it, its `auto-delete-after` date has passed, or nothing. */
export type OwnerTagJudgement = { kind: 'exempt'; reason: string } | { kind: 'expired'; reason: string } | { kind: 'none' };

/** Caps how far `auto-delete-after` can exempt: at most `maxDays` after the endpoint was created. */
export interface AutoDeleteHorizon {
  createdAt: Date;
  maxDays: number;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an exemption date. A bare date means the whole of that UTC day, so "until 2026-12-01" keeps
 * the endpoint through December 1st. Returns undefined for anything else (no lenient Date.parse:
 * "1" or "next week" must not become a date).
 */
export function parseTagDate(value: string): Date | undefined {
  const trimmed = value.trim();
  const dateOnly = DATE_ONLY.exec(trimmed);
  const dateTime = dateOnly ? null : DATE_TIME.exec(trimmed);
  const parts = dateOnly ?? dateTime;
  if (!parts) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  if (dateOnly) return new Date(calendar.getTime() + DAY_MS);
  const parsed = new Date(trimmed);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

const TRUE_VALUES = new Set(['true', 'yes', '1']);
const FALSE_VALUES = new Set(['false', 'no', '0', '']);

type TagLookup = Map<string, { key: string; value: string }[]>;

function caseInsensitive(tags: TagMap): TagLookup {
  const lookup: TagLookup = new Map();
  for (const [key, value] of Object.entries(tags)) {
    const lower = key.toLowerCase();
    lookup.set(lower, [...(lookup.get(lower) ?? []), { key, value }]);
  }
  return lookup;
}

/**
 * Owner-set tags that keep an endpoint. Keys match case-insensitively and unreadable values count as
 * exempt: an owner who tried to keep an endpoint and misspelt the value still meant to keep it.
 * SageMaker tag keys are case-sensitive, so `zombie-exempt` and `Zombie-Exempt` can both be set with
 * different values; the endpoint is exempt if any of them exempts (a stale `false` next to a fresh
 * `true` must not win by map order).
 */
export function judgeExemption(tags: TagMap, now: Date, horizon?: AutoDeleteHorizon): Exemption {
  const judged = judgeOwnerTags(tags, now, horizon);
  return judged.kind === 'exempt' ? { exempt: true, reason: judged.reason } : { exempt: false };
}

/**
 * The owner's tags, in order of precedence: an explicit `zombie-exempt` or `zombie-exempt-until` keeps the
 * endpoint; a future `auto-delete-after` (capped by the horizon) keeps it; a passed one makes it `expired`,
 * idle or not, because the owner promised it would be gone by then.
 */
export function judgeOwnerTags(tags: TagMap, now: Date, horizon?: AutoDeleteHorizon): OwnerTagJudgement {
  const lookup = caseInsensitive(tags);
  const explicit = explicitExemption(lookup, now);
  if (explicit) return { kind: 'exempt', reason: explicit };
  let expired: string | undefined;
  for (const tag of lookup.get(EXEMPT_TAG.autoDeleteAfter) ?? []) {
    const until = parseTagDate(tag.value);
    if (!until) return { kind: 'exempt', reason: notADate(tag) };
    const capped = horizon ? new Date(Math.min(until.getTime(), horizon.createdAt.getTime() + horizon.maxDays * DAY_MS)) : until;
    if (capped.getTime() > now.getTime()) {
      const cap = capped.getTime() < until.getTime() ? ` (capped at ${horizon!.maxDays} days after creation: ${isoDate(capped)})` : '';
      return { kind: 'exempt', reason: `tag ${tag.key}=${tag.value} is in the future${cap}` };
    }
    expired ??=
      capped.getTime() < until.getTime()
        ? `tag ${tag.key}=${tag.value} is beyond the ${horizon!.maxDays}-day horizon after creation, which passed on ${isoDate(capped)}`
        : `tag ${tag.key}=${tag.value} has passed`;
  }
  return expired ? { kind: 'expired', reason: expired } : { kind: 'none' };
}

function explicitExemption(lookup: TagLookup, now: Date): string | undefined {
  for (const flag of lookup.get(EXEMPT_TAG.exempt) ?? []) {
    const normalized = flag.value.trim().toLowerCase();
    if (TRUE_VALUES.has(normalized)) return `tag ${flag.key}=${flag.value}`;
    if (!FALSE_VALUES.has(normalized)) return `tag ${flag.key}=${JSON.stringify(flag.value)} is neither true nor false; treated as exempt to be safe`;
  }
  for (const tag of lookup.get(EXEMPT_TAG.exemptUntil) ?? []) {
    const until = parseTagDate(tag.value);
    if (!until) return notADate(tag);
    if (until.getTime() > now.getTime()) return `tag ${tag.key}=${tag.value} is in the future`;
  }
  return undefined;
}

function notADate(tag: { key: string; value: string }): string {
  return `tag ${tag.key}=${JSON.stringify(tag.value)} is not an ISO date (YYYY-MM-DD or ISO 8601 time); treated as exempt to be safe`;
}

/** The `zombie-idle-since` value: the day after the last invocation, or "never". */
export function idleSince(lastInvokedDay: Date | undefined): string {
  if (!lastInvokedDay) return 'never';
  return isoDate(new Date(startOfUtcDay(lastInvokedDay).getTime() + DAY_MS));
}

/**
 * Endpoint kind for the report. Multi-model needs the model's container Mode (DescribeModel); see
 * docs/detection.md for why the scan only asks for it where it is affordable.
 */
export function classifyEndpointType(
  endpoint: DescribedEndpoint,
  config: DescribedConfig | undefined,
  componentCount: number,
  multiModel = false,
): EndpointType {
  if (componentCount > 0 || (config && isComponentConfig(config))) return 'inference-components';
  if (endpoint.isAsync || config?.isAsync) return 'async';
  if (endpoint.variants.some((v) => v.serverless) || config?.variants.some((v) => v.serverless)) return 'serverless';
  if (multiModel) return 'multi-model';
  return 'real-time';
}

/** Configs for inference components name no model on their (instance-based) variants. */
export function isComponentConfig(config: DescribedConfig): boolean {
  const production = config.variants.filter((v) => !v.shadow);
  return production.length > 0 && production.every((v) => !v.modelName && !v.serverless);
}

export function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
