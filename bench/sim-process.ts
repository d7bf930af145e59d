/**
 * The benchmark's simulated organization, in a process of its own so that the scanner's CPU, memory
 * and file descriptors are measured alone. Started by bench/scan.ts with one JSON argument
 * (generateOrg options plus latency and throttling); prints one JSON line `{ url, env, expectedFile }`
 * when it listens, writes the generator's expected verdicts to `expectedFile`, and exits when its
 * standard input closes (the parent is done or died).
 */
import '../src/core/polyfills.ts';
import { writeFileSync } from 'node:fs';
import { startSimulator } from '../local/sim/server.ts';
import { buildWorld, generateOrg } from '../local/sim/scenario/index.ts';

interface SimProcessOptions {
  accounts: number;
  regions: string[];
  endpointsPerRegion: number;
  zombieFraction: number;
  seed: number;
  latencyMs: number;
  throttling: boolean;
  expectedFile: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as SimProcessOptions;
const scenario = generateOrg(options);
const expected = Object.fromEntries(
  scenario.endpoints.filter((e) => (e.status ?? 'InService') === 'InService').map((e) => [`${e.account}/${e.region}/${e.name}`, e.expect?.verdict ?? '']),
);
writeFileSync(
  options.expectedFile,
  JSON.stringify({ memberRoleName: scenario.memberRoleName, managementAccountId: scenario.organization.managementAccountId, expected }),
);
const world = buildWorld(scenario);
const sim = await startSimulator({ world, latencyMs: options.latencyMs, ...(options.throttling ? { throttling: { enabled: true } } : {}) });
process.stdout.write(`${JSON.stringify({ url: sim.url, env: sim.env(), throttled: 0 })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  process.stderr.write(`simulator: throttled ${sim.traffic.throttledCount} calls\n`);
  void sim.stop().then(() => process.exit(0));
});
