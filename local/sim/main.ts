/**
 * `npm run sim -- [--port 4566] [--scenario demo|FILE] [--seed N] [--latency-ms N] [--throttle] [--archive-bucket NAME]`
 * Starts the simulated organization in the foreground with an archive bucket (Object Lock, as the hub
 * stack creates it) so `zombie-sweep start --local` has somewhere to write, prints the environment to
 * export and a summary, and stops cleanly on SIGINT/SIGTERM.
 */
import '../../src/core/polyfills.ts';
import { Command, InvalidArgumentError } from 'commander';
import type { Simulator } from './index.ts';

function integer(name: string, min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return value;
  };
}

export const ARCHIVE_BUCKET = 'zombie-sweep-archive';

const program = new Command('sim')
  .description('Start the simulated AWS organization on 127.0.0.1 (real AWS wire protocols; see docs/simulator.md).')
  .option('--port <port>', 'TCP port; 0 picks a free one', integer('--port', 0, 65_535), 4566)
  .option('--scenario <name|file>', 'built-in scenario name or a scenario JSON file', 'demo')
  .option('--seed <n>', 'seed for generated data (deterministic)', integer('--seed', 0, 2 ** 31 - 1))
  .option('--latency-ms <ms>', "extra latency added to every API call (default: the scenario's)", integer('--latency-ms', 0, 60_000))
  .option('--throttle', "throttle per account and region at rates resembling AWS quotas (default: the scenario's setting)")
  .option('--archive-bucket <name>', 'archive bucket created in the management account (Object Lock enabled)', ARCHIVE_BUCKET)
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<{ port: number; scenario: string; seed?: number; latencyMs?: number; throttle?: boolean; archiveBucket: string }>();
  let sim: Simulator;
  try {
    // Loaded after parsing, so --help and flag errors answer at once.
    const { startScenarioSimulator, s3Store } = await import('./index.ts');
    sim = await startScenarioSimulator({
      scenario: options.scenario,
      seed: options.seed,
      port: options.port,
      latencyMs: options.latencyMs,
      throttling: options.throttle ? { enabled: true } : undefined,
    });
    s3Store(sim.world).createBucket(options.archiveBucket, {
      ownerAccountId: sim.world.managementAccountId,
      region: sim.world.homeRegion,
      objectLockEnabled: true,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? `port ${options.port} is already in use (try --port 0)` : (error as Error).message;
    console.error(`sim: cannot start: ${reason}`);
    process.exitCode = 1;
    return;
  }
  console.log(describe(sim, options));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`sim: ${signal}, stopping`);
    // A stuck connection must not keep the process alive.
    setTimeout(() => process.exit(0), 5000).unref();
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

function describe(sim: Simulator, options: { scenario: string; seed?: number; archiveBucket: string }): string {
  const world = sim.world;
  const accounts = [...world.accounts.values()];
  const regions = [...new Set(accounts.flatMap((a) => a.enabledRegions))].sort();
  const lines = [
    `# zombie-sweep simulator on ${sim.url} (scenario ${options.scenario}${options.seed !== undefined ? `, seed ${options.seed}` : ''}${sim.traffic.latencyMs ? `, +${sim.traffic.latencyMs} ms per call` : ''}${sim.traffic.throttling.enabled ? ', throttling on' : ''})`,
    '# Export these in another shell to point the AWS SDK, the CLI and the handlers at it (management account):',
    ...Object.entries(sim.env()).map(([key, value]) => `export ${key}=${value}`),
    '#',
    `# Organization ${world.organizationId}, root ${world.rootId}: ${accounts.length} accounts, ${world.ous.size} OUs, regions ${regions.join(' ')}`,
    ...accounts.map((a) => {
      const roles = [...a.roles.keys()].join(', ') || 'no member role';
      const endpoints = endpointCount(sim, a.id);
      return `#   ${a.id}  ${a.name.padEnd(20)} ${a.status.padEnd(9)} ${a.enabledRegions.join(',').padEnd(22)} ${roles}${endpoints !== undefined ? `, ${endpoints} endpoints` : ''}${a.id === world.managementAccountId ? '  (management)' : ''}`;
    }),
    `# Services: ${sim.serviceNames().join(' ')}`,
    `# Archive bucket: s3://${options.archiveBucket} (Object Lock). With the exports above, in another shell:`,
    `#   npx zombie-sweep start --local --org --mode cleanup --archive-bucket ${options.archiveBucket} --approver you@example.com`,
    `#   npx zombie-sweep status <sweep id> --archive-bucket ${options.archiveBucket}`,
    `# Index page: ${sim.url}/`,
    `# SNS outbox: ${sim.url}/_sim/outbox`,
    '# Ctrl-C stops it.',
  ];
  return lines.join('\n');
}

/** SageMaker endpoints per account (the SageMaker store keeps them in an `endpoints` map per account-region). */
function endpointCount(sim: Simulator, accountId: string): number | undefined {
  const entries = sim.world.regionalEntries<{ endpoints?: unknown }>('sagemaker');
  if (entries.length === 0) return undefined;
  let total = 0;
  for (const entry of entries) if (entry.accountId === accountId && entry.state.endpoints instanceof Map) total += entry.state.endpoints.size;
  return total;
}

void main();
