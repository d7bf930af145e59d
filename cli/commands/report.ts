import { writeFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { InputValidationError } from '../../src/core/errors.ts';
import { SweepIdSchema } from '../../src/core/schemas.ts';
import { actionChain, instancesText, lastInvokedText, lastInvokedValue } from '../../src/sweep/facts.ts';
import { renderReportHtml } from '../../src/sweep/html.ts';
import type { SweepReport } from '../../src/sweep/model.ts';
import { readReport } from '../../src/sweep/report-store.ts';
import { reportText } from '../../src/sweep/text.ts';
import { checkArchiveBucket, requireBucket, withArchiveBucket } from '../shared/bucket.ts';
import { callerIdentity, cliClientFactory } from '../shared/credentials.ts';
import { addGlobalOptions, showsProgress, type GlobalFlags } from '../shared/globals.ts';
import { formatUsd, renderTable, terminalWidth, toCsv, type TableOptions } from '../shared/output.ts';

/** `zombie-sweep report SWEEP`: the sweep report from the archive bucket, as a table, JSON, CSV or a self-contained HTML page. */
const REPORT_FORMATS = ['table', 'text', 'json', 'csv', 'html'] as const;

export interface ReportFlags extends GlobalFlags {
  archiveBucket?: string;
  output: (typeof REPORT_FORMATS)[number];
  file?: string;
}

export interface ReportIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdoutStream?: { isTTY?: boolean; columns?: number };
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('Show a sweep report from the archive bucket: findings, actions, approval, deletions, $/month.')
    .argument('<sweep>', 'sweep id (as printed by zombie-sweep start)')
    .option('--archive-bucket <bucket>', 'the archive bucket the sweep wrote to (required)')
    .option('--file <path>', 'write the report to this file instead of stdout');
  addGlobalOptions(command, REPORT_FORMATS, 'table', 'output format (html: a self-contained page with charts)');
  command
    .addHelpText(
      'after',
      '\nExamples:\n  zombie-sweep report sweep-20250101-120000-ab12 --archive-bucket zombie-archive\n  zombie-sweep report sweep-20250101-120000-ab12 --archive-bucket zombie-archive --output html --file report.html',
    )
    .action(async (sweepId: string, flags: ReportFlags) => {
      await runReport(sweepId, flags, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        env: process.env,
        stdoutStream: process.stdout,
      });
    });
}

export async function runReport(sweepId: string, flags: ReportFlags, io: ReportIo): Promise<SweepReport> {
  if (!SweepIdSchema.safeParse(sweepId).success)
    throw new InputValidationError(`invalid sweep id ${JSON.stringify(sweepId)}: must be 3-80 letters, digits or hyphens`, 'sweep');
  const bucket = requireBucket(flags.archiveBucket);
  const clients = cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-report' });
  await callerIdentity(clients, flags.profile);
  const s3 = clients.hub(S3Client);
  await checkArchiveBucket(s3, bucket);
  const report = await withArchiveBucket(bucket, () => readReport(s3, bucket, sweepId));
  const text = renderReport(report, flags.output, flags.file ? {} : { maxWidth: terminalWidth(io.stdoutStream ?? {}, io.env) });
  if (flags.file) {
    writeFileSync(flags.file, text);
    if (showsProgress(flags)) io.stderr(`wrote ${flags.file}\n`);
  } else io.stdout(text);
  return report;
}

export function reportRows(report: SweepReport) {
  const actions = new Map(report.actions.map((a) => [a.endpointArn, a]));
  return [...report.findings]
    .sort((a, b) => (b.monthlyCostUsd ?? -1) - (a.monthlyCostUsd ?? -1))
    .map((f) => {
      const a = actions.get(f.endpointArn);
      return {
        accountId: f.accountId,
        region: f.region,
        endpointName: f.endpointName,
        verdict: f.verdict,
        endpointType: f.endpointType ?? '',
        instanceType: f.instanceType ?? '',
        instanceCount: f.instanceCount,
        instances: instancesText(f),
        invocations: f.invocations ?? '',
        lastInvokedAt: lastInvokedValue(f) ?? '',
        monthlyCostUsd: f.monthlyCostUsd,
        actions: actionChain(a),
        snapshot: a?.snapshot ?? '',
        manifestUri: a?.manifestUri ?? '',
        decision: a?.decision ?? '',
        deletion: a?.deletion ?? '',
        note: a?.reason ?? '',
        endpointArn: f.endpointArn,
        lastInvoked: lastInvokedText(f),
      };
    });
}

const CSV_FIELDS = [
  'accountId',
  'region',
  'endpointName',
  'verdict',
  'endpointType',
  'instanceType',
  'instanceCount',
  'instances',
  'invocations',
  'lastInvokedAt',
  'monthlyCostUsd',
  'actions',
  'snapshot',
  'manifestUri',
  'decision',
  'deletion',
  'note',
  'endpointArn',
] as const;

export function renderReport(report: SweepReport, format: ReportFlags['output'], table: TableOptions = {}): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'html') return renderReportHtml(report);
  const rows = reportRows(report);
  if (format === 'csv') return toCsv(rows, CSV_FIELDS);
  const rendered = renderTable(
    rows,
    [
      { header: 'ACCOUNT', value: (r) => r.accountId },
      { header: 'REGION', value: (r) => r.region },
      { header: 'ENDPOINT', value: (r) => r.endpointName, flexible: true },
      { header: 'VERDICT', value: (r) => r.verdict },
      { header: 'INSTANCES', value: (r) => r.instances },
      { header: 'LAST INVOKED', value: (r) => r.lastInvoked },
      { header: '$/MONTH', value: (r) => formatUsd(r.monthlyCostUsd), align: 'right' },
      { header: 'ACTIONS', value: (r) => r.actions, flexible: true },
    ],
    table,
  );
  return `${reportText(report).body}\n\n${rendered}`;
}
