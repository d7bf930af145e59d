/**
 * One whole cleanup sweep of a generated organization through the real statemachine/sweep.asl.json
 * and the local runner (AWS's quotas enforced, local/runner/quotas.ts), auto-approved, with what it
 * used and what it would cost on AWS. Shared by `npm run bench:sweep` (bench/sweep.ts) and the
 * organization-scale workflow test.
 */
import '../src/core/polyfills.ts';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { attachToSimulator, startSweepLocally, type LocalSweepOptions } from '../local/runner/index.ts';
import type { HistoryEvent } from '../local/runner/history.ts';
import type { ExecutionUsage } from '../local/runner/quotas.ts';
import { InProcessSimHandler } from '../local/sim/in-process.ts';
import { startSimulator } from '../local/sim/server.ts';
import { sagemakerSettings, sagemakerStore } from '../local/sim/services/sagemaker/store.ts';
import type { World } from '../local/sim/world.ts';
import { buildWorld, generateOrg } from '../local/sim/scenario/index.ts';
import type { WorkflowFunction } from '../src/core/functions.ts';
import type { SweepInput } from '../src/core/schemas.ts';

/**
 * Public on-demand prices, us-east-1, x86 Lambda, as listed on 2026-12-04 at
 * https://aws.amazon.com/step-functions/pricing/ and https://aws.amazon.com/lambda/pricing/
 * (free tiers ignored: a sweep's cost is what it adds to a bill that has used them up).
 */
export const PRICES = {
  checkedOn: '2026-12-04',
  region: 'us-east-1',
  standardTransitionUsd: 0.025 / 1000,
  expressRequestUsd: 1.0 / 1_000_000,
  expressGbSecondUsd: 0.00001667,
  lambdaRequestUsd: 0.2 / 1_000_000,
  lambdaGbSecondUsd: 0.0000166667,
} as const;

export interface CostBreakdown {
  stepFunctionsUsd: number;
  lambdaUsd: number;
  totalUsd: number;
}

export function sweepCost(usage: ExecutionUsage): CostBreakdown {
  const stepFunctionsUsd =
    usage.transitions * PRICES.standardTransitionUsd + usage.expressRequests * PRICES.expressRequestUsd + usage.expressGbSeconds * PRICES.expressGbSecondUsd;
  const lambdaUsd = usage.lambdaRequests * PRICES.lambdaRequestUsd + usage.lambdaGbSeconds * PRICES.lambdaGbSecondUsd;
  return { stepFunctionsUsd, lambdaUsd, totalUsd: stepFunctionsUsd + lambdaUsd };
}

export interface ScaleSweepOptions {
  accounts: number;
  regions: string[];
  endpointsPerRegion: number;
  zombieFraction: number;
  seed?: number;
  latencyMs?: number;
  throttling?: boolean;
  /** Memory per function (the deployed sizes come from infra/hub/functions.ts; default 1024 MB each). */
  lambdaMemoryMb?: Partial<Record<WorkflowFunction, number>>;
  /** Values for the ASL settings placeholders (e.g. ActionMaxConcurrency). */
  settings?: LocalSweepOptions['settings'];
  /** Tests: no backoff sleeps between retries (default: the definition's own backoff). */
  retryIntervalMs?: number;
  /** How long the simulated SageMaker takes to delete an endpoint (default the scenario's 300 ms); the sweep's recheck loop runs until it is gone. */
  transitionDelayMs?: number;
  /** Calls reach the simulator without HTTP (local/sim/in-process.ts; default true): the CPU goes to the sweep, not to loopback framing. */
  inProcess?: boolean;
  /** Called with progress lines (the bench prints them). */
  progress?: (line: string) => void;
}

export interface ScaleSweepResult {
  status: string;
  error?: string;
  cause?: string;
  endpoints: number;
  targets: number;
  candidates: number;
  deleted: number;
  /** Still deleting when the sweep ended, and skipped with a reason (the report lists both). */
  deleting: number;
  skipped: { endpointName: string; reason: string }[];
  /** Endpoints the generator made zombies (what `candidates` should equal). */
  expectedZombies: number;
  seconds: number;
  /** Seconds spent in each top-level state (entered to exited), in order. */
  phases: [string, number][];
  usage: ExecutionUsage;
  cost: CostBreakdown;
  costUsdPer10kEndpoints: number;
  /** After the sweep: zombies the generator made that still exist, and other endpoints that no longer do (both should be 0). */
  zombiesLeft: number;
  othersDeleted: number;
  /** AWS API calls the simulator answered, keyed `service:Operation`. */
  calls: Record<string, number>;
}

const BUCKET = 'zombie-sweep-bench-archive';

export async function runScaleSweep(options: ScaleSweepOptions): Promise<ScaleSweepResult> {
  const progress = options.progress ?? (() => undefined);
  const scenario = generateOrg({
    accounts: options.accounts,
    regions: options.regions,
    endpointsPerRegion: options.endpointsPerRegion,
    zombieFraction: options.zombieFraction,
    seed: options.seed ?? 7,
  });
  const expectedZombies = scenario.endpoints.filter((e) => e.expect?.verdict === 'zombie').length;
  const world = buildWorld(scenario);
  if (options.transitionDelayMs !== undefined) sagemakerSettings(world).transitionDelayMs = options.transitionDelayMs;
  const sim = await startSimulator({ world, latencyMs: options.latencyMs ?? 0, ...(options.throttling ? { throttling: { enabled: true } } : {}) });
  try {
    const config = sim.clientConfig();
    await new S3Client(config).send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));
    const host = attachToSimulator(sim);
    progress(
      `organization: ${scenario.endpoints.length} endpoints, ${expectedZombies} zombies, ${options.accounts} accounts x ${options.regions.length} regions`,
    );
    const started = performance.now();
    const sweep = startSweepLocally({
      input: {
        sweepId: `bench-${Date.now()}`,
        mode: 'cleanup',
        targets: { org: true, regions: options.regions },
        approval: { approvers: [], autoApprove: true },
      } as SweepInput,
      archiveBucket: BUCKET,
      accountId: world.managementAccountId,
      hubRegion: world.homeRegion,
      host,
      credentials: async () => config.credentials,
      s3ForcePathStyle: true,
      endpoint: sim.url,
      ...(options.inProcess === false ? {} : { httpHandler: new InProcessSimHandler(sim) }),
      ...(options.lambdaMemoryMb ? { lambdaMemoryMb: options.lambdaMemoryMb } : {}),
      ...(options.settings ? { settings: options.settings } : {}),
      ...(options.retryIntervalMs !== undefined ? { retryIntervalMs: options.retryIntervalMs } : {}),
    });
    const result = await sweep.done;
    const seconds = (performance.now() - started) / 1000;
    const record = host.engine.describe(sweep.executionArn)!;
    const usage = record.usage;
    const summary = result.report?.summary;
    const endpoints = summary?.endpoints ?? 0;
    const cost = sweepCost(usage);
    return {
      status: result.status,
      ...(result.error ? { error: result.error, cause: result.cause } : {}),
      endpoints,
      targets: summary?.targets ?? 0,
      candidates: summary?.zombies ?? 0,
      deleted: summary?.deleted ?? 0,
      deleting: summary?.deleting ?? 0,
      skipped: (summary?.skipped ?? []).map((s) => ({ endpointName: s.endpointName, reason: s.reason })),
      expectedZombies,
      seconds,
      phases: phasesOf(record.history),
      usage,
      cost,
      costUsdPer10kEndpoints: endpoints > 0 ? (cost.totalUsd * 10_000) / endpoints : 0,
      ...survivors(world, scenario.endpoints),
      calls: sim.ledger.byOperation(),
    };
  } finally {
    await sim.stop();
  }
}

/** Compares what is left in the simulated SageMaker with the generator's verdicts: exact deletions. */
function survivors(
  world: World,
  generated: readonly { account: string; region: string; name: string; expect?: { verdict?: string } }[],
): { zombiesLeft: number; othersDeleted: number } {
  const present = new Set<string>();
  const targets = new Map(generated.map((e) => [`${e.account}/${e.region}`, e]));
  for (const [target, { account, region }] of targets) {
    for (const record of sagemakerStore(world, account, region).listEndpoints()) present.add(`${target}/${record.name}`);
  }
  let zombiesLeft = 0;
  let othersDeleted = 0;
  for (const e of generated) {
    const there = present.has(`${e.account}/${e.region}/${e.name}`);
    if (e.expect?.verdict === 'zombie' && there) zombiesLeft++;
    if (e.expect?.verdict !== 'zombie' && !there) othersDeleted++;
  }
  return { zombiesLeft, othersDeleted };
}

function phasesOf(history: readonly HistoryEvent[]): [string, number][] {
  const entered = new Map<string, number>();
  const phases: [string, number][] = [];
  for (const event of history) {
    const entry = event.stateEnteredEventDetails as { name?: string } | undefined;
    const exit = event.stateExitedEventDetails as { name?: string } | undefined;
    if (entry?.name) entered.set(entry.name, event.timestamp.getTime());
    if (exit?.name && entered.has(exit.name)) phases.push([exit.name, (event.timestamp.getTime() - entered.get(exit.name)!) / 1000]);
  }
  return phases;
}
