/**
 * `npm run bench` (tsx bench/scan.ts): scans a generated organization in the simulator the way
 * `zombie-sweep scan --org --regions all` does and prints what it cost: endpoints, AWS calls per
 * endpoint by operation, SDK attempts, wall time, whether every verdict matched the generator's, and
 * whether every InService endpoint was described exactly once (the report needs each one's details).
 *
 *   npm run bench -- --accounts 10 --regions us-east-1,eu-west-1 --endpoints-per-region 100 --zombie-fraction 0.25 --seed 7
 *   npm run bench -- --throttling --latency 5
 */
import '../src/core/polyfills.ts';
import { parseArgs } from 'node:util';
import { startSimulator } from '../local/sim/server.ts';
import { buildWorld, generateOrg } from '../local/sim/scenario/index.ts';
import { ApiCallCounter } from '../src/core/api-calls.ts';
import { ClientFactory } from '../src/core/clients.ts';
import { systemClock } from '../src/core/clock.ts';
import { silentLog } from '../src/core/log.ts';
import { resolveDetectionSettings, TargetingSchema } from '../src/core/schemas.ts';
import { scanTargets } from '../src/detection/scan-targets.ts';
import { callerIdentity } from '../cli/shared/credentials.ts';
import { resolveTargets } from '../cli/shared/targets.ts';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '10' },
    regions: { type: 'string', default: 'us-east-1,eu-west-1' },
    'endpoints-per-region': { type: 'string', default: '100' },
    'zombie-fraction': { type: 'string', default: '0.25' },
    seed: { type: 'string', default: '7' },
    throttling: { type: 'boolean', default: false },
    latency: { type: 'string', default: '0' },
  },
});

const regions = values.regions.split(',');
const scenario = generateOrg({ accounts: Number(values.accounts), regions, endpointsPerRegion: Number(values['endpoints-per-region']), zombieFraction: Number(values['zombie-fraction']), seed: Number(values.seed) });
const expected = new Map(scenario.endpoints.map((e) => [`${e.account}/${e.region}/${e.name}`, e.expect?.verdict]));
const inService = scenario.endpoints.filter((e) => e.status === 'InService').length;
const CALL_BUDGET_PER_ENDPOINT = 1.5;
const builtAt = Date.now();
const world = buildWorld(scenario);
const sim = await startSimulator({ world, latencyMs: Number(values.latency), ...(values.throttling ? { throttling: { enabled: true } } : {}) });
Object.assign(process.env, sim.env());
const buildMs = Date.now() - builtAt;

const counter = new ApiCallCounter();
const factory = new ClientFactory({ hubRegion: world.homeRegion, sessionName: 'zombie-sweep-bench', s3ForcePathStyle: true, counter });
const started = Date.now();
const caller = await callerIdentity(factory);
const targets = await resolveTargets(factory, caller, TargetingSchema.parse({ org: true, regions: 'all' }), world.homeRegion, silentLog);
const results = await scanTargets({ factory, targets, settings: resolveDetectionSettings({}), clock: systemClock, log: silentLog });
const wallMs = Date.now() - started;
await sim.stop();

const findings = results.flatMap((r) => r.findings);
const stats = counter.stats();
const verdicts: Record<string, number> = {};
for (const f of findings) verdicts[f.verdict] = (verdicts[f.verdict] ?? 0) + 1;
const mismatches = findings.filter((f) => expected.get(`${f.accountId}/${f.region}/${f.endpointName}`) !== f.verdict);
const perEndpoint = (n: number) => (n / Math.max(1, findings.length)).toFixed(3);

console.log(`organization   ${scenario.name}: ${values.accounts} accounts x ${regions.length} regions, built in ${buildMs} ms`);
console.log(`targets        ${targets.length} account-regions (${results.filter((r) => r.status !== 'ok').length} not scanned)`);
console.log(`endpoints      ${findings.length}  ${Object.entries(verdicts).map(([v, n]) => `${v} ${n}`).join(', ')}`);
console.log(`verdicts       ${mismatches.length === 0 ? 'all match the generator' : `${mismatches.length} differ from the generator`}`);
for (const m of mismatches.slice(0, 10)) console.log(`  ${m.accountId}/${m.region}/${m.endpointName}: got ${m.verdict}, expected ${expected.get(`${m.accountId}/${m.region}/${m.endpointName}`)} (${m.reason})`);
console.log(`api calls      ${stats.total} = ${perEndpoint(stats.total)} per endpoint (SDK attempts ${stats.attempts}, simulator throttled ${sim.traffic.throttledCount})`);
for (const [operation, count] of Object.entries(stats.byOperation).sort((a, b) => b[1] - a[1])) console.log(`  ${operation.padEnd(40)} ${String(count).padStart(6)}  ${perEndpoint(count)}/endpoint`);
const budget = stats.total / Math.max(1, findings.length) <= CALL_BUDGET_PER_ENDPOINT ? 'within' : 'OVER';
console.log(`budget         ${budget} ${CALL_BUDGET_PER_ENDPOINT} calls per endpoint (the scan's target for this organization shape)`);
const described = stats.byOperation['SageMaker:DescribeEndpoint'] ?? 0;
console.log(`described      ${described} DescribeEndpoint for ${inService} InService endpoints${described === inService ? ' (exactly one each)' : ''}`);
console.log(`wall time      ${wallMs} ms (${(wallMs / Math.max(1, findings.length)).toFixed(2)} ms per endpoint)`);
process.exitCode = mismatches.length === 0 ? 0 : 1;
