import { writeFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Option, type Command } from 'commander';
import { InputValidationError } from '../../src/core/errors.ts';
import { renderSavingsHtml } from '../../src/savings/html.ts';
import { loadSavings, summarizeSavings, type SavingsSummary } from '../../src/savings/query.ts';
import { addCredentialOptions, callerIdentity, cliClientFactory } from '../shared/credentials.ts';
import { formatUsd, renderTable, toCsv } from '../shared/output.ts';

/** `zombie-sweep savings`: what sweeps removed, per month, account and owner, from the archive bucket. */
export interface SavingsFlags {
  archiveBucket: string;
  since?: string;
  output: 'table' | 'json' | 'csv' | 'html';
  file?: string;
  profile?: string;
}

export interface SavingsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const SINCE = /^\d{4}-\d{2}(-\d{2})?$/;

export function registerSavings(program: Command): void {
  const command = program
    .command('savings')
    .description('Show what sweeps saved: $/month removed per month, per account and per owner, from the archive bucket.')
    .requiredOption('--archive-bucket <bucket>', 'the archive bucket sweeps write to')
    .option('--since <date>', 'only sweeps finished in this month or later (YYYY-MM or YYYY-MM-DD)')
    .addOption(
      new Option('--output <format>', 'table, json, csv (one row per month), or html (a self-contained page with a chart)')
        .choices(['table', 'json', 'csv', 'html'])
        .default('table'),
    )
    .option('--file <path>', 'write to this file instead of stdout');
  addCredentialOptions(command);
  command
    .addHelpText(
      'after',
      '\nExamples:\n  zombie-sweep savings --archive-bucket zombie-archive\n  zombie-sweep savings --archive-bucket zombie-archive --since 2026-01 --output html --file savings.html',
    )
    .action(async (flags: SavingsFlags) => {
      await runSavings(flags, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env });
    });
}

export async function runSavings(flags: SavingsFlags, io: SavingsIo): Promise<SavingsSummary> {
  if (flags.since !== undefined && !SINCE.test(flags.since))
    throw new InputValidationError(`--since ${JSON.stringify(flags.since)}: must be YYYY-MM or YYYY-MM-DD`, 'since');
  const clients = cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-savings' });
  await callerIdentity(clients, flags.profile);
  const summary = summarizeSavings(await loadSavings(clients.hub(S3Client), flags.archiveBucket), flags.since);
  const text = renderSavings(summary, flags.output);
  if (flags.file) {
    writeFileSync(flags.file, text);
    io.stderr(`wrote ${flags.file}\n`);
  } else io.stdout(text);
  return summary;
}

export function renderSavings(summary: SavingsSummary, format: SavingsFlags['output']): string {
  if (format === 'json') return `${JSON.stringify(summary, null, 2)}\n`;
  if (format === 'html') return renderSavingsHtml(summary);
  if (format === 'csv') return toCsv(summary.byMonth as unknown as Record<string, unknown>[], ['month', 'endpoints', 'addedUsd', 'runRateUsd', 'idleUsd']);
  const head = [
    `Savings${summary.since ? ` since ${summary.since}` : ''}: ${summary.endpoints} endpoint${summary.endpoints === 1 ? '' : 's'} removed by ${summary.sweeps} sweep${summary.sweeps === 1 ? '' : 's'}, ${formatUsd(summary.addedUsd)}/month.`,
    `No longer paid: ${formatUsd(summary.runRateUsd)}/month.${summary.unpriced > 0 ? ` ${summary.unpriced} removed endpoint(s) had no known price.` : ''}`,
  ].join('\n');
  const months = renderTable(summary.byMonth, [
    { header: 'MONTH', value: (m) => m.month },
    { header: 'REMOVED', value: (m) => m.endpoints.toLocaleString('en-US'), align: 'right' },
    { header: 'ADDED $/MONTH', value: (m) => formatUsd(m.addedUsd), align: 'right' },
    { header: 'RUN RATE $/MONTH', value: (m) => formatUsd(m.runRateUsd), align: 'right' },
    { header: 'IDLE FOUND $/MONTH', value: (m) => formatUsd(m.idleUsd), align: 'right' },
  ]);
  const groups = (title: string, rows: SavingsSummary['byOwner']) =>
    renderTable(rows, [
      { header: title, value: (g) => g.key },
      { header: 'REMOVED', value: (g) => g.endpoints.toLocaleString('en-US'), align: 'right' },
      { header: '$/MONTH', value: (g) => formatUsd(g.monthlyUsd), align: 'right' },
    ]);
  return `${head}\n\n${months}\n${groups('ACCOUNT', summary.byAccount)}\n${groups('OWNER', summary.byOwner)}`;
}
