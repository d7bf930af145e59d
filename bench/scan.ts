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
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ApiCallCounter } from '../src/core/api-calls.ts';
import { ClientFactory, sharedHttpHandler, type TargetRef } from '../src/core/clients.ts';
import { systemClock } from '../src/core/clock.ts';
import { silentLog } from '../src/core/log.ts';
import { resolveDetectionSettings, TargetingSchema } from '../src/core/schemas.ts';
import { s3ConfigCache } from '../src/detection/config-cache.ts';
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
    // Scan twice, cold then warm, with the cross-sweep endpoint-config cache; --no-config-cache scans once without it.
    'config-cache': { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const CACHE_BUCKET = 'zombie-sweep-bench-archive';
const pricing = values.pricing as Pricing;
if (pricing !== 'billable' && pricing !== 'zombies') throw new Error('--pricing must be billable or zombies');
const regions = values.regions.split(',');
const latencyMs = Number(values.latency);

const sim = await startSimulatorProcess();
Object.assign(process.env, sim.env);
/** Verdicts only an endpoint's tags can settle: a scan that skips the tag read cannot honour zombie-exempt. */
const TAG_DECIDED = new Set(['zombie', 'exempt', 'expired']);

const { expected, memberRoleName } = JSON.parse(readFileSync(sim.expectedFile, 'utf8')) as { expected: Record<string, string>; memberRoleName: string };

const peaks = { openFiles: openFiles(), sockets: 0, rssMb: 0 };
const sampler = setInterval(samplePeaks, 100);
const scanned: TargetRef[] = [];
const configCache = values['config-cache'] ? await createCacheBucket() : false;
const cold = await runScan('cold');
// The same organization again: unchanged configs now come from the cache (src/detection/config-cache.ts).
const warm = configCache ? await runScan('warm') : undefined;
clearInterval(sampler);
samplePeaks();
const peakRssMb = process.resourceUsage().maxRSS / 1024;

const baseline = await naiveScan({ targets: scanned, endpoints: Number(values['baseline-endpoints']), region: regions[0]! });
const throttled = await sim.stop();
rmSync(sim.dir, { recursive: true, force: true });

report(cold, warm, baseline, throttled);

/** What the report needs of a scan, tallied target by target while each target's findings go to a file. */
interface ScanRun {
  label: string;
  seconds: number;
  stats: ReturnType<ApiCallCounter['stats']>;
  targets: number;
  notScanned: number;
  endpoints: number;
  metricBatches: number;
  /** GetResources a correct scan must make: one per 100 endpoints of a target whose tags decide them (exempt, expired, zombie). */
  tagBatches: number;
  /** account/region/config of every config the contract floor counts. */
  configs: Set<string>;
  wrong: { key: string; got: string; reason: string }[];
  matched: number;
}

async function runScan(label: string): Promise<ScanRun> {
  const counter = new ApiCallCounter();
  const factory = new ClientFactory({ hubRegion: regions[0]!, sessionName: `zombie-sweep-bench-${label}`, s3ForcePathStyle: true, counter });
  const run: ScanRun = {
    label,
    seconds: 0,
    stats: counter.stats(),
    targets: 0,
    notScanned: 0,
    endpoints: 0,
    metricBatches: 0,
    tagBatches: 0,
    configs: new Set(),
    wrong: [],
    matched: 0,
  };
  const out = createWriteStream(join(sim.dir, `findings-${label}.jsonl`));
  const started = performance.now();
  const caller = await callerIdentity(factory);
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
  await scanTargets({
    factory,
    targets: reachable(targets, caller.accountId, label === 'cold'),
    settings: resolveDetectionSettings({}),
    clock: systemClock,
    log: silentLog,
    targetConcurrency: Number(values.concurrency),
    pricing,
    // The archive bucket's cache, in the simulator's S3, read and written with the run's counted client.
    ...(configCache ? { configCache: s3ConfigCache(factory.hub(S3Client), CACHE_BUCKET) } : {}),
    // Findings are tallied and written out per target, then dropped: the scanner holds one target's at a time.
    keepFindings: false,
    onTargetDone: (result) => {
      tally(run, result);
      out.write(result.findings.map((f) => JSON.stringify(f)).join('\n') + (result.findings.length ? '\n' : ''));
      samplePeaks();
    },
  });
  run.seconds = (performance.now() - started) / 1000;
  run.stats = counter.stats();
  await new Promise((resolve) => out.end(resolve));
  return run;
}

function tally(run: ScanRun, result: TargetScanResult): void {
  run.targets++;
  if (result.status !== 'ok') run.notScanned++;
  run.endpoints += result.findings.length;
  run.metricBatches += Math.ceil(result.findings.length / 500);
  run.tagBatches += Math.ceil(result.findings.filter((f) => TAG_DECIDED.has(f.verdict)).length / 100);
  for (const f of result.findings) {
    const key = `${f.accountId}/${f.region}/${f.endpointName}`;
    if (expected[key] === f.verdict) run.matched++;
    else if (run.wrong.length < 10) run.wrong.push({ key, got: f.verdict, reason: f.reason });
    if (!f.endpointConfigName || f.endpointType === 'serverless' || f.verdict === 'error') continue;
    if (pricing === 'zombies' && f.verdict !== 'zombie') continue;
    run.configs.add(`${result.accountId}/${result.region}/${f.endpointConfigName}`);
  }
}

async function createCacheBucket(): Promise<true> {
  const s3 = new S3Client({ region: regions[0]!, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: CACHE_BUCKET }));
  s3.destroy();
  return true;
}

async function* reachable(listed: AsyncIterable<{ accountId: string; region: string }>, callerAccountId: string, record: boolean): AsyncIterable<TargetRef> {
  for await (const t of listed) {
    // The management account is scanned with the caller's own credentials (StackSets deploy no member role there).
    const target =
      t.accountId === callerAccountId ? { accountId: t.accountId, region: t.region } : { accountId: t.accountId, region: t.region, roleName: memberRoleName };
    if (record) scanned.push(target);
    yield target;
  }
}

function openFiles(): number {
  return readdirSync('/proc/self/fd').length;
}

function samplePeaks(): void {
  peaks.openFiles = Math.max(peaks.openFiles, openFiles());
  peaks.sockets = Math.max(peaks.sockets, sharedHttpHandler().openSockets());
  peaks.rssMb = Math.max(peaks.rssMb, process.memoryUsage.rss() / 1024 / 1024);
}

/**
 * The floor: what any correct scan of this organization must call. One DescribeEndpoint per endpoint
 * (the report needs each one's details), one ListEndpoints per target, one GetMetricData per 500
 * endpoints of a target (one series each at least), one AssumeRole per member account.
 */
function floorCalls(run: ScanRun): number {
  const memberAccounts = new Set(scanned.filter((t) => t.roleName).map((t) => t.accountId)).size;
  return run.endpoints + run.targets + run.metricBatches + memberAccounts;
}

function summarize(run: ScanRun, baselineSeconds: number) {
  const { stats, endpoints } = run;
  const perEndpoint = (n: number) => Number((n / Math.max(1, endpoints)).toFixed(3));
  const floor = floorCalls(run);
  // The contract floor adds one DescribeEndpointConfig per distinct config priced (docs/performance.md, "Why the config reads stay").
  const contractFloor = floor + run.configs.size;
  // The safety floor adds the exemption-tag reads (GetResources, 100 endpoints a call) the floor leaves out.
  const safetyFloor = floor + run.tagBatches;
  return {
    endpoints,
    targets: run.targets,
    seconds: Number(run.seconds.toFixed(1)),
    calls: stats.total,
    callsPerEndpoint: Object.fromEntries([
      ['total', perEndpoint(stats.total)],
      ...Object.entries(stats.byOperation)
        .sort((a, b) => b[1] - a[1])
        .map(([op, n]) => [op, perEndpoint(n)]),
    ]) as Record<string, number>,
    floorCalls: floor,
    callsOverFloor: Number((stats.total / Math.max(1, floor)).toFixed(3)),
    safetyFloorCalls: safetyFloor,
    callsOverSafetyFloor: Number((stats.total / Math.max(1, safetyFloor)).toFixed(3)),
    contractFloorCalls: contractFloor,
    callsOverContractFloor: Number((stats.total / Math.max(1, contractFloor)).toFixed(3)),
    verdictsMatch: run.wrong.length === 0 && run.matched === Object.keys(expected).length,
    speedup: Number((baselineSeconds / Math.max(0.001, run.seconds)).toFixed(1)),
  };
}

function runLines(run: ScanRun, summary: ReturnType<typeof summarize>, throttledCalls: number): string[] {
  const { stats, endpoints } = run;
  const perEndpoint = (n: number) => (n / Math.max(1, endpoints)).toFixed(3);
  return [
    `--- ${run.label} scan${configCache ? (run.label === 'cold' ? ' (empty config cache)' : ' (config cache from the cold scan)') : ''}`,
    `targets        ${run.targets} account-regions (${run.notScanned} not scanned)`,
    `endpoints      ${endpoints}; verdicts ${summary.verdictsMatch ? 'all match the generator' : `${Object.keys(expected).length - run.matched} differ from the generator or are missing`}`,
    ...run.wrong.map((w) => `  ${w.key}: got ${w.got}, expected ${expected[w.key]} (${w.reason})`),
    `wall time      ${summary.seconds} s (${((run.seconds * 1000) / Math.max(1, endpoints)).toFixed(2)} ms per endpoint)`,
    `api calls      ${stats.total} = ${perEndpoint(stats.total)} per endpoint (SDK attempts ${stats.attempts}, simulator throttled ${throttledCalls} in all); pricing: ${pricing}`,
    ...Object.entries(stats.byOperation)
      .sort((a, b) => b[1] - a[1])
      .map(([operation, count]) => `  ${operation.padEnd(40)} ${String(count).padStart(7)}  ${perEndpoint(count)}/endpoint`),
    `floor          ${summary.floorCalls} calls (DescribeEndpoint per endpoint + ListEndpoints per target + GetMetricData per 500 endpoints of a target + AssumeRole per member account); calls/floor ${summary.callsOverFloor}`,
    `safety floor   ${summary.safetyFloorCalls} calls (the floor + GetResources per 100 endpoints whose tags decide their verdict); calls/safety floor ${summary.callsOverSafetyFloor}`,
    `contract floor ${summary.contractFloorCalls} calls (the floor + DescribeEndpointConfig per distinct config priced); calls/contract floor ${summary.callsOverContractFloor}`,
    `speedup        ${summary.speedup}x over the baseline`,
  ];
}

function report(coldRun: ScanRun, warmRun: ScanRun | undefined, baseline: Awaited<ReturnType<typeof naiveScan>>, throttledCalls: number): void {
  const baselineSeconds = baseline.seconds * (coldRun.endpoints / Math.max(1, baseline.endpoints));
  const coldSummary = summarize(coldRun, baselineSeconds);
  const warmSummary = warmRun ? summarize(warmRun, baselineSeconds) : undefined;
  const summary = {
    ...coldSummary,
    peakRssMb: Math.round(peakRssMb),
    maxOpenFiles: peaks.openFiles,
    baselineSeconds: Number(baselineSeconds.toFixed(1)),
    ...(warmSummary ? { warm: warmSummary } : {}),
  };
  const lines = [
    `organization   ${values.accounts} accounts x ${regions.length} regions x ${values['endpoints-per-region']} endpoints, latency ${latencyMs} ms, throttling ${values.throttling ? 'on' : 'off'}; simulator in its own process`,
    ...runLines(coldRun, coldSummary, throttledCalls),
    ...(warmRun && warmSummary ? runLines(warmRun, warmSummary, throttledCalls) : []),
    `---`,
    `memory         peak RSS ${summary.peakRssMb} MB (scanner process only, both scans; findings streamed to a file per target)`,
    `open files     peak ${peaks.openFiles} (sockets in the shared pool at most ${peaks.sockets})`,
    `baseline       naive serial scan (DescribeEndpoint + GetMetricStatistics per endpoint): ${baseline.endpoints} endpoints in ${baseline.seconds.toFixed(1)} s, scaled to ${coldRun.endpoints}: ${summary.baselineSeconds} s`,
    `note           wall times depend on the machine and whatever else runs on it`,
  ];
  console.log(lines.join('\n'));
  // Tooling reads the last line.
  if (values.json) console.log(JSON.stringify(summary));
  process.exitCode = coldSummary.verdictsMatch && (warmSummary?.verdictsMatch ?? true) ? 0 : 1;
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
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./sim-process.ts', import.meta.url).pathname, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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
