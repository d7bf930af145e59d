import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { sagemakerStore, type EndpointRecord } from '../../local/sim/services/sagemaker/store.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { silentLog, streamLog, type Log } from '../../src/core/log.ts';
import { resolveDetectionSettings, type Finding } from '../../src/core/schemas.ts';
import { NOT_ESTIMATED } from '../../src/detection/findings.ts';
import { PRICE_TABLE } from '../../src/detection/pricing.ts';
import { scanOneTarget } from '../../src/detection/target-scan.ts';
import { DAY, member, orgWorld, ROLE, Seeder } from './seed.ts';
import { simFactory, useSimulatorEnv } from './sim-env.ts';

/**
 * The scenario table: one endpoint per verdict, kind and known trap, scanned end to end through the
 * SDK against the simulator. Each row says what a naive script would get wrong.
 */
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const ACCT = '210987654321';
const NO_ROLE = '310987654321';
const clock = fixedClock(NOW);
const settings = resolveDetectionSettings({});
const daysFromNow = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString().slice(0, 10);

let sim: Simulator;
let restoreEnv: () => void;

function seedTable(seed: Seeder): void {
  const e = (s: Parameters<Seeder['endpoint']>[2]) => seed.endpoint(ACCT, 'us-east-1', s);
  const traffic = (endpoint: string, variant: string, days: Record<number, number>, metric?: string) => seed.variantInvocations(ACCT, 'us-east-1', endpoint, variant, days, metric);

  e({ name: 'rt-zombie', variants: [{ name: 'AllTraffic', instanceType: 'ml.g4dn.xlarge', count: 2 }] });
  e({ name: 'rt-blue-active', variants: [{ name: 'blue', instanceType: 'ml.m5.large' }] });
  traffic('rt-blue-active', 'blue', { 5: 120 });
  e({ name: 'rt-second-variant', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large' }, { name: 'canary', instanceType: 'ml.m5.large' }] });
  traffic('rt-second-variant', 'AllTraffic', { 45: 9 });
  traffic('rt-second-variant', 'canary', { 10: 3 });
  e({ name: 'rt-two-variants-idle', variants: [{ name: 'a', instanceType: 'ml.m5.large', count: 1 }, { name: 'b', instanceType: 'ml.c5.xlarge', count: 3 }] });
  e({ name: 'ic-active', variants: [{ name: 'AllTraffic', instanceType: 'ml.g5.2xlarge', count: 1 }], components: [{ name: 'ic-a1' }, { name: 'ic-a2' }] });
  seed.invocations(ACCT, 'us-east-1', { InferenceComponentName: 'ic-a2' }, { 2: 40 });
  e({ name: 'ic-idle', variants: [{ name: 'AllTraffic', instanceType: 'ml.g5.2xlarge', count: 1 }], components: [{ name: 'ic-b1' }] });
  e({ name: 'async-processed', async: true });
  traffic('async-processed', 'AllTraffic', { 3: 7 }, 'InvocationsProcessed');
  e({ name: 'async-processed-doc-spelling', async: true });
  traffic('async-processed-doc-spelling', 'AllTraffic', { 3: 7 }, 'InvocationsProcesssed');
  e({ name: 'async-processed-per-endpoint', async: true });
  seed.invocations(ACCT, 'us-east-1', { EndpointName: 'async-processed-per-endpoint' }, { 8: 2 }, 'InvocationsProcessed');
  e({ name: 'async-idle', async: true, variants: [{ name: 'AllTraffic', instanceType: 'ml.c5.xlarge', count: 1 }] });
  e({ name: 'async-scaled-to-zero', async: true, currentCounts: { AllTraffic: 0 } });
  e({ name: 'serverless-plain', variants: [{ name: 'AllTraffic', serverless: { memorySizeInMB: 2048, maxConcurrency: 5 } }] });
  e({ name: 'serverless-provisioned', variants: [{ name: 'AllTraffic', serverless: { memorySizeInMB: 2048, maxConcurrency: 5, provisionedConcurrency: 2 } }] });
  e({ name: 'created-3-days-ago', createdDaysAgo: 3 });
  e({ name: 'updated-10-days-ago', createdDaysAgo: 300, updatedDaysAgo: 10 });
  e({ name: 'invoked-20-days-ago', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large' }] });
  traffic('invoked-20-days-ago', 'AllTraffic', { 20: 1 });
  e({ name: 'invoked-40-days-ago', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large' }] });
  traffic('invoked-40-days-ago', 'AllTraffic', { 40: 12, 100: 5 });
  e({ name: 'exempt-flag', tags: { 'zombie-exempt': 'true' } });
  e({ name: 'exempt-until-future', tags: { 'zombie-exempt-until': daysFromNow(30) } });
  e({ name: 'exempt-until-past', tags: { 'zombie-exempt-until': daysFromNow(-30) } });
  e({ name: 'auto-delete-future', tags: { 'auto-delete-after': daysFromNow(10) } });
  e({ name: 'exempt-malformed', tags: { 'zombie-exempt-until': 'after the demo' } });
  e({ name: 'multi-model-idle', multiModel: true, variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.xlarge', count: 2 }] });
  e({ name: 'config-deleted' });
  sagemakerStore(seed.world, ACCT, 'us-east-1').deleteEndpointConfig('config-deleted-config');
  e({ name: 'shares-config-1', variants: [{ name: 'AllTraffic', instanceType: 'ml.t2.medium' }] });
  e({ name: 'shares-config-2', configName: 'shares-config-1-config' });
  // Busy on a config a zombie also uses: priced from the config read for the zombie, at no extra call.
  e({ name: 'shares-config-active', configName: 'shares-config-1-config' });
  traffic('shares-config-active', 'AllTraffic', { 1: 4 });
  const updating = e({ name: 'updating-now' });
  sagemakerStore(seed.world, ACCT, 'us-east-1').requireEndpoint('updating-now').status = 'Updating';
  void updating;
  e({ name: 'deleted-mid-scan' });

  // ca-central-1 is not in the bundled price table: cost unknown, never guessed.
  seed.endpoint(ACCT, 'ca-central-1', { name: 'unpriced-region', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large' }] });

  // More than 100 endpoints in one region: ListEndpoints pages. Busy ones keep the test quick (one call each).
  for (let i = 0; i < 130; i++) {
    const name = `many-${String(i).padStart(3, '0')}`;
    seed.endpoint(ACCT, 'eu-west-1', { name });
    if (i % 10 !== 0) seed.variantInvocations(ACCT, 'eu-west-1', name, 'AllTraffic', { 1: 1 });
  }

  // More than 500 variants in one region: GetMetricData batches; traffic sits in the last batch.
  for (let i = 0; i < 260; i++) {
    const name = `wide-${String(i).padStart(3, '0')}`;
    seed.endpoint(ACCT, 'us-west-2', { name, variants: [{ name: 'v1', instanceType: 'ml.m5.large' }, { name: 'v2', instanceType: 'ml.m5.large' }] });
    // Traffic on the second variant only, for all but every 20th endpoint (series 520 is in the second batch).
    if (i % 20 !== 0 || i === 0) seed.variantInvocations(ACCT, 'us-west-2', name, 'v2', { 1: 2 });
  }
}

beforeAll(async () => {
  const world = orgWorld(NOW, [member(ACCT, ['us-east-1', 'eu-west-1', 'us-west-2', 'ca-central-1']), member(NO_ROLE, ['us-east-1'], { roles: new Map() })]);
  seedTable(new Seeder(world, NOW));
  sim = await startSimulator({ world });
  restoreEnv = useSimulatorEnv(sim);
});
afterAll(async () => {
  restoreEnv();
  await sim.stop();
});

async function scan(accountId: string, region: string, options: { classifyMultiModel?: boolean; log?: Log } = {}) {
  const { factory, counter } = simFactory();
  const result = await scanOneTarget({ factory, target: { accountId, region, roleName: ROLE }, settings, clock, log: options.log ?? silentLog, classifyMultiModel: options.classifyMultiModel ?? true });
  return { result, stats: counter.stats(), byName: new Map(result.findings.map((f) => [f.endpointName, f])) };
}

/** Deletes 'deleted-mid-scan' behind the scan's back (as its owner would); restoreDeletedEndpoint puts it back. */
let deletedRecord: EndpointRecord | undefined;
function deleteEndpointMidScan(): void {
  const endpoints = sagemakerStore(sim.world, ACCT, 'us-east-1').state.endpoints;
  deletedRecord = endpoints.get('deleted-mid-scan') ?? deletedRecord;
  endpoints.delete('deleted-mid-scan');
}
function restoreDeletedEndpoint(): void {
  if (deletedRecord) sagemakerStore(sim.world, ACCT, 'us-east-1').state.endpoints.set('deleted-mid-scan', deletedRecord);
}

let table: Awaited<ReturnType<typeof scan>>;
const finding = (name: string): Finding => {
  const f = table.byName.get(name);
  if (!f) throw new Error(`no finding for ${name}`);
  return f;
};

describe('the scenario table (us-east-1)', () => {
  beforeAll(async () => {
    // Listed, then deleted before its DescribeEndpoint (the first describe of the scan deletes it).
    const deleteOnFirstDescribe = sim.traffic.inject({
      service: 'sagemaker',
      operation: 'DescribeEndpoint',
      accountId: ACCT,
      region: 'us-east-1',
      times: 1,
      before: deleteEndpointMidScan,
    });
    try {
      table = await scan(ACCT, 'us-east-1');
    } finally {
      sim.traffic.remove(deleteOnFirstDescribe);
      restoreDeletedEndpoint();
    }
  });

  it.each([
    ['rt-zombie', 'zombie', 'real-time'],
    ['rt-blue-active', 'active', 'real-time'],
    ['rt-second-variant', 'active', 'real-time'],
    ['rt-two-variants-idle', 'zombie', 'real-time'],
    ['ic-active', 'active', 'inference-components'],
    ['ic-idle', 'zombie', 'inference-components'],
    ['async-processed', 'active', 'async'],
    ['async-processed-doc-spelling', 'active', 'async'],
    ['async-processed-per-endpoint', 'active', 'async'],
    ['async-idle', 'zombie', 'async'],
    ['async-scaled-to-zero', 'not-billable', 'async'],
    ['serverless-plain', 'not-billable', 'serverless'],
    ['serverless-provisioned', 'zombie', 'serverless'],
    ['created-3-days-ago', 'too-new', 'real-time'],
    ['updated-10-days-ago', 'too-new', 'real-time'],
    ['invoked-20-days-ago', 'active', 'real-time'],
    ['invoked-40-days-ago', 'zombie', 'real-time'],
    ['exempt-flag', 'exempt', 'real-time'],
    ['exempt-until-future', 'exempt', 'real-time'],
    ['exempt-until-past', 'zombie', 'real-time'],
    ['auto-delete-future', 'exempt', 'real-time'],
    ['exempt-malformed', 'exempt', 'real-time'],
    ['multi-model-idle', 'zombie', 'multi-model'],
    ['config-deleted', 'zombie', 'real-time'],
    ['deleted-mid-scan', 'error', null],
  ] as const)('%s is %s (type %s)', (name, verdict, type) => {
    expect(finding(name)).toMatchObject({ verdict, endpointType: type, accountId: ACCT, region: 'us-east-1' });
    expect(finding(name).reason.length).toBeGreaterThan(10);
  });

  it('does not report endpoints that are not InService', () => {
    expect(table.byName.has('updating-now')).toBe(false);
  });

  it('sums every variant and every component', () => {
    expect(finding('rt-second-variant').invocations).toBe(3);
    expect(finding('ic-active').invocations).toBe(40);
    expect(finding('async-processed').invocations).toBe(7);
    expect(finding('ic-active').inferenceComponents?.sort()).toEqual(['ic-a1', 'ic-a2']);
  });

  it('prices zombies from the endpoint config and current instance counts', () => {
    const prices = PRICE_TABLE.regions['us-east-1']!;
    expect(finding('rt-zombie')).toMatchObject({ instanceType: 'ml.g4dn.xlarge', instanceCount: 2 });
    expect(finding('rt-zombie').monthlyCostUsd).toBeCloseTo(prices.instancesUsdPerHour['ml.g4dn.xlarge']! * 730 * 2, 1);
    expect(finding('rt-two-variants-idle')).toMatchObject({ instanceType: 'ml.m5.large+ml.c5.xlarge', instanceCount: 4 });
    expect(finding('rt-two-variants-idle').monthlyCostUsd).toBeCloseTo((0.115 + 0.204 * 3) * 730, 1);
    expect(finding('serverless-provisioned').monthlyCostUsd).toBeCloseTo(2 * 2 * prices.serverlessProvisionedConcurrencyUsdPerGbSecond * 3600 * 730, 1);
    expect(finding('serverless-plain').monthlyCostUsd).toBe(0);
    expect(finding('multi-model-idle').instanceCount).toBe(2);
  });

  it('reports cost it cannot know as unknown, with the reason', () => {
    expect(finding('config-deleted')).toMatchObject({ monthlyCostUsd: null, reason: expect.stringContaining('config-deleted-config no longer exists') });
  });

  it('reports last invocation from the 455-day history, and idle since the day after', () => {
    const day40 = new Date(Math.floor((NOW.getTime() - 40 * DAY) / DAY) * DAY);
    expect(finding('invoked-40-days-ago')).toMatchObject({ invocations: 0, lastInvokedAt: day40.toISOString(), idleSince: new Date(day40.getTime() + DAY).toISOString().slice(0, 10) });
    expect(finding('rt-zombie')).toMatchObject({ lastInvokedAt: null, idleSince: 'never' });
    expect(finding('rt-blue-active').lastInvokedAt).not.toBeNull();
  });

  it('explains exemptions, including a malformed date', () => {
    expect(finding('exempt-flag').reason).toContain('zombie-exempt=true');
    expect(finding('exempt-malformed').reason).toContain('treated as exempt to be safe');
    expect(finding('deleted-mid-scan').reason).toBe('endpoint was deleted while the scan described it');
  });

  it('describes every endpoint: exact invocations, instance counts and kinds for active ones too', () => {
    expect(finding('rt-blue-active')).toMatchObject({ invocations: 120, instanceCount: 1, instanceType: null, monthlyCostUsd: null, endpointType: 'real-time' });
    expect(finding('ic-active')).toMatchObject({ invocations: 40, instanceCount: 1, endpointType: 'inference-components' });
    // Not a zombie: no config read, so no instance type and no cost, and the reason says why.
    expect(finding('rt-blue-active').reason).toBe(`120 invocations in the last 30 days (threshold 0); ${NOT_ESTIMATED}`);
    expect(finding('exempt-flag')).toMatchObject({ monthlyCostUsd: null, reason: expect.stringContaining(NOT_ESTIMATED) });
    // Its config was read for a zombie sharing it: priced at no extra call.
    const prices = PRICE_TABLE.regions['us-east-1']!;
    expect(finding('shares-config-active')).toMatchObject({ verdict: 'active', instanceType: 'ml.t2.medium', instanceCount: 1, invocations: 4 });
    expect(finding('shares-config-active').monthlyCostUsd).toBeCloseTo(prices.instancesUsdPerHour['ml.t2.medium']! * 730, 1);
    expect(finding('created-3-days-ago').lastInvokedAt).toBeNull();
  });

  it('spends one DescribeEndpoint per endpoint; tags batched for idle ones; configs only for zombies, once per distinct config', () => {
    const ops = table.stats.byOperation;
    // Every listed endpoint is described once (the Updating one is never listed; the deleted one was listed).
    expect(ops['SageMaker:DescribeEndpoint']).toBe(table.result.findings.length);
    expect(ops['SageMaker:ListEndpoints']).toBe(1);
    expect(ops['SageMaker:ListInferenceComponents']).toBe(1);
    expect(ops['CloudWatch:ListMetrics']).toBeUndefined();
    expect(ops['CloudWatch:GetMetricData']).toBe(2); // the window of every endpoint, the history of idle ones
    expect(ops['ResourceGroupsTaggingAPI:GetResources']).toBe(1);
    expect(ops['SageMaker:ListTags']).toBeUndefined();
    // shares-config-1/2 are zombies on one config; serverless zombies and exempt endpoints need none.
    const zombies = table.result.findings.filter((f) => f.verdict === 'zombie');
    const configs = new Set(zombies.filter((z) => z.endpointType !== 'serverless').map((z) => z.endpointConfigName));
    expect(ops['SageMaker:DescribeEndpointConfig']).toBe(configs.size);
    expect(configs.size).toBe(zombies.length - 2);
    expect(finding('shares-config-2')).toMatchObject({ verdict: 'zombie', instanceType: 'ml.t2.medium' });
  });

  it('falls back to ListTags per idle endpoint, with one warning, when tag:GetResources is denied', async () => {
    const denied = sim.traffic.inject({ service: 'tagging', accountId: ACCT, error: { code: 'AccessDeniedException', message: `User is not authorized to perform: tag:GetResources`, status: 400 } });
    const deleteOnFirstTagRead = sim.traffic.inject({ service: 'sagemaker', operation: 'ListTags', accountId: ACCT, times: 1, before: deleteEndpointMidScan });
    const lines: string[] = [];
    try {
      const fallback = await scan(ACCT, 'us-east-1', { log: streamLog((line) => lines.push(line), 'warn') });
      const verdicts = (r: typeof fallback) => Object.fromEntries(r.result.findings.filter((f) => f.endpointName !== 'deleted-mid-scan').map((f) => [f.endpointName, f.verdict]));
      expect(verdicts(fallback)).toEqual(verdicts(table));
      // Listed and described, then gone when its tags were read: an error, never a zombie.
      expect(fallback.byName.get('deleted-mid-scan')).toMatchObject({ verdict: 'error', reason: 'endpoint was deleted while the scan read its tags' });
      const idle = fallback.result.findings.filter((f) => ['zombie', 'exempt'].includes(f.verdict) || f.endpointName === 'deleted-mid-scan');
      expect(fallback.stats.byOperation['SageMaker:ListTags']).toBe(idle.length);
      expect(fallback.stats.byOperation['ResourceGroupsTaggingAPI:GetResources']).toBe(1);
      const warnings = lines.map((l) => JSON.parse(l) as { message: string; error?: string });
      expect(warnings.filter((w) => w.message.startsWith('tag:GetResources unavailable'))).toEqual([expect.objectContaining({ error: expect.stringContaining('AccessDeniedException') })]);
    } finally {
      sim.traffic.remove(denied);
      sim.traffic.remove(deleteOnFirstTagRead);
      restoreDeletedEndpoint();
    }
  });

  it('reaches the same verdicts when the account is throttled', async () => {
    const before = sim.traffic.throttledCount;
    sim.traffic.setThrottling({ enabled: true, limits: { sagemaker: { rate: 150, burst: 6 }, monitoring: { rate: 20, burst: 1 }, sts: { rate: 100, burst: 100 } } });
    try {
      const throttled = await scan(ACCT, 'us-east-1');
      const verdicts = (r: typeof throttled) =>
        Object.fromEntries(r.result.findings.filter((f) => f.endpointName !== 'deleted-mid-scan').map((f) => [f.endpointName, f.verdict]));
      expect(verdicts(throttled)).toEqual(verdicts(table));
      expect(sim.traffic.throttledCount).toBeGreaterThan(before);
      expect(throttled.stats.attempts).toBeGreaterThan(throttled.stats.total);
    } finally {
      sim.traffic.setThrottling({ enabled: false });
    }
  });
});

describe('targets at the edges', () => {
  it('pages through more than 100 endpoints in a region', async () => {
    const { result, stats } = await scan(ACCT, 'eu-west-1');
    expect(result.findings).toHaveLength(130);
    expect(stats.byOperation['SageMaker:ListEndpoints']).toBe(2);
    expect(result.findings.filter((f) => f.verdict === 'zombie').map((f) => f.endpointName)).toEqual(Array.from({ length: 13 }, (_, i) => `many-${String(i * 10).padStart(3, '0')}`));
    expect(result.findings.filter((f) => f.verdict === 'active')).toHaveLength(117);
  });

  it('batches more than 500 variant series into several GetMetricData calls', async () => {
    const { result, stats } = await scan(ACCT, 'us-west-2');
    expect(result.findings).toHaveLength(260);
    const zombies = result.findings.filter((f) => f.verdict === 'zombie').map((f) => f.endpointName);
    expect(zombies).toEqual(Array.from({ length: 12 }, (_, i) => `wide-${String((i + 1) * 20).padStart(3, '0')}`));
    expect(result.findings.find((f) => f.endpointName === 'wide-259')?.invocations).toBe(2);
    // 260 endpoints x 2 variants = 520 series: two window calls; then one for the history of the 12 idle ones.
    expect(stats.byOperation['CloudWatch:GetMetricData']).toBe(3);
    expect(stats.byOperation['SageMaker:DescribeEndpoint']).toBe(260);
  });

  it('reports a region that is not enabled, or a role without SageMaker access, as unreachable', async () => {
    // AWS answers calls into an opt-in region the account has not enabled with UnrecognizedClientException.
    const disabled = sim.traffic.inject({ accountId: ACCT, region: 'ca-central-1', error: { code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 400 } });
    const denied = sim.traffic.inject({ accountId: ACCT, region: 'eu-west-1', operation: 'ListEndpoints', error: { code: 'AccessDeniedException', message: 'User is not authorized to perform: sagemaker:ListEndpoints', status: 400 } });
    try {
      expect((await scan(ACCT, 'ca-central-1')).result).toMatchObject({ status: 'unreachable', findings: [], error: expect.stringContaining('UnrecognizedClientException') });
      expect((await scan(ACCT, 'eu-west-1')).result).toMatchObject({ status: 'unreachable', findings: [], error: expect.stringContaining('sagemaker:ListEndpoints') });
    } finally {
      sim.traffic.remove(disabled);
      sim.traffic.remove(denied);
    }
  });

  it('reports a region missing from the price table as unknown cost', async () => {
    const { result } = await scan(ACCT, 'ca-central-1');
    expect(result.findings[0]).toMatchObject({ verdict: 'zombie', monthlyCostUsd: null, reason: expect.stringContaining('no prices for region ca-central-1') });
  });

  it('reports a target whose member role is missing as unreachable, without throwing', async () => {
    const { result } = await scan(NO_ROLE, 'us-east-1');
    expect(result).toMatchObject({ status: 'unreachable', findings: [], error: expect.stringContaining('AccessDenied') });
  });

});
