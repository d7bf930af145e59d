import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { isoDate, type Clock } from '../core/clock.ts';
import { mapLimit } from '../core/concurrency.ts';
import { RetryableAwsError } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import type { DetectionSettings, Finding } from '../core/schemas.ts';
import { describeError, isTransient, isUnreachable } from './aws-errors.ts';
import { buildFinding, errorFinding, priceableWithoutConfig } from './findings.ts';
import { describeEndpoint, describeEndpointConfig, GONE, isMultiModel, listInferenceComponents, listInServiceEndpoints, listTags, type Gone } from './inventory.ts';
import { fetchDailySums, invocationSeries, usageByEndpoint } from './metrics.ts';
import type { DescribedConfig, DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import type { PriceTable } from './pricing.ts';
import { classifyEndpointType, detectionWindow, isComponentConfig, judgeExemption, judgeUsage, type DetectionWindow } from './rules.ts';

/**
 * Scans one account-region: list, describe, read metrics in batches, classify. Calls per endpoint
 * stay close to one (its DescribeEndpoint); configs, tags and history are read only for endpoints
 * idle in the window, and only as far as the verdict needs them (docs/detection.md, API economy).
 */
export interface ScanTargetOptions {
  sagemaker: SageMakerClient;
  cloudwatch: CloudWatchClient;
  accountId: string;
  region: string;
  settings: DetectionSettings;
  clock: Clock;
  log: Log;
  /** SageMaker calls in flight for this account-region. */
  concurrency?: number;
  /** DescribeModel (once per distinct model) to tell multi-model zombies from real-time ones. */
  classifyMultiModel?: boolean;
  prices?: PriceTable;
  onProgress?: (progress: { described: number; total: number }) => void;
}

export interface TargetScanResult {
  accountId: string;
  region: string;
  status: 'ok' | 'unreachable' | 'error';
  error?: string;
  scannedAt: string;
  findings: Finding[];
}

type Failed = { failed: string; error: unknown };
const failed = (value: unknown): value is Failed => typeof value === 'object' && value !== null && 'failed' in value;

/** Runs one call; a transient error aborts the target (the caller retries), any other becomes a value. */
async function attempt<T>(call: () => Promise<T>): Promise<T | Failed> {
  try {
    return await call();
  } catch (error) {
    if (isTransient(error)) throw new RetryableAwsError(`AWS kept failing after SDK retries: ${describeError(error)}`, { cause: error });
    return { failed: describeError(error), error };
  }
}

export async function scanTarget(options: ScanTargetOptions): Promise<TargetScanResult> {
  const { sagemaker, accountId, region, log } = options;
  const window = detectionWindow(options.clock.now(), options.settings);
  const base = { accountId, region, scannedAt: window.now.toISOString() };

  const listed = await attempt(() => listInServiceEndpoints(sagemaker));
  if (failed(listed)) {
    const status = isUnreachable(listed.error) ? 'unreachable' : 'error';
    log.warn('cannot list endpoints', { accountId, region, error: listed.failed });
    return { ...base, status, error: `cannot list SageMaker endpoints: ${listed.failed}`, findings: [] };
  }
  if (listed.length === 0) return { ...base, status: 'ok', findings: [] };

  const concurrency = options.concurrency ?? 8;
  const componentsCall = attempt(() => listInferenceComponents(sagemaker));
  let described = 0;
  const descriptions = await mapLimit(listed, concurrency, async (summary) => {
    const result: DescribedEndpoint | Gone | Failed = await attempt(() => describeEndpoint(sagemaker, summary.EndpointName ?? ''));
    options.onProgress?.({ described: ++described, total: listed.length });
    return { summary, result };
  });
  const components = await componentsCall;
  const componentsError = failed(components) ? components.failed : undefined;
  const componentsOf = groupComponents(failed(components) ? [] : components);

  const findings: Finding[] = [];
  const endpoints: DescribedEndpoint[] = [];
  for (const { summary, result } of descriptions) {
    const name = summary.EndpointName ?? '';
    const arn = summary.EndpointArn ?? '';
    if (result === GONE) findings.push(errorFinding(accountId, region, name, arn, 'endpoint was deleted while the scan described it'));
    else if (failed(result)) findings.push(errorFinding(accountId, region, name, arn, `cannot describe endpoint: ${result.failed}`));
    else if (result.status !== 'InService') log.info('endpoint left InService during the scan; skipped', { endpointName: name, status: result.status });
    else endpoints.push(result);
  }

  const usage = await windowUsage(options, endpoints, componentsOf, window);
  const idle: { endpoint: DescribedEndpoint; usage: WindowUsage; reason: string }[] = [];
  for (const endpoint of endpoints) {
    const own = componentsOf.get(endpoint.endpointName) ?? [];
    const used = usage.get(endpoint.endpointName) ?? { invocations: 0 };
    const judged = judgeUsage(endpoint, used, own, window);
    if (judged.verdict === 'idle') {
      idle.push({ endpoint, usage: used, reason: judged.reason });
      continue;
    }
    findings.push(
      buildFinding({
        accountId,
        region,
        endpoint,
        verdict: judged.verdict,
        reason: judged.reason,
        endpointType: classifyEndpointType(endpoint, undefined, own.length),
        usage: used,
        lastInvokedDay: used.lastInvokedDay,
        components: own,
        priceIt: priceableWithoutConfig(endpoint),
        prices: options.prices,
      }),
    );
  }

  findings.push(...(await judgeIdle(options, idle, componentsOf, componentsError, window)));
  log.info('target scanned', { accountId, region, endpoints: findings.length, zombies: findings.filter((f) => f.verdict === 'zombie').length });
  return { ...base, status: 'ok', findings: sortFindings(findings) };
}

async function windowUsage(
  options: ScanTargetOptions,
  endpoints: readonly DescribedEndpoint[],
  componentsOf: Map<string, InferenceComponentRef[]>,
  window: DetectionWindow,
): Promise<Map<string, WindowUsage>> {
  const series = endpoints.flatMap((e) => invocationSeries(e, componentsOf.get(e.endpointName) ?? []));
  const results = await attempt(() => fetchDailySums(options.cloudwatch, series, window.start, window.now));
  if (failed(results)) return new Map(endpoints.map((e) => [e.endpointName, { invocations: 0, error: results.failed }]));
  return usageByEndpoint(series, results);
}

/** Idle, billable and old enough: exemption tags decide between exempt and zombie. */
async function judgeIdle(
  options: ScanTargetOptions,
  idle: readonly { endpoint: DescribedEndpoint; usage: WindowUsage; reason: string }[],
  componentsOf: Map<string, InferenceComponentRef[]>,
  componentsError: string | undefined,
  window: DetectionWindow,
): Promise<Finding[]> {
  if (idle.length === 0) return [];
  const { sagemaker, accountId, region } = options;
  // Last invoked: one batched history read for every idle endpoint without a use inside the window.
  const historyCall = lastInvokedBefore(
    options,
    idle.filter((i) => !i.usage.lastInvokedDay).map((i) => i.endpoint),
    componentsOf,
    window,
  );
  const configs = new Map<string, Promise<DescribedConfig | Gone | Failed>>();
  const configOf = (name: string) => {
    let pending = configs.get(name);
    if (!pending) configs.set(name, (pending = attempt(() => describeEndpointConfig(sagemaker, name))));
    return pending;
  };
  const models = new Map<string, Promise<boolean | Gone | Failed>>();
  const multiModel = (name: string) => {
    let pending = models.get(name);
    if (!pending) models.set(name, (pending = attempt(() => isMultiModel(sagemaker, name))));
    return pending;
  };

  const judged = await mapLimit(idle, options.concurrency ?? 8, async ({ endpoint, usage, reason }) => {
    const own = componentsOf.get(endpoint.endpointName) ?? [];
    const facts = { accountId, region, endpoint, usage, components: own, prices: options.prices };
    const tags = await attempt(() => listTags(sagemaker, endpoint.endpointArn));
    const endpointType = classifyEndpointType(endpoint, undefined, own.length);
    if (tags === GONE) return { ...facts, verdict: 'error' as const, reason: 'endpoint was deleted while the scan read its tags', endpointType, priceIt: false };
    if (failed(tags)) return { ...facts, verdict: 'error' as const, reason: `cannot read tags to check exemptions: ${tags.failed}`, endpointType, priceIt: false };
    const exemption = judgeExemption(tags, window.now);
    if (exemption.exempt) {
      return { ...facts, tags, verdict: 'exempt' as const, reason: `${exemption.reason}; ${reason}`, endpointType, priceIt: priceableWithoutConfig(endpoint) };
    }
    const config = endpoint.endpointConfigName ? await configOf(endpoint.endpointConfigName) : undefined;
    const known = config && config !== GONE && !failed(config) ? config : undefined;
    // Without the component list, a component endpoint's traffic is invisible: never call it idle.
    if (componentsError && (!known || isComponentConfig(known))) {
      const why = known ? 'hosts inference components' : 'may host inference components (config unreadable)';
      return { ...facts, tags, config: known, verdict: 'error' as const, reason: `${why}, which could not be listed: ${componentsError}`, endpointType, priceIt: false };
    }
    let zombieReason = reason;
    if (config === GONE) zombieReason += `; endpoint config ${endpoint.endpointConfigName} no longer exists`;
    else if (failed(config)) zombieReason += `; cannot describe endpoint config: ${config.failed}`;
    let isMme = false;
    if (options.classifyMultiModel && known && !known.isAsync && !isComponentConfig(known)) {
      for (const modelName of new Set(known.variants.flatMap((v) => (v.modelName && !v.serverless ? [v.modelName] : [])))) {
        if ((await multiModel(modelName)) === true) isMme = true;
      }
    }
    return { ...facts, tags, config: known, verdict: 'zombie' as const, reason: zombieReason, endpointType: classifyEndpointType(endpoint, known, own.length, isMme), priceIt: true };
  });

  const history = await historyCall;
  return judged.map((facts) => {
    if (facts.usage.lastInvokedDay) return buildFinding({ ...facts, lastInvokedDay: facts.usage.lastInvokedDay });
    const before = history.get(facts.endpoint.endpointName);
    if (before?.unknown === undefined) return buildFinding({ ...facts, lastInvokedDay: before?.day });
    // Unknown history: idle at least since the window start is still true; "never" would not be.
    return buildFinding({ ...facts, reason: `${facts.reason}; last invocation unknown (${before.unknown})`, idleSince: isoDate(window.start) });
  });
}

/** Latest day with invocations in the 455 days before the window (CloudWatch keeps hourly data 15 months). */
async function lastInvokedBefore(
  options: ScanTargetOptions,
  endpoints: readonly DescribedEndpoint[],
  componentsOf: Map<string, InferenceComponentRef[]>,
  window: DetectionWindow,
): Promise<Map<string, { day?: Date; unknown?: string }>> {
  const out = new Map<string, { day?: Date; unknown?: string }>();
  if (endpoints.length === 0 || window.historyStart.getTime() >= window.start.getTime()) return out;
  const series = endpoints.flatMap((e) => invocationSeries(e, componentsOf.get(e.endpointName) ?? []));
  const results = await attempt(() => fetchDailySums(options.cloudwatch, series, window.historyStart, window.start));
  if (failed(results)) {
    options.log.warn('last-invoked lookup failed', { error: results.failed });
    for (const e of endpoints) out.set(e.endpointName, { unknown: results.failed });
    return out;
  }
  for (const [name, usage] of usageByEndpoint(series, results)) {
    out.set(name, usage.error ? { unknown: usage.error } : { ...(usage.lastInvokedDay ? { day: usage.lastInvokedDay } : {}) });
  }
  return out;
}

function groupComponents(components: readonly InferenceComponentRef[]): Map<string, InferenceComponentRef[]> {
  const out = new Map<string, InferenceComponentRef[]>();
  for (const c of components) {
    const list = out.get(c.endpointName) ?? [];
    list.push(c);
    out.set(c.endpointName, list);
  }
  return out;
}

/** Most expensive first, unknown cost last, then by name: the order a reader acts in. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => (b.monthlyCostUsd ?? -1) - (a.monthlyCostUsd ?? -1) || a.endpointName.localeCompare(b.endpointName));
}
