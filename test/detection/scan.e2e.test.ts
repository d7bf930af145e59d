import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { AWS_LIKE_RATE_LIMITS } from '../../local/sim/traffic.ts';
import { sagemakerStore, type EndpointRecord } from '../../local/sim/services/sagemaker/store.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { silentLog, streamLog, type Log } from '../../src/core/log.ts';
import { resolveDetectionSettings, type Finding } from '../../src/core/schemas.ts';
import { NOT_ESTIMATED } from '../../src/detection/findings.ts';
import { PRICE_TABLE } from '../../src/detection/pricing.ts';
import type { Pricing } from '../../src/detection/scan.ts';
import { scanOneTarget } from '../../src/detection/target-scan.ts';
import { DAY, member, orgWorld, ROLE, Seeder } from './seed.ts';
import { deleteOnFirstDescribe, SCENARIO_EXPECTATIONS, seedScenarioTable } from './scenario-table.ts';
import { simFactory, useSimulatorEnv } from './sim-env.ts';

/**
 * The scenario table (scenario-table.ts): one endpoint per verdict, kind and known trap, scanned end
 * to end through the SDK against the simulator, plus the edge regions (paging, batching, pricing).
 */
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const ACCT = '210987654321';
const NO_ROLE = '310987654321';
const clock = fixedClock(NOW);
const settings = resolveDetectionSettings({});

let sim: Simulator;
let restoreEnv: () => void;

function seedTable(seed: Seeder): void {
  seedScenarioTable(seed, ACCT);

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
    seed.endpoint(ACCT, 'us-west-2', {
      name,
      variants: [
        { name: 'v1', instanceType: 'ml.m5.large' },
        { name: 'v2', instanceType: 'ml.m5.large' },
      ],
    });
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

async function scan(accountId: string, region: string, options: { classifyMultiModel?: boolean; log?: Log; maxAttempts?: number; pricing?: Pricing } = {}) {
  const { factory, counter } = simFactory(undefined, options.maxAttempts);
  const result = await scanOneTarget({
    factory,
    target: { accountId, region, roleName: ROLE },
    settings,
    clock,
    log: options.log ?? silentLog,
    classifyMultiModel: options.classifyMultiModel ?? true,
    ...(options.pricing ? { pricing: options.pricing } : {}),
  });
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
    const restore = deleteOnFirstDescribe(sim, ACCT);
    try {
      table = await scan(ACCT, 'us-east-1');
    } finally {
      restore();
    }
  });

  it.each(SCENARIO_EXPECTATIONS)('%s is %s (type %s)', (name, verdict, type) => {
    expect(finding(name)).toMatchObject({ verdict, endpointType: type, accountId: ACCT, region: 'us-east-1' });
    expect(finding(name).reason.length).toBeGreaterThan(10);
  });

  it('reports every InService endpoint of the table, and no other', () => {
    expect(table.byName.has('updating-now')).toBe(false);
    expect([...table.byName.keys()].sort()).toEqual(SCENARIO_EXPECTATIONS.map(([name]) => name).sort());
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

  it('says which costs rest on the unverified price table', () => {
    const caveat = `cost estimated from the unverified ${PRICE_TABLE.compiledOn} price table`;
    for (const name of ['rt-zombie', 'serverless-provisioned', 'shares-config-active', 'rt-blue-active'])
      expect(finding(name).reason).toMatch(new RegExp(`; ${caveat}$`));
    // Not priced from the table: free while idle, or unknown.
    for (const name of ['serverless-plain', 'config-deleted']) expect(finding(name).reason).not.toContain(caveat);
  });

  it('reports cost it cannot know as unknown, with the reason', () => {
    expect(finding('config-deleted')).toMatchObject({ monthlyCostUsd: null, reason: expect.stringContaining('config-deleted-config no longer exists') });
  });

  it('reports last invocation from the 455-day history, and idle since the day after', () => {
    const day40 = new Date(Math.floor((NOW.getTime() - 40 * DAY) / DAY) * DAY);
    expect(finding('invoked-40-days-ago')).toMatchObject({
      invocations: 0,
      lastInvokedAt: day40.toISOString(),
      idleSince: new Date(day40.getTime() + DAY).toISOString().slice(0, 10),
    });
    expect(finding('rt-zombie')).toMatchObject({ lastInvokedAt: null, idleSince: 'never' });
    expect(finding('rt-blue-active').lastInvokedAt).not.toBeNull();
  });

  it('reads the history of every endpoint idle in the window, so null always means never', () => {
    const dayStart = (daysAgo: number) => new Date(Math.floor((NOW.getTime() - daysAgo * DAY) / DAY) * DAY).toISOString();
    expect(finding('async-scaled-to-zero-used-before')).toMatchObject({ verdict: 'not-billable', invocations: 0, lastInvokedAt: dayStart(50) });
    expect(finding('updated-10-days-ago-used-before')).toMatchObject({ verdict: 'too-new', invocations: 0, lastInvokedAt: dayStart(60) });
    for (const name of ['async-scaled-to-zero', 'serverless-plain', 'updated-10-days-ago', 'created-3-days-ago', 'exempt-flag']) {
      expect(finding(name)).toMatchObject({ invocations: 0, lastInvokedAt: null });
    }
    // A deleted predecessor's traffic under the same name is not this endpoint's.
    expect(finding('recreated-20-days-ago')).toMatchObject({ verdict: 'too-new', lastInvokedAt: null });
    expect(finding('recreated-40-days-ago')).toMatchObject({ verdict: 'zombie', lastInvokedAt: null, idleSince: 'never' });
    // Null is only ever unknown for an endpoint whose metrics could not be read: its verdict is error.
    const unknown = table.result.findings.filter((f) => f.lastInvokedAt === null && f.verdict !== 'error');
    expect(unknown.filter((f) => f.invocations !== 0)).toEqual([]);
  });

  it('calls no endpoint idle, and none "never" invoked, when the one metrics read of the target fails', async () => {
    // Window and history come from the same GetMetricData calls: a failed read leaves neither.
    const denied = sim.traffic.inject({
      service: 'monitoring',
      operation: 'GetMetricData',
      accountId: ACCT,
      region: 'us-east-1',
      error: { code: 'AccessDenied', message: 'User is not authorized to perform: cloudwatch:GetMetricData', status: 403 },
    });
    try {
      const { result } = await scan(ACCT, 'us-east-1');
      const described = result.findings.filter((f) => f.endpointName !== 'deleted-mid-scan');
      expect(described.length).toBeGreaterThan(10);
      for (const f of described) {
        expect(f).toMatchObject({
          verdict: 'error',
          invocations: null,
          lastInvokedAt: null,
          reason: expect.stringContaining('invocation metrics unavailable: AccessDenied'),
        });
      }
    } finally {
      sim.traffic.remove(denied);
    }
  });

  it('explains exemptions, including a malformed date', () => {
    expect(finding('exempt-flag').reason).toContain('zombie-exempt=true');
    expect(finding('exempt-malformed').reason).toContain('treated as exempt to be safe');
    expect(finding('deleted-mid-scan').reason).toBe('endpoint was deleted while the scan described it');
  });

  it('describes and prices every billable endpoint: exact invocations, instance counts, kinds and cost for active and exempt ones too', () => {
    const prices = PRICE_TABLE.regions['us-east-1']!;
    expect(finding('rt-blue-active')).toMatchObject({ invocations: 120, instanceCount: 1, instanceType: 'ml.m5.large', endpointType: 'real-time' });
    expect(finding('rt-blue-active').monthlyCostUsd).toBeCloseTo(prices.instancesUsdPerHour['ml.m5.large']! * 730, 1);
    expect(finding('ic-active')).toMatchObject({ invocations: 40, instanceCount: 1, endpointType: 'inference-components' });
    const billable = table.result.findings.filter((f) => f.verdict !== 'error' && f.verdict !== 'not-billable' && f.region === 'us-east-1');
    const unpriced = billable.filter((f) => f.monthlyCostUsd === null).map((f) => f.endpointName);
    // The one billable endpoint without a cost lost its config: unknown, and the reason says so.
    expect(unpriced).toEqual(['config-deleted']);
    for (const f of table.result.findings) expect(f.reason).not.toContain(NOT_ESTIMATED);
    expect(finding('shares-config-active')).toMatchObject({ verdict: 'active', instanceType: 'ml.t2.medium', instanceCount: 1, invocations: 4 });
    expect(finding('shares-config-active').monthlyCostUsd).toBeCloseTo(prices.instancesUsdPerHour['ml.t2.medium']! * 730, 1);
    expect(finding('created-3-days-ago').lastInvokedAt).toBeNull();
  });

  it('spends one DescribeEndpoint per endpoint, one config read per distinct instance-based config, one metrics read; tags batched for idle ones', () => {
    const ops = table.stats.byOperation;
    // Every listed endpoint is described once (the Updating one is never listed; the deleted one was listed).
    expect(ops['SageMaker:DescribeEndpoint']).toBe(table.result.findings.length);
    expect(ops['SageMaker:ListEndpoints']).toBe(1);
    expect(ops['SageMaker:ListInferenceComponents']).toBe(1);
    expect(ops['CloudWatch:ListMetrics']).toBeUndefined();
    expect(ops['CloudWatch:GetMetricData']).toBe(1); // window and 455-day history of every endpoint together
    expect(ops['ResourceGroupsTaggingAPI:GetResources']).toBe(1);
    expect(ops['SageMaker:ListTags']).toBeUndefined();
    // Serverless endpoints carry their billing in DescribeEndpoint; shares-config-1/2 and shares-config-active share one config.
    const described = table.result.findings.filter((f) => f.verdict !== 'error' || f.endpointConfigName);
    const configs = new Set(described.filter((f) => f.endpointType !== 'serverless' && f.endpointConfigName).map((f) => f.endpointConfigName));
    expect(ops['SageMaker:DescribeEndpointConfig']).toBe(configs.size);
    expect(finding('shares-config-2')).toMatchObject({ verdict: 'zombie', instanceType: 'ml.t2.medium' });
  });

  it('with zombie-only pricing, reads configs only for zombies and says why the others have no cost', async () => {
    const { result, stats, byName } = await scan(ACCT, 'us-east-1', { pricing: 'zombies' });
    expect(byName.get('rt-blue-active')).toMatchObject({
      instanceType: null,
      monthlyCostUsd: null,
      reason: `120 invocations in the last 30 days (threshold 0); ${NOT_ESTIMATED}`,
    });
    expect(byName.get('exempt-flag')).toMatchObject({ monthlyCostUsd: null, reason: expect.stringContaining(NOT_ESTIMATED) });
    // Its config was read for a zombie sharing it: priced at no extra call.
    expect(byName.get('shares-config-active')).toMatchObject({ verdict: 'active', instanceType: 'ml.t2.medium' });
    const zombies = result.findings.filter((f) => f.verdict === 'zombie');
    const configs = new Set(zombies.filter((z) => z.endpointType !== 'serverless').map((z) => z.endpointConfigName));
    expect(stats.byOperation['SageMaker:DescribeEndpointConfig']).toBe(configs.size);
    expect(configs.size).toBe(zombies.length - 2);
  });

  it('falls back to ListTags per idle endpoint, with one warning, when tag:GetResources is denied', async () => {
    const denied = sim.traffic.inject({
      service: 'tagging',
      accountId: ACCT,
      error: { code: 'AccessDeniedException', message: `User is not authorized to perform: tag:GetResources`, status: 400 },
    });
    const deleteOnFirstTagRead = sim.traffic.inject({ service: 'sagemaker', operation: 'ListTags', accountId: ACCT, times: 1, before: deleteEndpointMidScan });
    const lines: string[] = [];
    try {
      const fallback = await scan(ACCT, 'us-east-1', { log: streamLog((line) => lines.push(line), 'warn') });
      const verdicts = (r: typeof fallback) =>
        Object.fromEntries(r.result.findings.filter((f) => f.endpointName !== 'deleted-mid-scan').map((f) => [f.endpointName, f.verdict]));
      expect(verdicts(fallback)).toEqual(verdicts(table));
      // Listed and described, then gone when its tags were read: an error, never a zombie.
      expect(fallback.byName.get('deleted-mid-scan')).toMatchObject({ verdict: 'error', reason: 'endpoint was deleted while the scan read its tags' });
      const idle = fallback.result.findings.filter((f) => ['zombie', 'exempt'].includes(f.verdict) || f.endpointName === 'deleted-mid-scan');
      expect(fallback.stats.byOperation['SageMaker:ListTags']).toBe(idle.length);
      expect(fallback.stats.byOperation['ResourceGroupsTaggingAPI:GetResources']).toBe(1);
      const warnings = lines.map((l) => JSON.parse(l) as { message: string; error?: string });
      expect(warnings.filter((w) => w.message.startsWith('tag:GetResources unavailable'))).toEqual([
        expect.objectContaining({ error: expect.stringContaining('AccessDeniedException') }),
      ]);
    } finally {
      sim.traffic.remove(denied);
      sim.traffic.remove(deleteOnFirstTagRead);
      restoreDeletedEndpoint();
    }
  });

  it('reaches the same verdicts when the account is throttled', async () => {
    const before = sim.traffic.throttledCount;
    sim.traffic.setThrottling({
      enabled: true,
      limits: { sagemaker: { rate: 150, burst: 6 }, monitoring: { rate: 20, burst: 1 }, sts: { rate: 100, burst: 100 } },
    });
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

describe('GetResources throttling', () => {
  it('falls back to ListTags with the same verdicts when throttling of GetResources outlasts the SDK retries', async () => {
    const before = sim.traffic.throttledCount;
    // The simulator's default limit for the Tagging API, with the bucket left empty after one call.
    sim.traffic.setThrottling({ enabled: true, limits: { tagging: { rate: AWS_LIKE_RATE_LIMITS.tagging!.rate / 1_000, burst: 1 } } });
    try {
      await scan(ACCT, 'us-east-1');
      const lines: string[] = [];
      const throttled = await scan(ACCT, 'us-east-1', { maxAttempts: 2, log: streamLog((line) => lines.push(line), 'warn') });
      const verdicts = (r: typeof throttled) =>
        Object.fromEntries(r.result.findings.filter((f) => f.endpointName !== 'deleted-mid-scan').map((f) => [f.endpointName, f.verdict]));
      expect(verdicts(throttled)).toEqual(verdicts(table));
      expect(sim.traffic.throttledCount - before).toBeGreaterThanOrEqual(2);
      const idle = throttled.result.findings.filter((f) => ['zombie', 'exempt'].includes(f.verdict));
      expect(throttled.stats.byOperation['SageMaker:ListTags']).toBe(idle.length);
      expect(lines.map((l) => JSON.parse(l) as { error?: string })).toEqual([
        expect.objectContaining({ error: expect.stringContaining('ThrottledException') }),
      ]);
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
    expect(result.findings.filter((f) => f.verdict === 'zombie').map((f) => f.endpointName)).toEqual(
      Array.from({ length: 13 }, (_, i) => `many-${String(i * 10).padStart(3, '0')}`),
    );
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
    const disabled = sim.traffic.inject({
      accountId: ACCT,
      region: 'ca-central-1',
      error: { code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 400 },
    });
    const denied = sim.traffic.inject({
      accountId: ACCT,
      region: 'eu-west-1',
      operation: 'ListEndpoints',
      error: { code: 'AccessDeniedException', message: 'User is not authorized to perform: sagemaker:ListEndpoints', status: 400 },
    });
    try {
      expect((await scan(ACCT, 'ca-central-1')).result).toMatchObject({
        status: 'unreachable',
        findings: [],
        error: expect.stringContaining('UnrecognizedClientException'),
      });
      expect((await scan(ACCT, 'eu-west-1')).result).toMatchObject({
        status: 'unreachable',
        findings: [],
        error: expect.stringContaining('sagemaker:ListEndpoints'),
      });
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
