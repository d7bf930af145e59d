import type { Command } from 'commander';
import { S3Client } from '@aws-sdk/client-s3';
import type { ClientFactory } from '../../src/core/clients.ts';
import type { AuditEvent } from '../../src/audit/events.ts';
import { formatAuditOutput, parseAuditQuery } from '../../src/audit/query.ts';
import { readAuditEvents } from '../../src/audit/reader.ts';
import { checkArchiveBucket, requireBucket, withArchiveBucket } from '../shared/bucket.ts';
import { cliClientFactory } from '../shared/credentials.ts';
import { addGlobalOptions, type GlobalFlags } from '../shared/globals.ts';
import { terminalWidth } from '../shared/output.ts';

export { BucketNameSchema, requireBucket } from '../shared/bucket.ts';

/**
 * `zombie-sweep audit`: an endpoint's tag history as a timeline (deleted endpoints included), or a
 * filtered list of audit events, read from the archive bucket. Events go to stdout; warnings to stderr.
 */
export interface AuditCliFlags extends GlobalFlags {
  endpoint?: string;
  account?: string;
  endpointRegion?: string;
  sweep?: string;
  since?: string;
  output: 'table' | 'text' | 'json' | 'csv';
  archiveBucket?: string;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Tests pass a factory bound to the simulator; the CLI builds one from the environment. */
  factory?: ClientFactory;
  /** The stream stdout writes to, for the width tables fit; the CLI passes process.stdout. */
  stdoutStream?: { isTTY?: boolean; columns?: number };
}

export function ioFromProcess(): CliIo {
  return { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text), env: process.env, stdoutStream: process.stdout };
}

export function registerAudit(program: Command): void {
  const command = program
    .command('audit')
    .description("Print an endpoint's tag history as a timeline (deleted endpoints too), or a filtered list of audit events.")
    .option(
      '--endpoint <name|arn>',
      'one endpoint: its ARN reads a single prefix; a bare name searches every account and region (narrow with --account/--endpoint-region)',
    )
    .option('--account <id>', 'only events of this account')
    .option('--endpoint-region <region>', 'only events of endpoints in this region')
    .option('--sweep <id>', 'only events of this sweep (its own events and every endpoint it touched)')
    .option('--since <date>', 'only events at or after this ISO date or timestamp (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)')
    .option('--archive-bucket <bucket>', 'the archive bucket holding the audit trail (required)');
  addGlobalOptions(
    command,
    ['table', 'text', 'json', 'csv'],
    'table',
    'output format (table: a timeline that fits the terminal; json and csv: every field in full)',
  );
  command
    .addHelpText(
      'after',
      `
Examples:
  zombie-sweep audit --archive-bucket zs-archive --endpoint arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-v2
  zombie-sweep audit --archive-bucket zs-archive --endpoint fraud-v2 --endpoint-region us-east-1
  zombie-sweep audit --archive-bucket zs-archive --sweep sweep-2025-01-31-a1b2 -o csv > sweep.csv
  zombie-sweep audit --archive-bucket zs-archive --account 123456789012 --since 2025-01-01 -o json`,
    )
    .action(async (flags: AuditCliFlags) => {
      await runAudit(flags, ioFromProcess());
    });
}

export async function runAudit(flags: AuditCliFlags, io: CliIo): Promise<AuditEvent[]> {
  const bucket = requireBucket(flags.archiveBucket);
  const query = parseAuditQuery({
    ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}),
    ...(flags.account !== undefined ? { account: flags.account } : {}),
    ...(flags.endpointRegion !== undefined ? { region: flags.endpointRegion } : {}),
    ...(flags.sweep !== undefined ? { sweep: flags.sweep } : {}),
    ...(flags.since !== undefined ? { since: flags.since } : {}),
    output: flags.output === 'text' ? 'table' : flags.output,
  });
  const factory = io.factory ?? cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-audit' });
  const s3 = factory.hub(S3Client);
  await checkArchiveBucket(s3, bucket);
  const { events, warnings } = await withArchiveBucket(bucket, () => readAuditEvents(s3, bucket, query));
  for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
  io.stdout(formatAuditOutput(events, query, { maxWidth: terminalWidth(io.stdoutStream ?? {}, io.env) }));
  return events;
}
