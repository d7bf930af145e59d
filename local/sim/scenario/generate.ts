import { parseScenario } from './build.ts';
import type { Scenario, ScenarioInput } from './schema.ts';

/**
 * Large organizations for scale tests and benchmarks: `accounts` member accounts x `regions` x
 * `endpointsPerRegion` endpoints of every kind, exactly round(total x zombieFraction) of them zombies,
 * the rest active, too-new, exempt or not billable. Deterministic for a seed; each endpoint carries
 * `expect.verdict` for a 30-day lookback and a 0-invocation threshold. Artifacts are small real
 * objects so that 2,000 endpoints build in well under a second or two.
 */
export interface GenerateOptions {
  accounts: number;
  regions: string[];
  endpointsPerRegion: number;
  zombieFraction: number;
  seed: number;
}

type EndpointInput = NonNullable<ScenarioInput['endpoints']>[number];
type VariantInput = EndpointInput['variants'][number];
type Kind = 'real-time' | 'multi-variant' | 'pipeline' | 'multi-model' | 'async' | 'serverless' | 'inference-components';
type Role = 'zombie' | 'active' | 'too-new' | 'exempt' | 'not-billable' | 'expired';

/** mulberry32: small, fast, good enough for test data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INSTANCE_TYPES = [
  'ml.m5.large',
  'ml.m5.large',
  'ml.m5.xlarge',
  'ml.c5.xlarge',
  'ml.c5.2xlarge',
  'ml.g4dn.xlarge',
  'ml.g4dn.xlarge',
  'ml.g5.xlarge',
  'ml.g5.2xlarge',
  'ml.inf2.xlarge',
  'ml.r5.large',
  'ml.t2.medium',
  'ml.p3.2xlarge',
];
const DOMAINS = [
  'fraud',
  'churn',
  'search',
  'recs',
  'ocr',
  'nlp',
  'vision',
  'forecast',
  'pricing',
  'ranker',
  'embed',
  'chat',
  'anomaly',
  'risk',
  'ads',
  'claims',
  'translate',
  'summarize',
];
const SUFFIXES = ['detector', 'model', 'scorer', 'service', 'v2', 'v3', 'staging', 'poc', 'demo', 'canary'];
const KINDS: [Kind, number][] = [
  ['real-time', 0.45],
  ['multi-variant', 0.1],
  ['pipeline', 0.05],
  ['multi-model', 0.08],
  ['async', 0.08],
  ['serverless', 0.12],
  ['inference-components', 0.12],
];
const ARTIFACT_POOL = 6;
const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310';

export function generateOrg(options: GenerateOptions): Scenario {
  const { accounts, regions, endpointsPerRegion, zombieFraction, seed } = options;
  if (!Number.isInteger(accounts) || accounts < 1 || accounts > 9999) throw new Error('generateOrg: accounts must be an integer from 1 to 9999');
  if (!Number.isInteger(endpointsPerRegion) || endpointsPerRegion < 0) throw new Error('generateOrg: endpointsPerRegion must be a non-negative integer');
  if (!(zombieFraction >= 0 && zombieFraction <= 1)) throw new Error('generateOrg: zombieFraction must be between 0 and 1');
  if (regions.length === 0) throw new Error('generateOrg: at least one region is needed');
  const rng = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const between = (low: number, high: number) => low + Math.floor(rng() * (high - low + 1));

  const management = '900000000000';
  const accountIds = Array.from({ length: accounts }, (_, i) => `9${String(i + 1).padStart(11, '0')}`);
  const total = accounts * regions.length * endpointsPerRegion;
  // Exactly round(total x fraction) zombies, at seeded positions.
  const order = Array.from({ length: total }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const zombies = new Set(order.slice(0, Math.round(total * zombieFraction)));

  const endpoints: EndpointInput[] = [];
  let index = 0;
  for (const account of accountIds) {
    for (const region of regions) {
      for (let n = 0; n < endpointsPerRegion; n++, index++) {
        const role: Role = zombies.has(index)
          ? 'zombie'
          : pick<Role>(['active', 'active', 'active', 'active', 'active', 'active', 'active', 'too-new', 'exempt', 'not-billable', 'expired']);
        endpoints.push(endpointFor({ account, region, n, role, rng, pick, between }));
      }
    }
  }

  return parseScenario(
    {
      name: `generated-${accounts}x${regions.length}x${endpointsPerRegion}-seed${seed}`,
      description: `Generated organization: ${total} endpoints, ${zombies.size} zombies (seed ${seed}).`,
      organization: { id: 'o-generated00', rootId: 'r-gen0', managementAccountId: management, homeRegion: regions[0] },
      ous: [
        { id: 'ou-gen0-workloads', name: 'Workloads' },
        { id: 'ou-gen0-sandboxes', name: 'Sandboxes' },
      ],
      accounts: [
        { id: management, name: 'management', regions },
        ...accountIds.map((id, i) => ({
          id,
          name: `member-${String(i + 1).padStart(4, '0')}`,
          ou: i % 3 === 2 ? 'ou-gen0-sandboxes' : 'ou-gen0-workloads',
          regions,
        })),
      ],
      endpoints,
      settings: { transitionDelayMs: 300, latencyMs: 0, throttling: false },
    },
    'generated scenario',
  );
}

interface Slot {
  account: string;
  region: string;
  n: number;
  role: Role;
  rng: () => number;
  pick: <T>(items: readonly T[]) => T;
  between: (low: number, high: number) => number;
}

function endpointFor({ account, region, n, role, rng, pick, between }: Slot): EndpointInput {
  const name = `${pick(DOMAINS)}-${pick(SUFFIXES)}-${String(n).padStart(4, '0')}`;
  let kind = weightedKind(rng());
  if (role === 'not-billable') kind = 'serverless';
  const exemption =
    role === 'exempt' ? pick([{ 'zombie-exempt': 'true' }, { 'zombie-exempt-until': '2099-12-31' }, { 'auto-delete-after': '2099-12-31' }]) : undefined;
  // auto-delete-after exempts for at most a year after creation (the default horizon), so an endpoint it
  // keeps must be younger than that; an expired one carries a date long past.
  const createdDaysAgo = role === 'too-new' ? between(0, 10) : exemption && 'auto-delete-after' in exemption ? between(40, 300) : between(40, 420);
  // Endpoints share a small pool of artifacts per account and region (as teams redeploy the same
  // models); thousands of distinct S3 objects would only slow the build down.
  const artifact = (role: string) => ({ uri: `s3://sagemaker-${region}-${account}/models/${role}-${between(0, ARTIFACT_POOL - 1)}/model.tar.gz`, size: 1024 });
  const model = (role = 'model') => ({ image: IMAGE, artifact: artifact(role) });

  // Traffic: active endpoints were called inside the last 30 days; zombies not since (maybe before).
  const recent = () =>
    rng() < 0.5 ? [{ daysAgo: between(0, 29), perDay: between(1, 50) }] : [{ daysAgo: [0, between(0, 29)] as [number, number], perDay: between(1, 5000) }];
  const old = () => {
    if (rng() < 0.5 || createdDaysAgo < 32) return [];
    const last = between(31, Math.min(createdDaysAgo, 400));
    return [{ daysAgo: [last, Math.min(createdDaysAgo, last + between(0, 30))] as [number, number], perDay: between(1, 2000) }];
  };
  const history = role === 'active' ? recent() : role === 'zombie' ? old() : [];
  const instance = (variant: Partial<VariantInput> = {}): VariantInput => ({
    instanceType: pick(INSTANCE_TYPES),
    instanceCount: rng() < 0.85 ? 1 : between(2, 4),
    ...variant,
  });

  const endpoint: EndpointInput = {
    account,
    region,
    name,
    createdDaysAgo,
    tags: { team: pick(DOMAINS), 'cost-center': `cc-${between(100, 999)}` },
    variants: [],
    expect: { verdict: role },
  };
  if (exemption) Object.assign(endpoint.tags!, exemption);
  if (role === 'expired') Object.assign(endpoint.tags!, { 'auto-delete-after': '2026-01-31' });
  switch (kind) {
    case 'real-time':
      endpoint.variants = [instance({ model: model(), invocations: history, ...(rng() < 0.2 ? { autoscaling: { min: 1, max: 4 } } : {}) })];
      break;
    case 'multi-variant': {
      // Traffic often goes to the second variant only: detection must sum every variant.
      const second = rng() < 0.6;
      endpoint.variants = [
        instance({ name: 'blue', model: model('blue'), invocations: second ? [] : history }),
        instance({ name: 'green', model: model('green'), invocations: second ? history : [] }),
      ];
      break;
    }
    case 'pipeline':
      endpoint.variants = [instance({ model: { containers: [model('preprocess'), model('predict')] }, invocations: history })];
      break;
    case 'multi-model':
      endpoint.type = 'multi-model';
      endpoint.variants = [
        instance({
          model: {
            image: IMAGE,
            artifact: { uri: `s3://sagemaker-${region}-${account}/models/multi-model-${between(0, ARTIFACT_POOL - 1)}/`, files: 3, size: 512 },
          },
          invocations: history,
        }),
      ];
      break;
    case 'async':
      endpoint.type = 'async';
      endpoint.variants = [instance({ model: model() })];
      endpoint.async = { invocationsProcessed: history };
      break;
    case 'serverless': {
      endpoint.type = 'serverless';
      // Only not-billable ones lack provisioned concurrency, so no other verdict depends on rule order.
      const provisioned = role === 'not-billable' ? undefined : between(1, 4);
      endpoint.variants = [
        {
          serverless: {
            memoryMb: pick([1024, 2048, 4096, 6144] as const),
            maxConcurrency: 10,
            ...(provisioned ? { provisionedConcurrency: provisioned } : {}),
          },
          model: model(),
          invocations: history,
        },
      ];
      break;
    }
    case 'inference-components': {
      endpoint.type = 'inference-components';
      endpoint.variants = [instance({ name: 'main', instanceType: pick(['ml.g5.2xlarge', 'ml.g5.12xlarge', 'ml.g4dn.xlarge']) })];
      const components = between(1, 3);
      const busy = between(0, components - 1);
      endpoint.inferenceComponents = Array.from({ length: components }, (_, c) => ({
        name: `${name}-ic${c + 1}`.slice(0, 63),
        memoryMb: 2048,
        model: { name: `${name}-ic${c + 1}`.slice(0, 63), ...model('component') },
        invocations: c === busy ? history : [],
      }));
      break;
    }
  }
  return endpoint;
}

function weightedKind(roll: number): Kind {
  let acc = 0;
  for (const [kind, weight] of KINDS) {
    acc += weight;
    if (roll < acc) return kind;
  }
  return 'real-time';
}
