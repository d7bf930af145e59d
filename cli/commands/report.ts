import { writeFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Option, type Command } from 'commander';
import { InputValidationError } from '../../src/core/errors.ts';
import { SweepIdSchema } from '../../src/core/schemas.ts';
import { renderReportHtml } from '../../src/sweep/html.ts';
import type { SweepReport } from '../../src/sweep/model.ts';
import { readReport } from '../../src/sweep/report-store.ts';
import { reportText } from '../../src/sweep/text.ts';
import { addCredentialOptions, callerIdentity, cliClientFactory } from '../shared/credentials.ts';
import { formatUsd, renderTable, toCsv, truncate } from '../shared/output.ts';

/** `zombie-sweep report SWEEP`: the sweep report from the archive bucket, as a table, JSON, CSV or a self-contained HTML page. */
export interface ReportFlags {
  archiveBucket: string;
  output: 'table' | 'json' | 'csv' | 'html';
  file?: string;
  profile?: string;
}

export interface ReportIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('Show a sweep report from the archive bucket: findings, actions, approval, deletions, $/month.')
    .argument('<sweep>', 'sweep id (as printed by zombie-sweep start)')
    .requiredOption('--archive-bucket <bucket>', 'the archive bucket the sweep wrote to')
    .addOption(new Option('--output <format>', 'table, json, csv, or html (a self-contained page with charts)').choices(['table', 'json', 'csv', 'html']).default('table'))
    .option('--file <path>', 'write the report to this file instead of stdout');
  addCredentialOptions(command);
  command
    .addHelpText('after', '\nExamples:\n  zombie-sweep report sweep-20250101-120000-ab12 --archive-bucket zombie-archive\n  zombie-sweep report sweep-20250101-120000-ab12 --archive-bucket zombie-archive --output html --file report.html')
    .action(async (sweepId: string, flags: ReportFlags) => {
      await runReport(sweepId, flags, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env });
    });
}

export async function runReport(sweepId: string, flags: ReportFlags, io: ReportIo): Promise<SweepReport> {
  if (!SweepIdSchema.safeParse(sweepId).success) throw new InputValidationError(`invalid sweep id ${JSON.stringify(sweepId)}: must be 3-80 letters, digits or hyphens`, 'sweep');
  const clients = cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-report' });
  await callerIdentity(clients, flags.profile);
  const report = await readReport(clients.hub(S3Client), flags.archiveBucket, sweepId);
  const text = renderReport(report, flags.output);
  if (flags.file) {
    writeFileSync(flags.file, text);
    io.stderr(`wrote ${flags.file}\n`);
  } else io.stdout(text);
  return report;
}

export function renderReport(report: SweepReport, format: ReportFlags['output']): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'html') return renderReportHtml(report);
  const actions = new Map(report.actions.map((a) => [a.endpointArn, a]));
  const rows = [...report.findings]
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
        invocations: f.invocations ?? '',
        lastInvokedAt: f.lastInvokedAt ?? (f.verdict === 'zombie' ? 'never' : ''),
        monthlyCostUsd: f.monthlyCostUsd,
        snapshot: a?.snapshot ?? '',
        manifestUri: a?.manifestUri ?? '',
        decision: a?.decision ?? '',
        deletion: a?.deletion ?? '',
        note: a?.reason ?? '',
        endpointArn: f.endpointArn,
      };
    });
  if (format === 'csv') return toCsv(rows, Object.keys(rows[0] ?? { accountId: '' }));
  const table = renderTable(rows, [
    { header: 'ACCOUNT', value: (r) => r.accountId },
    { header: 'REGION', value: (r) => r.region },
    { header: 'ENDPOINT', value: (r) => truncate(r.endpointName, 40) },
    { header: 'VERDICT', value: (r) => r.verdict },
    { header: '$/MONTH', value: (r) => formatUsd(r.monthlyCostUsd), align: 'right' },
    { header: 'ACTIONS', value: (r) => [r.snapshot && (r.snapshot === 'archived' ? 'archived' : 'snapshot failed'), r.decision, r.deletion].filter(Boolean).join(' → ') },
  ]);
  return `${reportText(report).body}\n\n${table}`;
}
