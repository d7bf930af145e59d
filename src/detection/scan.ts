import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Clock } from '../core/clock.ts';
import { mapLimit } from '../core/concurrency.ts';
import type { Log } from '../core/log.ts';
import type { DetectionSettings, Finding } from '../core/schemas.ts';
import { attempt, failed, type Failed } from './attempt.ts';
import { isUnreachable } from './aws-errors.ts';
import { buildFinding, errorFinding, type FindingFacts } from './findings.ts';
import { configReader, judgeIdle, type IdleCandidate } from './idle.ts';
import { describeEndpoint, GONE, listInferenceComponents, listInServiceEndpoints, type Gone } from './inventory.ts';
import { lastInvokedBefore, needsHistory, withLastInvoked } from './history.ts';
import { fetchDailySums, invocationSeries, usageByEndpoint } from './metrics.ts';
import type { DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import type { PriceTable } from './pricing.ts';
import { classifyEndpointType, detectionWindow, judgeUsage, type DetectionWindow } from './rules.ts';

/**
 * Scans one account-region (docs/detection.md, "How a target is scanned"):
 * 1. ListEndpoints (InService), then one DescribeEndpoint per endpoint: variants, current instance
 *    counts, serverless and async settings, the age;
 * 2. ListInferenceComponents once for the region (when any endpoint could host components);
 * 3. the window sums of every series of every endpoint, 500 queries per GetMetricData call;
 * 4. active, not-billable and too-new are decided from those alone; only endpoints idle in the window
 *    go on to tags (batched), and only zombies to their config and models;
 * 5. every endpoint idle in the window (zombie candidates, not-billable and too-new ones at or under
 *    the threshold) gets its 455-day history in one batch, for lastInvokedAt.
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
  /** SageMaker calls in flight for this account-region. */
  concurrency?: number;
  /** DescribeModel (once per distinct model of a zombie) to tell multi-model zombies from real-time ones; default true. */
  classifyMultiModel?: boolean;
  prices?: PriceTable;
  onProgress?: (progress: { done: number; total: number }) => void;
}

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

  const concurrency = options.concurrency ?? 8;
  let done = 0;
  options.onProgress?.({ done, total: listed.length });
  const descriptions = await mapLimit(listed, concurrency, async (summary) => {
    const result: DescribedEndpoint | Gone | Failed = await attempt(() => describeEndpoint(sagemaker, summary.EndpointName ?? ''));
    options.onProgress?.({ done: ++done, total: listed.length });
    return { summary, result };
  });
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

  // Inference components run on instance-based variants only; a region of serverless endpoints has none.
  const mayHostComponents = endpoints.some((e) => e.variants.some((v) => !v.serverless));
  const components = mayHostComponents ? await attempt(() => listInferenceComponents(sagemaker)) : [];
  const componentsError = failed(components) ? components.failed : undefined;
  const componentsOf = groupComponents(failed(components) ? [] : components);
  const ownComponents = (e: DescribedEndpoint) => componentsOf.get(e.endpointName) ?? [];

  const usage = await windowUsage(cloudwatch, endpoints, componentsOf, window);
  const settled: Omit<FindingFacts, 'prices'>[] = [];
  const idle: IdleCandidate[] = [];
  for (const endpoint of endpoints) {
    const used = usage.get(endpoint.endpointName) ?? { invocations: 0 };
    const judged = judgeUsage(endpoint, used, ownComponents(endpoint), window);
    if (judged.verdict === 'idle') {
      idle.push({ endpoint, usage: used, reason: judged.reason });
      continue;
    }
    settled.push({ accountId, region, endpoint, verdict: judged.verdict, reason: judged.reason, usage: used, components: ownComponents(endpoint), endpointType: null });
  }

  // Every endpoint idle in the window (not only the zombie candidates) gets its last invocation, so
  // that a null lastInvokedAt means "never" wherever the history was read; one batch, alongside tags.
  const historyFor = [...idle.map((i) => i.endpoint), ...settled.filter(idleInWindow).map((f) => f.endpoint)].filter((e) =>
    needsHistory(e, usage.get(e.endpointName)?.lastInvokedDay, window),
  );
  const historyCall = lastInvokedBefore(cloudwatch, historyFor, componentsOf, window, log);
  // Awaited below; if a tag or config read aborts the target first, this keeps its failure handled.
  historyCall.catch(() => undefined);

  const configs = configReader(sagemaker);
  const idleFacts = await judgeIdle(
    {
      sagemaker,
      tagging: options.tagging,
      accountId,
      region,
      window,
      componentsOf,
      componentsError,
      configs,
      concurrency,
      classifyMultiModel: options.classifyMultiModel ?? true,
      prices: options.prices,
      log,
    },
    idle,
  );
  const history = await historyCall;
  // A config already read for a zombie prices the other endpoints sharing it, at no extra call.
  for (const facts of settled) {
    const config = facts.endpoint.endpointConfigName ? configs.known(facts.endpoint.endpointConfigName) : undefined;
    const endpointType = classifyEndpointType(facts.endpoint, config, facts.components.length);
    findings.push(buildFinding(withLastInvoked({ ...facts, endpointType, config, prices: options.prices }, history, window)));
  }
  for (const facts of idleFacts) findings.push(buildFinding(withLastInvoked(facts, history, window)));
  log.info('target scanned', { accountId, region, endpoints: findings.length, idle: idle.length, zombies: findings.filter((f) => f.verdict === 'zombie').length });
  return { ...base, status: 'ok', findings: sortFindings(findings) };
}

/**
 * Invocations in the window for every endpoint: all their series in as few GetMetricData calls as
 * the 500-query limit allows. If CloudWatch cannot answer, every endpoint is unknown (never idle).
 */
async function windowUsage(
  cloudwatch: CloudWatchClient,
  endpoints: readonly DescribedEndpoint[],
  componentsOf: Map<string, InferenceComponentRef[]>,
  window: DetectionWindow,
): Promise<Map<string, WindowUsage>> {
  const series = endpoints.flatMap((e) => invocationSeries(e, componentsOf.get(e.endpointName) ?? []));
  const fetched = await attempt(() => fetchDailySums(cloudwatch, series, window.start, window.now));
  if (failed(fetched)) return new Map(endpoints.map((e) => [e.endpointName, { invocations: 0, error: fetched.failed }]));
  return usageByEndpoint(series, fetched);
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
