import { beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { buildWorld, demoScenario, generateOrg, type Scenario } from '../../local/sim/scenario/index.ts';
import { runScan } from '../../cli/commands/scan.ts';
import type { ScanJson } from '../../cli/shared/scan-report.ts';
import { systemClock } from '../../src/core/clock.ts';
import { useSimulatorEnv } from './sim-env.ts';

/**
 * Whole organizations through `zombie-sweep scan --org --regions all`: the built-in demo (every
 * endpoint's expected verdict) and the generated 2,000-endpoint organization (the call budget).
 */
async function scanOrganization(scenario: Scenario) {
  const sim: Simulator = await startSimulator({ world: buildWorld(scenario) });
  const restoreEnv = useSimulatorEnv(sim);
  try {
    let stdout = '';
    await runScan(
      { org: true, regions: 'all', output: 'json', concurrency: '8' },
      { stdout: (text) => (stdout += text), stderr: { write: () => true }, env: process.env, clock: systemClock },
    );
    return JSON.parse(stdout) as ScanJson;
  } finally {
    restoreEnv();
    await sim.stop();
  }
}

function expectedVerdicts(scenario: Scenario): Map<string, string> {
  return new Map(
    scenario.endpoints
      .filter((e) => e.expect && (e.status ?? 'InService') === 'InService')
      .map((e) => [`${e.account}/${e.region}/${e.name}`, e.expect!.verdict]),
  );
}

function verdictsOf(out: ScanJson): Map<string, string> {
  return new Map(out.findings.map((f) => [`${f.accountId}/${f.region}/${f.endpointName}`, f.verdict]));
}

describe('the demo organization', () => {
  let out: ScanJson;
  beforeAll(async () => {
    out = await scanOrganization(demoScenario);
  });

  it('reaches every expected verdict and scans every account-region', () => {
    expect(verdictsOf(out)).toEqual(expectedVerdicts(demoScenario));
    expect(out.targets.every((t) => t.status === 'ok')).toBe(true);
    expect(out.targets).toHaveLength(8);
  });

  it('prices the zombies at a few thousand dollars a month, each with a known cost', () => {
    const zombies = out.findings.filter((f) => f.verdict === 'zombie');
    expect(zombies.every((z) => z.monthlyCostUsd !== null && z.monthlyCostUsd > 0)).toBe(true);
    const total = zombies.reduce((sum, z) => sum + z.monthlyCostUsd!, 0);
    expect(total).toBeGreaterThan(1_500);
    expect(total).toBeLessThan(6_000);
    expect(out.findings.find((f) => f.endpointName === 'recsys-ab-test-2024')?.lastInvokedAt).not.toBeNull();
    expect(out.findings.find((f) => f.endpointName === 'xgboost-tutorial-endpoint')?.lastInvokedAt).toBe('never');
  });
});

describe('the generated organization: 2,000 endpoints, a quarter zombies', () => {
  const scenario = generateOrg({ accounts: 10, regions: ['us-east-1', 'eu-west-1'], endpointsPerRegion: 100, zombieFraction: 0.25, seed: 7 });
  let out: ScanJson;
  beforeAll(async () => {
    out = await scanOrganization(scenario);
  }, 180_000);

  it('gets every verdict right', () => {
    expect(out.stats.endpoints).toBe(2_000);
    const expected = expectedVerdicts(scenario);
    const wrong = [...verdictsOf(out)].filter(([key, verdict]) => expected.get(key) !== verdict);
    expect(wrong).toEqual([]);
    expect(out.findings.filter((f) => f.verdict === 'zombie')).toHaveLength(500);
  });

  it('prices every billable endpoint with one config read each, and spends at most 1.3 other calls per endpoint, one DescribeEndpoint each', () => {
    const { total, byOperation } = out.stats.apiCalls;
    const perEndpoint = (n: number) => (n / out.stats.endpoints).toFixed(3);
    // The breakdown docs/detection.md quotes ("API economy, measured").
    console.log(
      [
        `${total} AWS calls for ${out.stats.endpoints} endpoints = ${perEndpoint(total)} per endpoint`,
        ...Object.entries(byOperation)
          .sort((a, b) => b[1] - a[1])
          .map(([op, n]) => `  ${op.padEnd(40)} ${String(n).padStart(5)}  ${perEndpoint(n)}`),
      ].join('\n'),
    );
    const configReads = byOperation['SageMaker:DescribeEndpointConfig'] ?? 0;
    expect((total - configReads) / out.stats.endpoints).toBeLessThanOrEqual(1.3);
    // Every endpoint of the generated organization is InService and listed: each is described exactly once.
    expect(byOperation['SageMaker:DescribeEndpoint']).toBe(out.stats.endpoints);
    // Each generated endpoint has a config of its own; serverless ones need none (DescribeEndpoint carries their billing).
    const instanceBased = out.findings.filter((f) => f.endpointType !== 'serverless').length;
    expect(configReads).toBeLessThanOrEqual(instanceBased);
    const billable = out.findings.filter((f) => f.verdict !== 'not-billable');
    expect(billable.filter((f) => f.monthlyCostUsd === null)).toEqual([]);
    expect(byOperation['SageMaker:ListTags']).toBeUndefined();
    expect(byOperation['CloudWatch:ListMetrics']).toBeUndefined();
    // Up to 100 ARNs per GetResources: one call per target here (each has at most 100 idle endpoints).
    expect(byOperation['ResourceGroupsTaggingAPI:GetResources']).toBeLessThanOrEqual(out.targets.length);
    // Window and 455-day history in one read: about 207 daily series per call, 100 endpoints per target here.
    expect(byOperation['CloudWatch:GetMetricData']).toBeLessThanOrEqual(out.targets.length);
    expect(byOperation['SageMaker:ListEndpoints']).toBeLessThanOrEqual(2 * out.targets.length);
    expect(byOperation['SageMaker:ListInferenceComponents']).toBeLessThanOrEqual(out.targets.length);
  });
});
