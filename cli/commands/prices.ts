import { writeFileSync } from 'node:fs';
import { PricingClient } from '@aws-sdk/client-pricing';
import type { Command } from 'commander';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { refreshPriceTable, type RefreshResult } from '../../src/detection/price-refresh.ts';
import { callerIdentity, cliClientFactory, homeRegion } from '../shared/credentials.ts';
import { addGlobalOptions, showsProgress, type GlobalFlags } from '../shared/globals.ts';
import { validateRegionNames } from '../shared/targets.ts';
import { parseTargeting } from '../shared/options.ts';

/**
 * `zombie-sweep prices refresh`: the price table, dated, from the AWS Price List Query API, for
 * `scan --price-file` (or to replace the bundled table, docs/detection.md).
 */
export interface PricesFlags extends GlobalFlags {
  output: 'table' | 'text' | 'json';
  file?: string;
  regions?: string;
}

export interface PricesIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  clock: Clock;
}

/** The Price List Query API answers in these regions only; us-east-1 otherwise. */
const PRICE_LIST_REGIONS = new Set(['us-east-1', 'eu-central-1', 'ap-south-1']);

export function registerPrices(program: Command): void {
  const prices = program.command('prices').description('Manage the price table that costs endpoints.');
  const refresh = prices
    .command('refresh')
    .description('Build the price table from the AWS Price List Query API (pricing:GetProducts, AmazonSageMaker), for every region, dated.')
    .option('--file <path>', 'write the table here (default: print the table JSON on stdout)')
    .option('--regions <list>', 'only these regions, comma-separated (default: every region the Price List prices)');
  addGlobalOptions(refresh, ['table', 'text', 'json'], 'table', 'output format of the summary (with --file)');
  refresh
    .addHelpText(
      'after',
      `
Needs pricing:GetProducts. Use the table with \`zombie-sweep scan --price-file <path>\`.
The table is "verified" only when every figure was read from AWS itself; one read through
--endpoint-url or AWS_ENDPOINT_URL (e.g. the simulator) says so in its provenance and stays unverified.

Examples:
  zombie-sweep prices refresh --file prices.json
  zombie-sweep prices refresh --regions us-east-1,eu-west-1 --file prices.json`,
    )
    .action(async (flags: PricesFlags) => {
      await runPricesRefresh(flags, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env, clock: systemClock });
    });
}

export async function runPricesRefresh(flags: PricesFlags, io: PricesIo): Promise<RefreshResult> {
  const regions = flags.regions === undefined ? undefined : parseTargeting({ regions: flags.regions }).regions;
  if (regions !== undefined) validateRegionNames({ org: false, regions } as Parameters<typeof validateRegionNames>[0]);
  const factory = cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-prices' });
  await callerIdentity(factory, flags.profile);
  const home = homeRegion(io.env);
  const pricing = factory.hub(PricingClient, PRICE_LIST_REGIONS.has(home) ? home : 'us-east-1');
  let read = 0;
  const result = await refreshPriceTable({
    pricing,
    clock: io.clock,
    endpointOverride: io.env.AWS_ENDPOINT_URL_PRICING || io.env.AWS_ENDPOINT_URL || undefined,
    ...(regions !== undefined && regions !== 'all' ? { regions } : {}),
    onPage: (count) => {
      read += count;
      if (showsProgress(flags)) io.stderr(`prices: ${read} products read\n`);
    },
  });
  const json = `${JSON.stringify(result.table, null, 2)}\n`;
  if (!flags.file) {
    io.stdout(json);
    if (showsProgress(flags)) io.stderr(`${summary(result)}\n`);
    return result;
  }
  writeFileSync(flags.file, json);
  if (flags.output === 'json')
    io.stdout(
      `${JSON.stringify({ file: flags.file, compiledOn: result.table.compiledOn, verified: result.table.verified, regions: Object.keys(result.table.regions), products: result.products, serverlessCarried: result.serverlessCarried }, null, 2)}\n`,
    );
  else io.stdout(`wrote ${flags.file}: ${summary(result)}\n`);
  return result;
}

function summary(result: RefreshResult): string {
  const regions = Object.keys(result.table.regions);
  const types = new Set(regions.flatMap((r) => Object.keys(result.table.regions[r]!.instancesUsdPerHour)));
  return `${regions.length} region${regions.length === 1 ? '' : 's'}, ${types.size} instance types, compiled on ${result.table.compiledOn}, ${result.table.verified ? 'verified (read from AWS)' : 'unverified (see provenance)'}`;
}
