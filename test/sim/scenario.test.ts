import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputValidationError } from '../../src/core/errors.ts';
import {
  buildWorld,
  generateOrg,
  historyPoints,
  loadScenario,
  parseScenario,
  scenarioSimulatorOptions,
  type ScenarioInput,
} from '../../local/sim/scenario/index.ts';
import { scalingStore } from '../../local/sim/services/autoscaling.ts';
import { metricStore } from '../../local/sim/services/cloudwatch/store.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { s3Store } from '../../local/sim/services/s3/store.ts';

const DAY = 86_400_000;
const MGMT = '111111111111';
const TEAM = '222222222222';
const dir = mkdtempSync(join(tmpdir(), 'scenario-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function small(overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'small',
    organization: { id: 'o-test000001', rootId: 'r-test', managementAccountId: MGMT },
    ous: [
      { id: 'ou-test-teamsxxx', name: 'Teams' },
      { id: 'ou-test-mlplatfm', name: 'ML Platform', parent: 'ou-test-teamsxxx' },
    ],
    accounts: [
      { id: TEAM, name: 'ml-team', ou: 'ou-test-mlplatfm', regions: ['us-east-1', 'us-west-2'], memberRole: { externalId: 'sweep-123' } },
      { id: '333333333333', name: 'closed', status: 'SUSPENDED' },
      { id: '444444444444', name: 'no-role', memberRole: false },
    ],
    endpoints: [
      {
        account: TEAM,
        region: 'us-west-2',
        name: 'churn-scorer',
        createdDaysAgo: 120,
        tags: { team: 'churn' },
        variants: [
          {
            instanceType: 'ml.m5.large',
            instanceCount: 2,
            autoscaling: { min: 1, max: 4 },
            model: { artifact: { uri: 's3://team-models/churn/model.tar.gz', size: 10_000_000 } },
            invocations: [{ daysAgo: [0, 9], perDay: 3 }],
          },
        ],
      },
    ],
    ...overrides,
  };
}

describe('scenario format and loader', () => {
  it('builds accounts, nested OUs, roles (renamed, external id, absent), suspended accounts and the management account', () => {
    const world = buildWorld(small({ memberRoleName: 'SweepReader' }));
    expect(world.managementAccountId).toBe(MGMT);
    expect(world.accounts.get(MGMT)?.roles.has('SweepReader')).toBe(true);
    expect(world.accounts.get(TEAM)).toMatchObject({ parentId: 'ou-test-mlplatfm', enabledRegions: ['us-east-1', 'us-west-2'] });
    expect(world.accounts.get(TEAM)?.roles.get('SweepReader')).toEqual({ name: 'SweepReader', externalId: 'sweep-123' });
    expect(world.accounts.get('333333333333')?.status).toBe('SUSPENDED');
    expect(world.accounts.get('444444444444')?.roles.size).toBe(0);
    expect(world.ous.get('ou-test-mlplatfm')?.parentId).toBe('ou-test-teamsxxx');
  });

  it('seeds the endpoint, its artifact, auto scaling target and daily history in the right account and region', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const world = buildWorld(small(), { now });
    const endpoint = sagemakerStore(world, TEAM, 'us-west-2').getEndpoint('churn-scorer')!;
    expect(endpoint.status).toBe('InService');
    expect(endpoint.creationTime.toISOString()).toBe(new Date(now.getTime() - 120 * DAY).toISOString());
    expect(sagemakerStore(world, TEAM, 'us-west-2').tagsOf(endpoint.arn)).toEqual({ team: 'churn' });
    expect(sagemakerStore(world, TEAM, 'us-east-1').listEndpoints()).toEqual([]);
    expect(s3Store(world).head('team-models', 'churn/model.tar.gz')?.size).toBe(10_000_000);
    expect(scalingStore(world, TEAM, 'us-west-2').describe({ serviceNamespace: 'sagemaker' })[0]).toMatchObject({
      ResourceId: 'endpoint/churn-scorer/variant/AllTraffic',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    const dims = [
      { Name: 'EndpointName', Value: 'churn-scorer' },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ];
    expect(metricStore(world, TEAM, 'us-west-2').sum('AWS/SageMaker', 'Invocations', dims, new Date(now.getTime() - 30 * DAY), now)).toBe(30);
    // The same scenario and `now` build identical timestamps.
    expect(sagemakerStore(buildWorld(small(), { now }), TEAM, 'us-west-2').getEndpoint('churn-scorer')!.creationTime).toEqual(endpoint.creationTime);
  });

  it('puts "N days ago" mid-day, so day 29 is inside a 30-day window and day 30 outside', () => {
    const now = Date.UTC(2026, 0, 31, 8, 0);
    const [inside, outside] = historyPoints([{ daysAgo: [29, 30], perDay: 1 }], now);
    expect(inside!.date.getTime()).toBeGreaterThan(now - 30 * DAY);
    expect(outside!.date.getTime()).toBeLessThan(now - 30 * DAY);
    expect(historyPoints([{ daysAgo: 0, perDay: 5 }], now)[0]!.date.getTime()).toBeLessThan(now);
    expect(historyPoints([{ daysAgo: [3, 1], perDay: 0 }], now)).toEqual([]);
  });

  it('loads a JSON file and names the offending field in errors', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(small({ settings: { transitionDelayMs: 10, latencyMs: 5, throttling: true } })));
    const scenario = loadScenario(good);
    expect(scenario.endpoints[0]?.variants[0]?.name).toBe('AllTraffic');
    expect(scenarioSimulatorOptions(scenario)).toEqual({ latencyMs: 5, throttling: { enabled: true } });

    const cases: [ScenarioInput | string, string][] = [
      ['{ not json', 'not valid JSON'],
      [small({ endpoints: [{ account: TEAM, region: 'eu-west-1', name: 'x', variants: [{ instanceType: 'ml.m5.large', model: {} }] }] }), 'endpoints.0.region'],
      [
        small({ endpoints: [{ account: '999999999999', region: 'us-east-1', name: 'x', variants: [{ instanceType: 'ml.m5.large', model: {} }] }] }),
        'endpoints.0.account',
      ],
      [small({ endpoints: [{ account: TEAM, region: 'us-east-1', name: 'x', variants: [{ model: {} }] }] }), 'endpoints.0.variants.0.instanceType'],
      [
        small({
          endpoints: [
            {
              account: TEAM,
              region: 'us-east-1',
              name: 'x',
              type: 'async',
              variants: [{ instanceType: 'ml.m5.large', model: {}, invocations: [{ daysAgo: 1, perDay: 1 }] }],
            },
          ],
        }),
        'endpoints.0.variants.0.invocations',
      ],
      [
        small({
          endpoints: [
            {
              account: TEAM,
              region: 'us-east-1',
              name: 'x',
              type: 'inference-components',
              variants: [{ instanceType: 'ml.g5.2xlarge' }],
              inferenceComponents: [{ name: 'c', variant: 'nope', model: {} }],
            },
          ],
        }),
        'endpoints.0.inferenceComponents.0.variant',
      ],
      [
        small({ endpoints: [{ account: TEAM, region: 'us-east-1', name: 'bad_name', variants: [{ instanceType: 'ml.m5.large', model: {} }] }] }),
        'endpoints.0.name',
      ],
      [small({ ous: [{ id: 'ou-test-loopxxxx', name: 'Loop', parent: 'ou-test-loopxxxx' }] }), 'ous.0.parent'],
      [small({ accounts: [{ id: TEAM, name: 'a', ou: 'ou-none-missingx' }] }), 'accounts.0.ou'],
    ];
    for (const [content, field] of cases) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      let error: unknown;
      try {
        loadScenario(file);
      } catch (e) {
        error = e;
      }
      expect(error, field).toBeInstanceOf(InputValidationError);
      expect((error as Error).message, field).toContain(field);
    }
    expect(() => loadScenario(join(dir, 'missing.json'))).toThrow(/neither a built-in scenario/);
  });

  it('refuses what SageMaker would refuse, naming the endpoint', () => {
    const scenario = parseScenario(
      small({
        endpoints: [
          {
            account: TEAM,
            region: 'us-east-1',
            name: 'pc-too-high',
            type: 'serverless',
            variants: [{ serverless: { memoryMb: 2048, maxConcurrency: 2, provisionedConcurrency: 5 }, model: {} }],
          },
        ],
      }),
    );
    expect(() => buildWorld(scenario)).toThrow(/endpoints\.0 \(pc-too-high in 222222222222\/us-east-1\): .*ProvisionedConcurrency/);
  });
});

describe('generateOrg', () => {
  const options = { accounts: 20, regions: ['us-east-1', 'eu-west-1'], endpointsPerRegion: 50, zombieFraction: 0.25, seed: 42 };

  it('is deterministic for a seed and mixes every kind and verdict', () => {
    const a = generateOrg(options);
    expect(generateOrg(options)).toEqual(a);
    expect(generateOrg({ ...options, seed: 43 })).not.toEqual(a);
    expect(a.endpoints).toHaveLength(2000);
    expect(a.accounts).toHaveLength(21);
    const verdicts: Record<string, number> = {};
    for (const e of a.endpoints) verdicts[e.expect!.verdict] = (verdicts[e.expect!.verdict] ?? 0) + 1;
    expect(verdicts.zombie).toBe(500);
    for (const verdict of ['active', 'too-new', 'exempt', 'not-billable']) expect(verdicts[verdict], verdict).toBeGreaterThan(20);
    expect(new Set(a.endpoints.map((e) => e.type))).toEqual(new Set(['real-time', 'multi-model', 'async', 'serverless', 'inference-components']));
    expect(a.endpoints.some((e) => e.variants.length > 1 && !e.variants[0]!.invocations?.length && e.variants[1]!.invocations?.length)).toBe(true);
  });

  it('builds 2,000 endpoints quickly with their histories', () => {
    const scenario = generateOrg(options);
    const started = Date.now();
    const world = buildWorld(scenario);
    const elapsed = Date.now() - started;
    // Well under a few seconds on a developer machine; the bound only guards against pathologies on a loaded CI box.
    expect(elapsed).toBeLessThan(20_000);
    let endpoints = 0;
    for (const { state } of world.regionalEntries<{ endpoints: Map<string, unknown> }>('sagemaker')) endpoints += state.endpoints.size;
    expect(endpoints).toBe(2000);
    const zombie = scenario.endpoints.find((e) => e.expect?.verdict === 'zombie' && e.type === 'real-time')!;
    const dims = [
      { Name: 'EndpointName', Value: zombie.name },
      { Name: 'VariantName', Value: zombie.variants[0]!.name },
    ];
    expect(metricStore(world, zombie.account, zombie.region).sum('AWS/SageMaker', 'Invocations', dims, new Date(Date.now() - 30 * DAY), new Date())).toBe(0);
  });
});
