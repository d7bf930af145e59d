/**
 * `npm run bench` (tsx bench/scan.ts): scans a generated organization the way
 * `zombie-sweep scan --org` does, against the simulator running in a process of its own, and prints
 * what it cost: endpoints, targets, wall time, AWS calls per endpoint by operation, the call floor and
 * how far above it the scan is, the scanner's peak memory and open files, whether every verdict
 * matched the generator's; then the naive serial algorithm on a 1,000-endpoint slice of the same
 * organization, its time scaled to the whole, and the speedup. docs/performance.md explains the figures.
 *
 *   npm run bench -- --accounts 1000 --regions us-east-1,us-west-2,eu-west-1,ap-southeast-2 --endpoints-per-region 10 --latency 30 --throttling
 *   npm run bench -- --accounts 20 --json
 */
import '../src/core/polyfills.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { ApiCallCounter } from '../src/core/api-calls.ts';
import { ClientFactory, sharedHttpHandler, type TargetRef } from '../src/core/clients.ts';
import { systemClock } from '../src/core/clock.ts';
import { silentLog } from '../src/core/log.ts';
import { resolveDetectionSettings, TargetingSchema } from '../src/core/schemas.ts';
import type { Pricing, TargetScanResult } from '../src/detection/scan.ts';
import { scanTargets } from '../src/detection/scan-targets.ts';
import { streamTargets } from '../src/sweep/target-stream.ts';
import { callerIdentity } from '../cli/shared/credentials.ts';
import { naiveScan } from './naive-scan.ts';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '10' },
    regions: { type: 'string', default: 'us-east-1,eu-west-1' },
    'endpoints-per-region': { type: 'string', default: '100' },
    'zombie-fraction': { type: 'string', default: '0.25' },
    seed: { type: 'string', default: '7' },
    throttling: { type: 'boolean', default: false },
    latency: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '64' },
    pricing: { type: 'string', default: 'billable' },
    'baseline-endpoints': { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const pricing = values.pricing as Pricing;
if (pricing !== 'billable' && pricing !== 'zombies') throw new Error('--pricing must be billable or zombies');
const regions = values.regions.split(',');
const latencyMs = Number(values.latency);

const sim = await startSimulatorProcess();
Object.assign(process.env, sim.env);
const { expected, memberRoleName } = JSON.parse(readFileSync(sim.expectedFile, 'utf8')) as { expected: Record<string, string>; memberRoleName: string };

const peaks = { openFiles: openFiles(), sockets: 0 };
const sampler = setInterval(samplePeaks, 100);
const counter = new ApiCallCounter();
const factory = new ClientFactory({ hubRegion: regions[0]!, sessionName: 'zombie-sweep-bench', s3ForcePathStyle: true, counter });
const started = performance.now();
const caller = await callerIdentity(factory);
const scanned: TargetRef[] = [];
const targets = streamTargets({
  organizations: factory.hub(OrganizationsClient),
  ec2For: () => {
    throw new Error('named regions need no region lookup');
  },
  targeting: TargetingSchema.parse({ org: true, regions }),
  callerAccountId: caller.accountId,
  fallbackRegion: regions[0]!,
  log: silentLog,
});
const results = await scanTargets({
  factory,
  targets: reachable(targets),
  settings: resolveDetectionSettings({}),
  clock: systemClock,
  log: silentLog,
  targetConcurrency: Number(values.concurrency),
  pricing,
  onTargetDone: samplePeaks,
});
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
samplePeaks();
const peakRssMb = process.resourceUsage().maxRSS / 1024;

const baseline = await naiveScan({ targets: scanned, endpoints: Number(values['baseline-endpoints']), region: regions[0]! });
const throttled = await sim.stop();
rmSync(sim.dir, { recursive: true, force: true });

report(results, baseline, throttled);

async function* reachable(listed: AsyncIterable<{ accountId: string; region: string }>): AsyncIterable<TargetRef> {
  for await (const t of listed) {
    // The management account is scanned with the caller's own credentials (StackSets deploy no member role there).
    const target = t.accountId === caller.accountId ? { accountId: t.accountId, region: t.region } : { accountId: t.accountId, region: t.region, roleName: memberRoleName };
    scanned.push(target);
    yield target;
  }
}

function openFiles(): number {
  return readdirSync('/proc/self/fd').length;
}

function samplePeaks(): void {
  peaks.openFiles = Math.max(peaks.openFiles, openFiles());
  peaks.sockets = Math.max(peaks.sockets, sharedHttpHandler().openSockets());
}

/**
 * The floor: what any correct scan of this organization must call. One DescribeEndpoint per endpoint
 * (the report needs each one's details), one ListEndpoints per target, one GetMetricData per 500
 * endpoints of a target (one series each at least), one AssumeRole per member account.
 */
function floorCalls(results: readonly TargetScanResult[], targets: readonly TargetRef[]): number {
  const endpoints = results.reduce((sum, r) => sum + r.findings.length, 0);
  const metricBatches = results.reduce((sum, r) => sum + Math.ceil(r.findings.length / 500), 0);
  const memberAccounts = new Set(targets.filter((t) => t.roleName).map((t) => t.accountId)).size;
  return endpoints + targets.length + metricBatches + memberAccounts;
}

/**
 * The contract floor: the floor plus one DescribeEndpointConfig per distinct config of an
 * instance-based endpoint, which the report's instance type and cost of every endpoint need
 * (docs/performance.md, "Why the config reads stay"). With `--pricing zombies`, only the zombies'.
 */
function contractFloorCalls(results: readonly TargetScanResult[], floor: number): number {
  const configs = new Set<string>();
  for (const r of results) {
    for (const f of r.findings) {
      if (!f.endpointConfigName || f.endpointType === 'serverless' || f.verdict === 'error') continue;
      if (pricing === 'zombies' && f.verdict !== 'zombie') continue;
      configs.add(`${r.accountId}/${r.region}/${f.endpointConfigName}`);
    }
  }
  return floor + configs.size;
}

function report(results: readonly TargetScanResult[], baseline: Awaited<ReturnType<typeof naiveScan>>, throttledCalls: number): void {
  const findings = results.flatMap((r) => r.findings);
  const stats = counter.stats();
  const endpoints = findings.length;
  const wrong = findings.filter((f) => expected[`${f.accountId}/${f.region}/${f.endpointName}`] !== f.verdict);
  const verdictsMatch = wrong.length === 0 && endpoints === Object.keys(expected).length;
  const perEndpoint = (n: number) => Number((n / Math.max(1, endpoints)).toFixed(3));
  const floor = floorCalls(results, scanned);
  const contractFloor = contractFloorCalls(results, floor);
  const baselineSeconds = baseline.seconds * (endpoints / Math.max(1, baseline.endpoints));
  const summary = {
    endpoints,
    targets: results.length,
    seconds: Number(seconds.toFixed(1)),
    calls: stats.total,
    callsPerEndpoint: Object.fromEntries([['total', perEndpoint(stats.total)], ...Object.entries(stats.byOperation).sort((a, b) => b[1] - a[1]).map(([op, n]) => [op, perEndpoint(n)])]) as Record<string, number>,
    floorCalls: floor,
    callsOverFloor: Number((stats.total / Math.max(1, floor)).toFixed(3)),
    contractFloorCalls: contractFloor,
    callsOverContractFloor: Number((stats.total / Math.max(1, contractFloor)).toFixed(3)),
    peakRssMb: Math.round(peakRssMb),
    maxOpenFiles: peaks.openFiles,
    verdictsMatch,
    baselineSeconds: Number(baselineSeconds.toFixed(1)),
    speedup: Number((baselineSeconds / Math.max(0.001, seconds)).toFixed(1)),
  };
  const lines = [
    `organization   ${values.accounts} accounts x ${regions.length} regions x ${values['endpoints-per-region']} endpoints, latency ${latencyMs} ms, throttling ${values.throttling ? 'on' : 'off'}; simulator in its own process`,
    `targets        ${results.length} account-regions (${results.filter((r) => r.status !== 'ok').length} not scanned)`,
    `endpoints      ${endpoints}; verdicts ${verdictsMatch ? 'all match the generator' : `${wrong.length} differ from the generator`}`,
    ...wrong.slice(0, 10).map((f) => `  ${f.accountId}/${f.region}/${f.endpointName}: got ${f.verdict}, expected ${expected[`${f.accountId}/${f.region}/${f.endpointName}`]} (${f.reason})`),
    `wall time      ${summary.seconds} s (${((seconds * 1000) / Math.max(1, endpoints)).toFixed(2)} ms per endpoint)`,
    `api calls      ${stats.total} = ${perEndpoint(stats.total)} per endpoint (SDK attempts ${stats.attempts}, simulator throttled ${throttledCalls}); pricing: ${pricing}`,
    ...Object.entries(stats.byOperation)
      .sort((a, b) => b[1] - a[1])
      .map(([operation, count]) => `  ${operation.padEnd(40)} ${String(count).padStart(7)}  ${perEndpoint(count).toFixed(3)}/endpoint`),
    `floor          ${floor} calls (DescribeEndpoint per endpoint + ListEndpoints per target + GetMetricData per 500 endpoints of a target + AssumeRole per member account); calls/floor ${summary.callsOverFloor}`,
    `contract floor ${contractFloor} calls (the floor + DescribeEndpointConfig per distinct config priced); calls/contract floor ${summary.callsOverContractFloor}`,
    `memory         peak RSS ${summary.peakRssMb} MB (scanner process only)`,
    `open files     peak ${peaks.openFiles} (sockets in the shared pool at most ${peaks.sockets})`,
    `baseline       naive serial scan (DescribeEndpoint + GetMetricStatistics per endpoint): ${baseline.endpoints} endpoints in ${baseline.seconds.toFixed(1)} s, scaled to ${endpoints}: ${summary.baselineSeconds} s; speedup ${summary.speedup}x`,
    `note           wall times depend on the machine and whatever else runs on it`,
  ];
  console.log(lines.join('\n'));
  // Tooling reads the last line.
  if (values.json) console.log(JSON.stringify(summary));
  process.exitCode = verdictsMatch ? 0 : 1;
}

interface SimProcess {
  env: Record<string, string>;
  expectedFile: string;
  dir: string;
  /** Stops the simulator and returns how many calls it throttled. */
  stop(): Promise<number>;
}

async function startSimulatorProcess(): Promise<SimProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'zombie-sweep-bench-'));
  const expectedFile = join(dir, 'expected.json');
  const options = {
    accounts: Number(values.accounts),
    regions,
    endpointsPerRegion: Number(values['endpoints-per-region']),
    zombieFraction: Number(values['zombie-fraction']),
    seed: Number(values.seed),
    latencyMs,
    throttling: values.throttling,
    expectedFile,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./sim-process.ts', import.meta.url).pathname, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const first = await lines.next();
  if (first.done) throw new Error(`the simulator process exited before listening:\n${stderr}`);
  const ready = JSON.parse(first.value) as { env: Record<string, string> };
  return {
    env: ready.env,
    expectedFile,
    dir,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve(Number(/throttled (\d+) calls/.exec(stderr)?.[1] ?? 0)));
        child.stdin.end();
      }),
  };
}
