import type { Command } from 'commander';
import type { z } from 'zod';
import { InputValidationError } from '../../src/core/errors.ts';
import { DEFAULT_MEMBER_ROLE, DetectionSettingsSchema, TargetingSchema, type DetectionSettingsInput, type Targeting } from '../../src/core/schemas.ts';

/**
 * Targeting and detection flags shared by `scan` and `start --local`. Flags are parsed into the
 * src/core/schemas.ts shapes, so the CLI accepts exactly what the state machine accepts, and every
 * error names the flag the user typed.
 */
export interface TargetingFlags {
  org?: boolean;
  roleName?: string;
  externalId?: string;
  accounts?: string;
  excludeAccounts?: string;
  ous?: string;
  regions?: string;
}

export interface DetectionFlags {
  lookbackDays?: string;
  minAgeDays?: string;
  threshold?: string;
}

export function addTargetingOptions(command: Command): Command {
  return command
    .option('--org', 'scan every ACTIVE account of the AWS Organization through the member role (default: only the account of your credentials)')
    .option('--role-name <name>', `with --org: member role to assume in each account (default: ${DEFAULT_MEMBER_ROLE})`)
    .option('--external-id <id>', 'with --org: external id the member role trust policy requires')
    .option('--accounts <ids>', 'with --org: only these account ids (comma-separated); combined with --ous, accounts in either are scanned')
    .option('--exclude-accounts <ids>', 'with --org: skip these account ids (comma-separated)')
    .option('--ous <ids>', 'with --org: only accounts under these OU or root ids, recursively (comma-separated, e.g. ou-ab12-34cd56ef)')
    .option('--regions <list>', 'regions to scan, comma-separated, or "all" for every region enabled in each account', 'all');
}

export function addDetectionOptions(command: Command): Command {
  return command
    .option('--lookback-days <days>', 'window in which an endpoint must have had no invocations (1-455)', '30')
    .option('--min-age-days <days>', 'endpoints created or updated more recently are reported too-new (default: --lookback-days)')
    .option('--threshold <invocations>', 'an endpoint with at most this many invocations in the window is idle', '0');
}

const FLAG_OF_FIELD: Record<string, string> = {
  org: '--org',
  roleName: '--role-name',
  externalId: '--external-id',
  accounts: '--accounts',
  excludeAccounts: '--exclude-accounts',
  ous: '--ous',
  regions: '--regions',
  lookbackDays: '--lookback-days',
  minAgeDays: '--min-age-days',
  thresholdInvocations: '--threshold',
};

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

function invalid(field: string, message: string): InputValidationError {
  const flag = FLAG_OF_FIELD[field] ?? field;
  return new InputValidationError(`invalid ${flag}: ${message}`, flag);
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, raw: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = String(issue.path[0] ?? '');
  const index = issue.path[1];
  const got = typeof index === 'number' ? (raw[field] as unknown[] | undefined)?.[index] : raw[field];
  throw invalid(field, `${issue.message}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}`);
}

export function parseTargeting(flags: TargetingFlags): Targeting {
  const org = flags.org === true;
  if (!org) {
    for (const field of ['roleName', 'externalId', 'accounts', 'excludeAccounts', 'ous'] as const) {
      if (flags[field] !== undefined) throw invalid(field, 'only applies with --org');
    }
  }
  const regions = flags.regions === undefined || flags.regions.trim() === 'all' ? 'all' : list(flags.regions);
  if (Array.isArray(regions) && regions.length === 0) throw invalid('regions', 'give at least one region, or "all"');
  const raw = {
    org,
    ...(flags.roleName !== undefined ? { roleName: flags.roleName } : {}),
    ...(flags.externalId !== undefined ? { externalId: flags.externalId } : {}),
    ...(flags.accounts !== undefined ? { accounts: list(flags.accounts) } : {}),
    ...(flags.excludeAccounts !== undefined ? { excludeAccounts: list(flags.excludeAccounts) } : {}),
    ...(flags.ous !== undefined ? { ous: list(flags.ous) } : {}),
    regions,
  };
  if (raw.accounts && raw.accounts.length === 0) throw invalid('accounts', 'give at least one account id');
  if (raw.ous && raw.ous.length === 0) throw invalid('ous', 'give at least one OU id');
  return parseWith(TargetingSchema, raw, raw);
}

function integer(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(value)) throw invalid(field, `must be a whole number (got ${JSON.stringify(value)})`);
  return Number(value);
}

export function parseDetection(flags: DetectionFlags): DetectionSettingsInput {
  const raw = {
    ...(flags.lookbackDays !== undefined ? { lookbackDays: integer('lookbackDays', flags.lookbackDays) } : {}),
    ...(flags.minAgeDays !== undefined ? { minAgeDays: integer('minAgeDays', flags.minAgeDays) } : {}),
    ...(flags.threshold !== undefined ? { thresholdInvocations: integer('thresholdInvocations', flags.threshold) } : {}),
  };
  parseWith(DetectionSettingsSchema, raw, raw);
  return raw;
}
