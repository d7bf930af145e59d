import { Option, type Command } from 'commander';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { ClientFactory } from '../../src/core/clients.ts';
import { InputValidationError } from '../../src/core/errors.ts';
import type { AuditEvent } from '../../src/audit/events.ts';
import { formatAuditOutput, parseAuditQuery, type AuditOutput } from '../../src/audit/query.ts';
import { readAuditEvents } from '../../src/audit/reader.ts';
import { addCredentialOptions, cliClientFactory } from '../shared/credentials.ts';

/**
 * `zombie-sweep audit`: an endpoint's tag history as a timeline (deleted endpoints included), or a
 * filtered list of audit events, read from the archive bucket. Events go to stdout; warnings to stderr.
 */
export interface AuditCliFlags {
  endpoint?: string;
  account?: string;
  region?: string;
  sweep?: string;
  since?: string;
  output: AuditOutput;
  archiveBucket?: string;
  profile?: string;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Tests pass a factory bound to the simulator; the CLI builds one from the environment. */
  factory?: ClientFactory;
}

/** S3 bucket naming rules (S3 User Guide, "General purpose bucket naming rules"). */
export const BucketNameSchema = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)');

export function requireBucket(value: string | undefined, flag = '--archive-bucket'): string {
  if (value === undefined) throw new InputValidationError(`${flag} is required`, flag);
  const parsed = BucketNameSchema.safeParse(value);
  if (!parsed.success) throw new InputValidationError(`invalid ${flag}: ${parsed.error.issues[0]?.message} (got ${JSON.stringify(value)})`, flag);
  return parsed.data;
}

export function ioFromProcess(): CliIo {
  return { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text), env: process.env };
}

export function registerAudit(program: Command): void {
  const command = program
    .command('audit')
    .description("Print an endpoint's tag history as a timeline (deleted endpoints too), or a filtered list of audit events.")
    .option('--endpoint <name|arn>', 'one endpoint: its ARN reads a single prefix; a bare name searches every account and region (narrow with --account/--region)')
    .option('--account <id>', 'only events of this account')
    .option('--region <region>', 'only events of this region')
    .option('--sweep <id>', 'only events of this sweep (its own events and every endpoint it touched)')
    .option('--since <date>', 'only events at or after this ISO date or timestamp (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)')
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--archive-bucket <bucket>', 'the archive bucket holding the audit trail (required)');
  addCredentialOptions(command);
  command
    .addHelpText(
      'after',
      `
Examples:
  zombie-sweep audit --archive-bucket zs-archive --endpoint arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-v2
  zombie-sweep audit --archive-bucket zs-archive --sweep sweep-2025-01-31-a1b2 --output csv > sweep.csv
  zombie-sweep audit --archive-bucket zs-archive --account 123456789012 --since 2025-01-01 --output json`,
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
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    ...(flags.sweep !== undefined ? { sweep: flags.sweep } : {}),
    ...(flags.since !== undefined ? { since: flags.since } : {}),
    output: flags.output,
  });
  const factory = io.factory ?? cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-audit' });
  const { events, warnings } = await readAuditEvents(factory.hub(S3Client), bucket, query);
  for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
  io.stdout(formatAuditOutput(events, query));
  return events;
}
