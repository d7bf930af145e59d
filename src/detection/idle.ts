import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { isoDate } from '../core/clock.ts';
import { mapLimit } from '../core/concurrency.ts';
import type { Log } from '../core/log.ts';
import type { Finding } from '../core/schemas.ts';
import { attempt, failed, once } from './attempt.ts';
import { buildFinding, priceableWithoutConfig, type FindingFacts } from './findings.ts';
import { describeEndpointConfig, GONE, isMultiModel, listTags } from './inventory.ts';
import { fetchDailySums, invocationSeries, usageByEndpoint } from './metrics.ts';
import type { DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import type { PriceTable } from './pricing.ts';
import { classifyEndpointType, isComponentConfig, judgeExemption, type DetectionWindow } from './rules.ts';

/**
 * The last stage, for endpoints that are idle, billable and old enough: exemption tags decide between
 * exempt and zombie; zombies get their config (instance types, cost) and their last invocation.
 * Exempt endpoints need neither config nor history beyond what the batch already reads.
 */
export interface IdleCandidate {
  endpoint: DescribedEndpoint;
  usage: WindowUsage;
  reason: string;
}

export interface IdleContext {
  sagemaker: SageMakerClient;
  cloudwatch: CloudWatchClient;
  accountId: string;
  region: string;
  window: DetectionWindow;
  componentsOf: Map<string, InferenceComponentRef[]>;
  /** Set when ListInferenceComponents failed: component endpoints cannot be judged idle then. */
  componentsError?: string;
  concurrency: number;
  classifyMultiModel: boolean;
  prices?: PriceTable;
  log: Log;
}

export async function judgeIdle(ctx: IdleContext, idle: readonly IdleCandidate[]): Promise<Finding[]> {
  if (idle.length === 0) return [];
  const { sagemaker, accountId, region, window } = ctx;
  const historyCall = lastInvokedBefore(
    ctx,
    idle.filter((i) => !i.usage.lastInvokedDay).map((i) => i.endpoint),
  );
  // Awaited at the end; if a tag or config read aborts the target first, this keeps its failure handled.
  historyCall.catch(() => undefined);
  const configOf = once((name) => attempt(() => describeEndpointConfig(sagemaker, name)));
  const multiModel = once((name) => attempt(() => isMultiModel(sagemaker, name)));

  const judged = await mapLimit(idle, ctx.concurrency, async ({ endpoint, usage, reason }): Promise<Omit<FindingFacts, 'lastInvokedDay'>> => {
    const own = ctx.componentsOf.get(endpoint.endpointName) ?? [];
    const endpointType = classifyEndpointType(endpoint, undefined, own.length);
    const facts = { accountId, region, endpoint, usage, components: own, prices: ctx.prices, endpointType };
    const tags = await attempt(() => listTags(sagemaker, endpoint.endpointArn));
    if (tags === GONE) return { ...facts, verdict: 'error', reason: 'endpoint was deleted while the scan read its tags', priceIt: false };
    if (failed(tags)) return { ...facts, verdict: 'error', reason: `cannot read tags to check exemptions: ${tags.failed}`, priceIt: false };
    const exemption = judgeExemption(tags, window.now);
    if (exemption.exempt) return { ...facts, tags, verdict: 'exempt', reason: `${exemption.reason}; ${reason}`, priceIt: priceableWithoutConfig(endpoint) };

    const config = endpoint.endpointConfigName ? await configOf(endpoint.endpointConfigName) : undefined;
    const known = config && config !== GONE && !failed(config) ? config : undefined;
    // Without the component list, a component endpoint's traffic is invisible: never call it idle.
    if (ctx.componentsError && (!known || isComponentConfig(known))) {
      const why = known ? 'hosts inference components' : 'may host inference components (its config is unreadable)';
      return { ...facts, tags, config: known, verdict: 'error', reason: `${why}, which could not be listed: ${ctx.componentsError}`, priceIt: false };
    }
    let zombieReason = reason;
    if (config === GONE) zombieReason += `; endpoint config ${endpoint.endpointConfigName} no longer exists`;
    else if (failed(config)) zombieReason += `; cannot describe endpoint config: ${config.failed}`;
    let isMme = false;
    if (ctx.classifyMultiModel && known && !known.isAsync && !isComponentConfig(known)) {
      for (const modelName of new Set(known.variants.flatMap((v) => (v.modelName && !v.serverless ? [v.modelName] : [])))) {
        if ((await multiModel(modelName)) === true) isMme = true;
      }
    }
    return { ...facts, tags, config: known, verdict: 'zombie', reason: zombieReason, endpointType: classifyEndpointType(endpoint, known, own.length, isMme), priceIt: true };
  });

  const history = await historyCall;
  return judged.map((facts) => {
    if (facts.usage?.lastInvokedDay) return buildFinding({ ...facts, lastInvokedDay: facts.usage.lastInvokedDay });
    const before = history.get(facts.endpoint.endpointName);
    if (before?.unknown === undefined) return buildFinding({ ...facts, lastInvokedDay: before?.day });
    // Unknown history: idle at least since the window start is still true; "never" would not be.
    return buildFinding({ ...facts, reason: `${facts.reason}; last invocation unknown (${before.unknown})`, idleSince: isoDate(window.start) });
  });
}

/** Latest day with invocations in the 455 days before the window (CloudWatch keeps hourly data 15 months). */
async function lastInvokedBefore(ctx: IdleContext, endpoints: readonly DescribedEndpoint[]): Promise<Map<string, { day?: Date; unknown?: string }>> {
  const out = new Map<string, { day?: Date; unknown?: string }>();
  const { window } = ctx;
  if (endpoints.length === 0 || window.historyStart.getTime() >= window.start.getTime()) return out;
  const series = endpoints.flatMap((e) => invocationSeries(e, ctx.componentsOf.get(e.endpointName) ?? []));
  const results = await attempt(() => fetchDailySums(ctx.cloudwatch, series, window.historyStart, window.start));
  if (failed(results)) {
    ctx.log.warn('last-invoked lookup failed', { error: results.failed });
    for (const e of endpoints) out.set(e.endpointName, { unknown: results.failed });
    return out;
  }
  for (const [name, usage] of usageByEndpoint(series, results)) {
    out.set(name, usage.error ? { unknown: usage.error } : { ...(usage.lastInvokedDay ? { day: usage.lastInvokedDay } : {}) });
  }
  return out;
}
