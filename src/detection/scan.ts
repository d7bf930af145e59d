import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EndpointSummary, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Clock } from '../core/clock.ts';
import { mapLimit } from '../core/concurrency.ts';
import type { Log } from '../core/log.ts';
import type { DetectionSettings, Finding } from '../core/schemas.ts';
import { attempt, failed, type Failed } from './attempt.ts';
import { isUnreachable } from './aws-errors.ts';
import { evidenceSeries, recentInvocationSeries } from './evidence.ts';
import { buildFinding, errorFinding, evidenceFinding, priceableWithoutConfig } from './findings.ts';
import { judgeIdle, type IdleCandidate } from './idle.ts';
import { describeEndpoint, GONE, listInferenceComponents, listInServiceEndpoints, type Gone } from './inventory.ts';
import { fetchDailySums, invocationSeries, seriesKey, usageByEndpoint, type Series, type SeriesResult } from './metrics.ts';
import type { DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import type { PriceTable } from './pricing.ts';
import { classifyEndpointType, detectionWindow, judgeUsage, type DetectionWindow } from './rules.ts';

/**
 * Scans one account-region (docs/detection.md, "How a target is scanned"):
 * 1. list InService endpoints, every inference component, and the Invocations series CloudWatch
 *    lists as recently active;
 * 2. sum those series over the window: endpoints above the threshold are active, no describe needed;
 * 3. describe every other endpoint and sum all its series (variants, components, async processed);
 * 4. only for idle, billable, old-enough endpoints: tags, then config and history for zombies.
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

  const [components, recent] = await Promise.all([attempt(() => listInferenceComponents(sagemaker)), attempt(() => recentInvocationSeries(cloudwatch))]);
  const componentsError = failed(components) ? components.failed : undefined;
  const componentList = failed(components) ? [] : components;
  const componentsOf = groupComponents(componentList);
  if (failed(recent)) log.warn('ListMetrics failed; every endpoint will be described', { accountId, region, error: recent.failed });

  const sums = windowSums(cloudwatch, window);
  const names = new Set(listed.map((e) => e.EndpointName ?? ''));
  const evidence = failed(recent) ? [] : evidenceSeries(recent, names, componentList);
  const evidenceUsage = await sums.usage(evidence);
  const findings: Finding[] = [];
  const toDescribe: EndpointSummary[] = [];
  for (const summary of listed) {
    const name = summary.EndpointName ?? '';
    const used = evidenceUsage.get(name);
    if (used && !used.error && used.invocations > window.settings.thresholdInvocations) {
      findings.push(evidenceFinding(accountId, region, summary, used, componentsOf.get(name) ?? [], window.settings));
    } else {
      toDescribe.push(summary);
    }
  }

  const concurrency = options.concurrency ?? 8;
  let done = findings.length;
  options.onProgress?.({ done, total: listed.length });
  const descriptions = await mapLimit(toDescribe, concurrency, async (summary) => {
    const result: DescribedEndpoint | Gone | Failed = await attempt(() => describeEndpoint(sagemaker, summary.EndpointName ?? ''));
    options.onProgress?.({ done: ++done, total: listed.length });
    return { summary, result };
  });
  const endpoints: DescribedEndpoint[] = [];
  for (const { summary, result } of descriptions) {
    const name = summary.EndpointName ?? '';
    const arn = summary.EndpointArn ?? '';
    if (result === GONE) findings.push(errorFinding(accountId, region, name, arn, 'endpoint was deleted while the scan described it'));
    else if (failed(result)) findings.push(errorFinding(accountId, region, name, arn, `cannot describe endpoint: ${result.failed}`));
    else if (result.status !== 'InService') log.info('endpoint left InService during the scan; skipped', { endpointName: name, status: result.status });
    else endpoints.push(result);
  }

  const usage = await sums.usage(endpoints.flatMap((e) => invocationSeries(e, componentsOf.get(e.endpointName) ?? [])));
  const idle: IdleCandidate[] = [];
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

  findings.push(
    ...(await judgeIdle(
      { sagemaker, cloudwatch, accountId, region, window, componentsOf, componentsError, concurrency, classifyMultiModel: options.classifyMultiModel ?? true, prices: options.prices, log },
      idle,
    )),
  );
  log.info('target scanned', { accountId, region, endpoints: findings.length, described: toDescribe.length, zombies: findings.filter((f) => f.verdict === 'zombie').length });
  return { ...base, status: 'ok', findings: sortFindings(findings) };
}

/**
 * Window sums with a memory: a series summed for the evidence pass is not read again when its
 * endpoint is described, and endpoints without a single readable series are marked unknown.
 */
function windowSums(cloudwatch: CloudWatchClient, window: DetectionWindow) {
  const known = new Map<string, SeriesResult>();
  return {
    async usage(series: readonly Series[]): Promise<Map<string, WindowUsage>> {
      const wanted = new Set<string>();
      const missing: Series[] = [];
      for (const s of series) {
        const key = seriesKey(s);
        if (known.has(key) || wanted.has(key)) continue;
        wanted.add(key);
        missing.push(s);
      }
      const fetched = await attempt(() => fetchDailySums(cloudwatch, missing, window.start, window.now));
      if (failed(fetched)) {
        return new Map(series.map((s) => [s.endpointName, { invocations: 0, error: fetched.failed }]));
      }
      missing.forEach((s, i) => known.set(seriesKey(s), fetched[i]!));
      return usageByEndpoint(series, series.map((s) => known.get(seriesKey(s))!));
    },
  };
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
