import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { EndpointSummary, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Clock } from '../core/clock.ts';
import { AimdLimit, mapAdaptive } from '../core/concurrency.ts';
import type { Log } from '../core/log.ts';
import type { DetectionSettings, Finding } from '../core/schemas.ts';
import { attempt, failed, type Failed } from './attempt.ts';
import { isUnreachable } from '../core/aws-errors.ts';
import { buildFinding, errorFinding, type FindingFacts } from './findings.ts';
import { cachingConfigReader, type ConfigCacheStore } from './config-cache.ts';
import { configReader, judgeIdle, type ConfigReader, type IdleCandidate } from './idle.ts';
import { describeEndpoint, GONE, listInferenceComponents, listInServiceEndpoints, type Gone } from './inventory.ts';
import { historyOf, needsHistory, readInvocations, withLastInvoked } from './history.ts';
import type { DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import type { PriceTable } from './pricing.ts';
import { observeThrottling, throttleSignal } from './throttle-signal.ts';
import { classifyEndpointType, detectionWindow, isComponentConfig, judgeOwnerTags, judgeUsage, type DetectionWindow } from './rules.ts';
import { protectedByTags } from '../core/protected.ts';
import { readScanTags } from './tags.ts';
import type { TagMap } from '../core/tags.ts';

/**
 * Scans one account-region (docs/detection.md, "How a target is scanned"):
 * 1. ListEndpoints (InService), then per endpoint DescribeEndpoint (variants, current instance counts,
 *    serverless and async settings, the age) followed at once by its endpoint config (instance types,
 *    so every billable endpoint is priced), read once per distinct config;
 * 2. ListInferenceComponents once for the region, only when a config shows (or cannot rule out)
 *    inference components;
 * 3. one GetMetricData read of every series of every endpoint from 455 days ago to now: the window's
 *    sums and the last-invoked history in the same calls;
 * 4. active, not-billable and too-new are decided from those alone; only endpoints idle in the window
 *    go on to tags (batched), and only zombies to their models; active endpoints carrying
 *    `auto-delete-after` are read too (in the idle batches' spare room, or one filtered call), for `expired`.
 */
export interface ScanTargetOptions {
  sagemaker: SageMakerClient;
  cloudwatch: CloudWatchClient;
  /** Batched tag reads; without it (or when it is refused) tags are read with sagemaker:ListTags. */
  tagging?: ResourceGroupsTaggingAPIClient;
  accountId: string;
  region: string;
  settings: DetectionSettings;
  clock: Clock;
  log: Log;
  /**
   * Most SageMaker calls in flight for this account-region: the describes start there and back off
   * AIMD-style (halve on throttling, creep back by one per unthrottled round), on top of the SDK's
   * adaptive retry.
   */
  concurrency?: number;
  /** DescribeModel (once per distinct model of a zombie) to tell multi-model zombies from real-time ones; default true. */
  classifyMultiModel?: boolean;
  /**
   * Whose instance types are read for cost: `billable` (default) reads the config of every
   * instance-based endpoint, once per distinct config, so the report prices all serving; `zombies`
   * reads configs only for zombies (one call per zombie instead of per endpoint, others unpriced).
   */
  pricing?: Pricing;
  prices?: PriceTable;
  /**
   * DescribeEndpointConfig answers kept across sweeps (./config-cache.ts): a config whose creation
   * time is unchanged is not described again. Without it every distinct config is described.
   */
  configCache?: ConfigCacheStore;
  onProgress?: (progress: { done: number; total: number }) => void;
}

export type Pricing = 'billable' | 'zombies';

/** Start high; the adaptive retry strategy of each account-region's client backs off when throttled. */
export const DEFAULT_ENDPOINT_CONCURRENCY = 16;

export interface TargetScanResult {
  accountId: string;
  region: string;
  status: 'ok' | 'unreachable' | 'error';
  error?: string;
  scannedAt: string;
  findings: Finding[];
}

export async function scanTarget(options: ScanTargetOptions): Promise<TargetScanResult> {
  const { sagemaker, cloudwatch, accountId, region, log } = options;
  const window = detectionWindow(options.clock.now(), options.settings);
  const base = { accountId, region, scannedAt: window.now.toISOString() };

  const listed = await attempt(() => listInServiceEndpoints(sagemaker));
  if (failed(listed)) {
    log.warn('cannot list endpoints', { accountId, region, error: listed.failed });
    return { ...base, status: isUnreachable(listed.error) ? 'unreachable' : 'error', error: `cannot list SageMaker endpoints: ${listed.failed}`, findings: [] };
  }
  if (listed.length === 0) return { ...base, status: 'ok', findings: [] };

  const concurrency = options.concurrency ?? DEFAULT_ENDPOINT_CONCURRENCY;
  const cache = options.configCache ? cachingConfigReader(sagemaker, options.configCache, { accountId, region, now: window.now }, log) : undefined;
  const configs = cache ?? configReader(sagemaker);
  const { findings, endpoints } = await describeAll(options, listed, configs, concurrency);

  const componentsRead = endpoints.some((e) => mayHostComponents(e, configs)) ? await attempt(() => listInferenceComponents(sagemaker)) : [];
  const componentsError = failed(componentsRead) ? componentsRead.failed : undefined;
  const componentsOf = groupComponents(failed(componentsRead) ? [] : componentsRead);
  const ownComponents = (e: DescribedEndpoint) => componentsOf.get(e.endpointName) ?? [];

  const { usage, history: allHistory } = await readInvocations(cloudwatch, endpoints, componentsOf, window, log);
  const { settled, idle } = splitByUsage(options, endpoints, usage, ownComponents, window);

  // Every endpoint idle in the window (not only the zombie candidates) gets its last invocation, so
  // that a null lastInvokedAt means "never" wherever the history was read.
  const historyFor = [...idle.map((i) => i.endpoint), ...settled.filter(idleInWindow).map((f) => f.endpoint)].filter((e) =>
    needsHistory(e, usage.get(e.endpointName)?.lastInvokedDay, window),
  );
  const history = historyOf(allHistory, historyFor);

  const tagReads = await readScanTags(
    { sagemaker, tagging: options.tagging, concurrency, log, accountId, region },
    idle.map((i) => i.endpoint.endpointArn),
    settled.filter((f) => f.verdict === 'active').map((f) => f.endpoint.endpointArn),
  );
  const idleContext = { sagemaker, tagging: options.tagging, accountId, region, window, componentsOf, componentsError, configs, concurrency, log };
  const idleFacts = await judgeIdle({ ...idleContext, classifyMultiModel: options.classifyMultiModel ?? true, prices: options.prices }, idle, tagReads.idle);
  judgeInvokedExpiry(tagReads.invoked, settled, window);
  for (const facts of settled) {
    const config = configs.known(facts.endpoint);
    const endpointType = classifyEndpointType(facts.endpoint, config, facts.components.length);
    findings.push(buildFinding(withLastInvoked({ ...facts, endpointType, config, prices: options.prices }, history, window)));
  }
  for (const facts of idleFacts) findings.push(buildFinding(withLastInvoked(facts, history, window)));
  await cache?.persist(endpoints);
  log.info('target scanned', {
    accountId,
    region,
    endpoints: findings.length,
    idle: idle.length,
    zombies: findings.filter((f) => f.verdict === 'zombie').length,
  });
  return { ...base, status: 'ok', findings: sortFindings(findings) };
}

/** Active, not-billable and too-new are settled by usage alone; the rest are idle and go on to their tags. */
function splitByUsage(
  options: ScanTargetOptions,
  endpoints: readonly DescribedEndpoint[],
  usage: ReadonlyMap<string, WindowUsage>,
  ownComponents: (e: DescribedEndpoint) => InferenceComponentRef[],
  window: DetectionWindow,
): { settled: Omit<FindingFacts, 'prices'>[]; idle: IdleCandidate[] } {
  const settled: Omit<FindingFacts, 'prices'>[] = [];
  const idle: IdleCandidate[] = [];
  for (const endpoint of endpoints) {
    const used = usage.get(endpoint.endpointName) ?? { invocations: 0 };
    const judged = judgeUsage(endpoint, used, ownComponents(endpoint), window);
    if (judged.verdict === 'idle') idle.push({ endpoint, usage: used, reason: judged.reason });
    else
      settled.push({
        accountId: options.accountId,
        region: options.region,
        endpoint,
        verdict: judged.verdict,
        reason: judged.reason,
        usage: used,
        components: ownComponents(endpoint),
        endpointType: null,
      });
  }
  return { settled, idle };
}

/**
 * DescribeEndpoint for every listed endpoint and, right behind it in the same worker, its config
 * where pricing needs it: the config read overlaps the other endpoints' describes instead of waiting
 * for all of them. Endpoints that vanished or could not be described become error findings.
 */
async function describeAll(
  options: ScanTargetOptions,
  listed: readonly EndpointSummary[],
  configs: ConfigReader,
  concurrency: number,
): Promise<{ findings: Finding[]; endpoints: DescribedEndpoint[] }> {
  const { sagemaker, accountId, region, log } = options;
  const priceAll = (options.pricing ?? 'billable') === 'billable';
  let done = 0;
  options.onProgress?.({ done, total: listed.length });
  observeThrottling(sagemaker);
  const most = Math.max(1, concurrency);
  const limit = new AimdLimit({ initial: most, min: 1, max: most, decrease: 0.5 });
  const descriptions = await mapAdaptive(listed, limit, (summary) =>
    throttleSignal(async () => {
      const result: DescribedEndpoint | Gone | Failed = await attempt(() => describeEndpoint(sagemaker, summary.EndpointName ?? ''));
      if (priceAll && result !== GONE && !failed(result) && result.status === 'InService' && needsConfig(result)) await configs.read(result);
      options.onProgress?.({ done: ++done, total: listed.length });
      return { summary, result };
    }),
  );
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
  return { findings, endpoints };
}

/**
 * Serverless endpoints carry everything in DescribeEndpoint (memory, provisioned concurrency) and
 * host no inference components; every other endpoint needs its config for instance types.
 */
function needsConfig(endpoint: DescribedEndpoint): boolean {
  return endpoint.endpointConfigName !== undefined && !isServerlessOnly(endpoint);
}

function isServerlessOnly(endpoint: DescribedEndpoint): boolean {
  return endpoint.variants.every((v) => v.serverless !== undefined);
}

/**
 * Inference components run on instance-based variants of configs that name no model. Where the config
 * was read and names models, the endpoint hosts none; where it was not read (or could not be), it may.
 */
function mayHostComponents(endpoint: DescribedEndpoint, configs: ConfigReader): boolean {
  if (isServerlessOnly(endpoint)) return false;
  const config = configs.known(endpoint);
  return config === undefined || isComponentConfig(config);
}

/**
 * An `auto-delete-after` that passed is the owner's deadline whether or not the endpoint is still called:
 * invoked endpoints are judged `expired` too, from tags read with the idle endpoints' or one filtered
 * GetResources (src/detection/tags.ts, readScanTags), so the owner and the approvers hear of it. An explicit exemption
 * or a future date keeps the endpoint `active`.
 */
function judgeInvokedExpiry(tagged: ReadonlyMap<string, TagMap> | undefined, settled: Omit<FindingFacts, 'prices'>[], window: DetectionWindow): void {
  if (!tagged || tagged.size === 0) return;
  for (const facts of settled) {
    const tags = facts.verdict === 'active' ? tagged.get(facts.endpoint.endpointArn.toLowerCase()) : undefined;
    // A protected endpoint stays what it is: protection outranks the owner's deadline as it outranks every tag.
    if (!tags || window.settings.protection?.account || protectedByTags(tags, window.settings.protection?.tags)) continue;
    const owner = judgeOwnerTags(tags, window.now, { createdAt: facts.endpoint.creationTime, maxDays: window.settings.autoDeleteMaxDays });
    if (owner.kind !== 'expired') continue;
    facts.tags = tags;
    facts.verdict = 'expired';
    facts.reason = `${owner.reason}; still invoked: ${facts.reason}`;
  }
}

/** Not-billable and too-new endpoints at or under the threshold were idle in the window too. */
function idleInWindow(facts: Omit<FindingFacts, 'prices'>): boolean {
  return facts.verdict === 'not-billable' || facts.verdict === 'too-new';
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
