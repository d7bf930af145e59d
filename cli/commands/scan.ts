import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiCallCounter } from '../../src/core/api-calls.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { InputValidationError } from '../../src/core/errors.ts';
import { streamLog, type Log } from '../../src/core/log.ts';
import { resolveDetectionSettings, type Finding } from '../../src/core/schemas.ts';
import type { PriceTable } from '../../src/detection/pricing.ts';
import { scanTargets } from '../../src/detection/scan-targets.ts';
import type { TargetScanResult } from '../../src/detection/scan.ts';
import { callerIdentity, cliClientFactory, homeRegion } from '../shared/credentials.ts';
import { AllTargetsFailedError, PartialScanError } from '../shared/errors.ts';
import { addGlobalOptions, showsProgress, type GlobalFlags } from '../shared/globals.ts';
import { addDetectionOptions, addTargetingOptions, parseDetection, parseTargeting, type DetectionFlags, type TargetingFlags } from '../shared/options.ts';
import { terminalWidth } from '../shared/output.ts';
import { loadPriceFile } from '../shared/prices.ts';
import { createProgress, silentProgress, type ProgressStream } from '../shared/progress.ts';
import { scanReportHtml } from '../shared/scan-html.ts';
import {
  priceTableNotes,
  renderScanCsv,
  renderScanTable,
  scanJson,
  scanSummary,
  summaryLine,
  type NotEnabledTarget,
  type ScanOutcome,
} from '../shared/scan-report.ts';
import { streamScanTargets, validateRegionNames } from '../shared/targets.ts';

/**
 * `zombie-sweep scan`: the read-only scan with the caller's own credentials, no deployment needed.
 * Findings go to stdout (table, json, csv, or an HTML page with --file); progress and diagnostics go to stderr.
 */
const SCAN_FORMATS = ['table', 'text', 'json', 'csv', 'html'] as const;
type ScanFormat = (typeof SCAN_FORMATS)[number];

export interface ScanFlags extends TargetingFlags, DetectionFlags, GlobalFlags {
  output: ScanFormat;
  file?: string;
  concurrency: string;
  allowPartial?: boolean;
  priceFile?: string;
  verbose?: boolean;
}

export interface ScanIo {
  stdout: (text: string) => void;
  /** Progress, notes, and the width tables fit (`columns`, when a terminal). */
  stderr: ProgressStream;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** The stream stdout writes to, for its width; the CLI passes process.stdout. */
  stdoutStream?: { isTTY?: boolean; columns?: number };
}

export function registerScan(program: Command): void {
  const command = program
    .command('scan')
    .description('Find idle (zombie) SageMaker endpoints, read-only: in your account, or across the organization with --org.');
  addTargetingOptions(command);
  addDetectionOptions(command);
  addGlobalOptions(command, SCAN_FORMATS, 'table', 'output format (html needs --file)');
  command
    .option('--file <path>', 'write the output to this file instead of stdout (required with --output html)')
    .option('--allow-partial', 'exit 0 even when some account-regions could not be scanned (default: exit 2)')
    .option('--price-file <path>', 'price table JSON to cost endpoints with (as written by `zombie-sweep prices refresh`; default: the bundled table)')
    .option('--concurrency <n>', 'account-regions scanned at once', '8')
    .option('--verbose', 'log each step as JSON lines on stderr')
    .addHelpText(
      'after',
      `
Verdicts: zombie (idle, billable, old enough, not exempt), active, too-new, exempt, not-billable,
expired (auto-delete-after passed), error.
The first line says how many account-regions were scanned: "Scanned k of n account-regions".
lastInvokedAt (json/csv) is a timestamp, "never" (not invoked in the 455 days CloudWatch keeps), or
null where it was not looked up (active endpoints, errors, unreadable history).

Exit codes: 0 every account-region was scanned (zombies or not); 1 bad flags, missing credentials,
or every account-region failed; 2 some account-regions could not be scanned (their findings are
still printed; --allow-partial exits 0 instead).

Examples:
  zombie-sweep scan --regions us-east-1,eu-west-1
  zombie-sweep scan --org --role-name ZombieSweepMemberRole --ous ou-ab12-34cd56ef -o json > findings.json
  zombie-sweep scan --org --output html --file scan.html
  zombie-sweep scan --org --regions all --endpoint-url http://127.0.0.1:4566`,
    )
    .action(async (flags: ScanFlags) => {
      await runScan(flags, {
        stdout: (text) => process.stdout.write(text),
        stderr: process.stderr,
        env: process.env,
        clock: systemClock,
        stdoutStream: process.stdout,
      });
    });
}

export interface ScanRun {
  results: TargetScanResult[];
  notEnabled: NotEnabledTarget[];
  findings: Finding[];
  apiCalls: ReturnType<ApiCallCounter['stats']>;
}

function parseConcurrency(value: string): number {
  const concurrency = Number(value);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new InputValidationError(`invalid --concurrency: must be a whole number from 1 to 64 (got ${JSON.stringify(value)})`, '--concurrency');
  return concurrency;
}

/** Every flag is checked before the first AWS call. */
function validateFlags(flags: ScanFlags) {
  const targeting = parseTargeting(flags);
  validateRegionNames(targeting);
  const settings = resolveDetectionSettings(parseDetection(flags));
  const concurrency = parseConcurrency(flags.concurrency);
  if (flags.output === 'html' && !flags.file)
    throw new InputValidationError('invalid --output: html needs --file <path> (an HTML page is not for a terminal)', '--output');
  const prices: PriceTable | undefined = flags.priceFile !== undefined ? loadPriceFile(flags.priceFile) : undefined;
  return { targeting, settings, concurrency, prices };
}

export async function runScan(flags: ScanFlags, io: ScanIo): Promise<ScanRun> {
  const { targeting, settings, concurrency, prices } = validateFlags(flags);
  const log: Log = streamLog((line) => io.stderr.write(line), flags.verbose ? 'debug' : 'error');
  const counter = new ApiCallCounter();
  const factory = cliClientFactory({ profile: flags.profile, counter, env: io.env });
  const caller = await callerIdentity(factory, flags.profile);
  // Scanning starts on the first page of accounts while the rest of the organization is listed.
  const { targets, notEnabled } = streamScanTargets(factory, caller, targeting, homeRegion(io.env), log);
  const progress = showsProgress(flags) ? createProgress(io.stderr, 'scanning') : silentProgress;
  progress.update(0, 0, 'listing account-regions');
  let endpoints = 0;
  const scanned = await scanTargets({
    factory,
    targets,
    settings,
    clock: io.clock,
    log,
    targetConcurrency: concurrency,
    ...(prices ? { prices } : {}),
    onTargetDone: (result, done, total) => {
      endpoints += result.findings.length;
      progress.update(done, total, `${result.accountId}/${result.region} ${result.status}, ${endpoints} endpoints so far`);
    },
  });
  // Arrival order is the organization's page order; the report lists account-regions in a stable order.
  const results = scanned.sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region));
  notEnabled.sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region));
  const outcome: ScanOutcome = { results, notEnabled };
  progress.finish(summaryLine(scanSummary(outcome)));
  const apiCalls = counter.stats();
  writeOutput(flags, io, outcome, apiCalls);
  failUnlessComplete(flags, outcome);
  return { results, notEnabled, findings: results.flatMap((r) => r.findings), apiCalls };
}

function writeOutput(flags: ScanFlags, io: ScanIo, outcome: ScanOutcome, apiCalls: ReturnType<ApiCallCounter['stats']>): void {
  const findings = outcome.results.flatMap((r) => r.findings);
  let text: string;
  if (flags.output === 'json') text = `${JSON.stringify(scanJson(outcome, apiCalls), null, 2)}\n`;
  else if (flags.output === 'csv') {
    text = renderScanCsv(findings);
    // A footer row would break CSV readers; each priced row's reason carries the same caveat.
    for (const note of priceTableNotes(findings, flags.priceFile)) io.stderr.write(`${note}\n`);
  } else if (flags.output === 'html')
    text = scanReportHtml(outcome, { requestedBy: 'zombie-sweep scan', now: io.clock.now(), settings: parseDetection(flags) });
  else
    text = renderScanTable(outcome, {
      ...(flags.file ? {} : { maxWidth: terminalWidth(io.stdoutStream ?? {}, io.env) }),
      ...(flags.priceFile ? { priceFile: flags.priceFile } : {}),
    });
  if (flags.file) {
    writeFileSync(flags.file, text);
    if (showsProgress(flags)) io.stderr.write(`wrote ${flags.file}\n`);
  } else io.stdout(text);
}

/** A scan that missed account-regions is not a clean result: exit 1 when nothing was scanned, 2 when some was. */
function failUnlessComplete(flags: ScanFlags, outcome: ScanOutcome): void {
  const { results } = outcome;
  const failed = results.filter((r) => r.status !== 'ok');
  if (results.length === 0) {
    const why = outcome.notEnabled.length > 0 ? `: the ${outcome.notEnabled.length} named account-region(s) are not enabled` : '';
    throw new AllTargetsFailedError(`no account-region to scan matched the targeting flags${why}; nothing was scanned`);
  }
  if (failed.length === results.length) {
    const first = failed[0]!;
    throw new AllTargetsFailedError(
      `all ${results.length} account-regions failed; first: ${first.accountId}/${first.region} ${first.status}: ${first.error ?? 'unknown error'}`,
    );
  }
  if (failed.length > 0 && !flags.allowPartial) {
    throw new PartialScanError(
      `scanned ${results.length - failed.length} of ${results.length} account-regions; ${failed.length} could not be scanned (listed under "Not scanned"); --allow-partial accepts this`,
    );
  }
}
