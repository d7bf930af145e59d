import type { Command } from 'commander';
import { ApiCallCounter } from '../../src/core/api-calls.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { InputValidationError } from '../../src/core/errors.ts';
import { streamLog, type Log } from '../../src/core/log.ts';
import { resolveDetectionSettings, type Finding } from '../../src/core/schemas.ts';
import { scanTargets } from '../../src/detection/scan-targets.ts';
import type { TargetScanResult } from '../../src/detection/scan.ts';
import { addCredentialOptions, callerIdentity, cliClientFactory, homeRegion } from '../shared/credentials.ts';
import { AllTargetsFailedError } from '../shared/errors.ts';
import { addDetectionOptions, addTargetingOptions, outputOption, parseDetection, parseTargeting, type DetectionFlags, type TargetingFlags } from '../shared/options.ts';
import type { OutputFormat } from '../shared/output.ts';
import { createProgress, type ProgressStream } from '../shared/progress.ts';
import { priceTableNotes, renderScanCsv, renderScanTable, scanJson } from '../shared/scan-report.ts';
import { resolveTargets } from '../shared/targets.ts';

/**
 * `zombie-sweep scan`: the read-only scan with the caller's own credentials, no deployment needed.
 * Findings go to stdout (table, json or csv); progress and diagnostics go to stderr.
 */
export interface ScanFlags extends TargetingFlags, DetectionFlags {
  profile?: string;
  output: OutputFormat;
  concurrency: string;
  verbose?: boolean;
}

export interface ScanIo {
  stdout: (text: string) => void;
  stderr: ProgressStream;
  env: NodeJS.ProcessEnv;
  clock: Clock;
}

export function registerScan(program: Command): void {
  const command = program
    .command('scan')
    .description('Find idle (zombie) SageMaker endpoints, read-only: in your account, or across the organization with --org.');
  addTargetingOptions(command);
  addDetectionOptions(command);
  addCredentialOptions(command);
  command
    .addOption(outputOption())
    .option('--concurrency <n>', 'account-regions scanned at once', '8')
    .option('--verbose', 'log each step as JSON lines on stderr')
    .addHelpText(
      'after',
      `
Verdicts: zombie (idle, billable, old enough, not exempt), active, too-new, exempt, not-billable,
expired (auto-delete-after passed), error.
lastInvokedAt (json/csv) null means never invoked since creation, within the 455 days CloudWatch keeps;
except for verdict error, and where the reason says "last invocation unknown" (history unreadable).
Costs from an unverified price table say so in the reason and below the table.
Exit code 0 when the scan ran, zombies or not; 1 on bad flags, missing credentials, or when every target failed.

Examples:
  zombie-sweep scan --regions us-east-1,eu-west-1
  zombie-sweep scan --org --role-name ZombieSweepMemberRole --ous ou-ab12-34cd56ef --output json > findings.json
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 zombie-sweep scan --org --regions all`,
    )
    .action(async (flags: ScanFlags) => {
      await runScan(flags, { stdout: (text) => process.stdout.write(text), stderr: process.stderr, env: process.env, clock: systemClock });
    });
}

export interface ScanRun {
  results: TargetScanResult[];
  findings: Finding[];
  apiCalls: ReturnType<ApiCallCounter['stats']>;
}

export async function runScan(flags: ScanFlags, io: ScanIo): Promise<ScanRun> {
  const targeting = parseTargeting(flags);
  const settings = resolveDetectionSettings(parseDetection(flags));
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new InputValidationError(`invalid --concurrency: must be a whole number from 1 to 64 (got ${JSON.stringify(flags.concurrency)})`, '--concurrency');
  const log: Log = flags.verbose ? streamLog((line) => io.stderr.write(line), 'debug') : streamLog((line) => io.stderr.write(line), 'error');

  const counter = new ApiCallCounter();
  const factory = cliClientFactory({ profile: flags.profile, counter, env: io.env });
  const caller = await callerIdentity(factory, flags.profile);
  const home = homeRegion(io.env);
  const targets = await resolveTargets(factory, caller, targeting, home, log);
  const progress = createProgress(io.stderr, 'scanning');
  progress.update(0, targets.length, `${targets.length} account-region${targets.length === 1 ? '' : 's'}`);
  let endpoints = 0;
  const results = await scanTargets({
    factory,
    targets,
    settings,
    clock: io.clock,
    log,
    targetConcurrency: concurrency,
    onTargetDone: (result, done, total) => {
      endpoints += result.findings.length;
      progress.update(done, total, `${result.accountId}/${result.region} ${result.status}, ${endpoints} endpoints so far`);
    },
  });
  const findings = results.flatMap((r) => r.findings);
  const failed = results.filter((r) => r.status !== 'ok');
  progress.finish(`scanned ${results.length - failed.length}/${results.length} account-regions, ${findings.length} endpoints, ${findings.filter((f) => f.verdict === 'zombie').length} zombies`);

  const apiCalls = counter.stats();
  if (flags.output === 'json') io.stdout(`${JSON.stringify(scanJson(results, apiCalls), null, 2)}\n`);
  else if (flags.output === 'csv') {
    io.stdout(renderScanCsv(findings));
    // A footer row would break CSV readers; each priced row's reason carries the same caveat.
    for (const note of priceTableNotes(findings)) io.stderr.write(`${note}\n`);
  } else io.stdout(renderScanTable(results));

  if (results.length > 0 && failed.length === results.length) {
    const first = failed[0]!;
    throw new AllTargetsFailedError(`all ${results.length} targets failed; first: ${first.accountId}/${first.region} ${first.status}: ${first.error ?? 'unknown error'}`);
  }
  if (results.length === 0) throw new AllTargetsFailedError('no account-region matched the targeting flags; nothing was scanned');
  return { results, findings, apiCalls };
}
