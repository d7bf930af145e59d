import { paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { InputValidationError, PreconditionFailedError } from '../../src/core/errors.ts';
import { layout } from '../../src/core/layout.ts';
import { streamLog } from '../../src/core/log.ts';
import { AccountIdSchema, EndpointArnSchema, EndpointNameSchema, ExternalIdSchema, RegionSchema, RoleNameSchema } from '../../src/core/schemas.ts';
import { restoreEndpoint, type RestoreRequest, type RestoreResult } from '../../src/cleanup/restore/restore.ts';
import { checkArchiveBucket, requireBucket, validateBucket, withArchiveBucket } from '../shared/bucket.ts';
import { cliClientFactory } from '../shared/credentials.ts';
import { addGlobalOptions, type GlobalFlags } from '../shared/globals.ts';
import { ioFromProcess, type CliIo } from './audit.ts';

/**
 * `zombie-sweep restore`: recreate a deleted endpoint from its snapshot manifest, on the archived
 * artifacts, with the caller's credentials in the endpoint's account (or a role assumed there).
 */
export interface RestoreCliFlags extends GlobalFlags {
  manifest?: string;
  endpoint?: string;
  account?: string;
  endpointRegion?: string;
  archiveBucket?: string;
  roleName?: string;
  externalId?: string;
  endpointName?: string;
  wait?: boolean;
  output: 'table' | 'text' | 'json';
  verbose?: boolean;
  auditRetentionDays?: string;
  auditRetentionMode?: string;
}

export function registerRestore(program: Command): void {
  const command = program
    .command('restore')
    .description('Recreate a deleted endpoint (models, endpoint config, inference components, endpoint) from its snapshot, tagged zombie=restored.')
    .option('--manifest <s3-uri>', 'the snapshot manifest, s3://<archive-bucket>/manifests/<account>/<region>/<endpoint>/<sweep>.json')
    .option(
      '--endpoint <name|arn>',
      "the deleted endpoint's ARN or name: restores from its newest manifest (needs --archive-bucket); a name is looked up in every account and region of the archive (narrow with --account/--endpoint-region)",
    )
    .option('--account <id>', 'with --endpoint NAME: the account the endpoint was in')
    .option('--endpoint-region <region>', 'with --endpoint NAME: the region the endpoint was in')
    .option('--archive-bucket <bucket>', 'the archive bucket (with --endpoint)')
    .option('--role-name <name>', "assume this role in the endpoint's account (default: use your credentials, which must be in that account)")
    .option('--external-id <id>', 'external id for --role-name')
    .option('--endpoint-name <name>', 'restore under this name instead of the original one')
    .option('--wait', 'wait until the endpoint is InService (always done when it has inference components or autoscaling)')
    .option(
      '--audit-retention-days <days>',
      'Object Lock retention of the restored audit event, as the workflow sets it (default: $AUDIT_RETENTION_DAYS, else none)',
    )
    .option('--audit-retention-mode <mode>', 'COMPLIANCE or GOVERNANCE (default: $AUDIT_RETENTION_MODE, else COMPLIANCE)')
    .option('--verbose', 'log each step as JSON lines on stderr');
  addGlobalOptions(command, ['table', 'text', 'json'], 'table');
  command
    .addHelpText(
      'after',
      `
Refuses (exit 1, one line on stderr) when an endpoint with the name exists, the credentials are in
another account, or an archived artifact is missing. Models and configs that still exist with a
different definition are left alone; restore creates <name>-restored-<sweep> beside them.

Examples:
  zombie-sweep restore --manifest s3://zs-archive/manifests/123456789012/us-east-1/fraud-v2/sweep-2025-01-31-a1b2.json
  zombie-sweep restore --endpoint arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-v2 --archive-bucket zs-archive --role-name OpsRestoreRole
  zombie-sweep restore --endpoint fraud-v2 --archive-bucket zs-archive`,
    )
    .action(async (flags: RestoreCliFlags) => {
      await runRestore(flags, ioFromProcess());
    });
}

function check<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } },
  value: string,
  flag: string,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InputValidationError(`invalid ${flag}: ${parsed.error.issues[0]?.message} (got ${JSON.stringify(value)})`, flag);
  return parsed.data;
}

/** Validates the flags into a restore request; every error names the flag. */
export function parseRestoreFlags(flags: RestoreCliFlags): RestoreRequest {
  if ((flags.manifest === undefined) === (flags.endpoint === undefined))
    throw new InputValidationError('give exactly one of --manifest or --endpoint', '--manifest');
  const request: RestoreRequest = { wait: flags.wait === true };
  if (flags.manifest !== undefined) {
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/manifests\/.+\.json$/.test(flags.manifest)) {
      throw new InputValidationError(
        `invalid --manifest: must be s3://<bucket>/manifests/.../<sweep>.json (got ${JSON.stringify(flags.manifest)})`,
        '--manifest',
      );
    }
    if (flags.archiveBucket !== undefined)
      throw new InputValidationError('--archive-bucket only applies with --endpoint (the manifest URI names its bucket)', '--archive-bucket');
    validateBucket(flags.manifest.slice('s3://'.length).split('/')[0]!, '--manifest');
    request.manifestUri = flags.manifest;
  } else {
    const endpoint = flags.endpoint!;
    if (endpoint.startsWith('arn:')) {
      request.endpointArn = check(EndpointArnSchema, endpoint, '--endpoint');
      if (flags.account !== undefined || flags.endpointRegion !== undefined)
        throw new InputValidationError(
          '--account and --endpoint-region only apply with --endpoint NAME (the ARN names both)',
          flags.account !== undefined ? '--account' : '--endpoint-region',
        );
    } else check(EndpointNameSchema, endpoint, '--endpoint');
    request.archiveBucket = requireBucket(flags.archiveBucket);
  }
  if (flags.manifest !== undefined && (flags.account !== undefined || flags.endpointRegion !== undefined))
    throw new InputValidationError(
      '--account and --endpoint-region only apply with --endpoint NAME',
      flags.account !== undefined ? '--account' : '--endpoint-region',
    );
  if (flags.account !== undefined) check(AccountIdSchema, flags.account, '--account');
  if (flags.endpointRegion !== undefined) check(RegionSchema, flags.endpointRegion, '--endpoint-region');
  if (flags.externalId !== undefined && flags.roleName === undefined)
    throw new InputValidationError('--external-id only applies with --role-name', '--external-id');
  if (flags.roleName !== undefined) request.roleName = check(RoleNameSchema, flags.roleName, '--role-name');
  if (flags.externalId !== undefined) request.externalId = check(ExternalIdSchema, flags.externalId, '--external-id');
  if (flags.endpointName !== undefined) request.endpointName = check(EndpointNameSchema, flags.endpointName, '--endpoint-name');
  return request;
}

/** The audit event of a restore is kept as long as the workflow's own events (docs/audit.md). */
export function auditRetentionOf(flags: RestoreCliFlags, env: NodeJS.ProcessEnv): { mode: 'COMPLIANCE' | 'GOVERNANCE'; days: number } | undefined {
  const rawDays = flags.auditRetentionDays ?? env.AUDIT_RETENTION_DAYS;
  if (rawDays === undefined || rawDays === '') return undefined;
  if (!/^\d+$/.test(rawDays) || Number(rawDays) < 1 || Number(rawDays) > 36_500)
    throw new InputValidationError(
      `invalid --audit-retention-days: must be a whole number from 1 to 36500 (got ${JSON.stringify(rawDays)})`,
      '--audit-retention-days',
    );
  const mode = (flags.auditRetentionMode ?? env.AUDIT_RETENTION_MODE ?? 'COMPLIANCE').toUpperCase();
  if (mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE')
    throw new InputValidationError(`invalid --audit-retention-mode: must be COMPLIANCE or GOVERNANCE (got ${JSON.stringify(mode)})`, '--audit-retention-mode');
  return { mode, days: Number(rawDays) };
}

export function formatRestore(result: RestoreResult): string {
  const lines = [
    `Restored ${result.endpointArn} (${result.status}) from ${result.manifestUri}`,
    `  endpoint config: ${result.endpointConfigName}`,
    ...result.models.map((m) => `  model: ${m.name} (${m.action}${m.name !== m.original ? `, originally ${m.original}` : ''})`),
    ...result.inferenceComponents.map((c) => `  inference component: ${c.name}${c.name !== c.original ? ` (originally ${c.original})` : ''}`),
    `  tags: ${Object.entries(result.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    ...result.warnings.map((w) => `  warning: ${w}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Children of a prefix ("folders"), through ListObjectsV2 with a delimiter. */
async function childrenOf(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
    for (const common of page.CommonPrefixes ?? []) if (common.Prefix) names.push(common.Prefix.slice(prefix.length).replace(/\/$/, ''));
  }
  return names;
}

/**
 * `--endpoint NAME`: the ARN of the one archived endpoint with that name (manifests/<account>/<region>/<name>/),
 * within --account and --endpoint-region when given. Several matches are refused with their ARNs, never guessed.
 */
export async function endpointArnByName(
  s3: S3Client,
  bucket: string,
  flags: Pick<RestoreCliFlags, 'endpoint' | 'account' | 'endpointRegion'>,
): Promise<string> {
  const name = flags.endpoint!;
  const root = layout.manifestsRoot();
  const accounts = flags.account ? [flags.account] : await childrenOf(s3, bucket, root);
  const matches: string[] = [];
  for (const accountId of accounts) {
    const regions = flags.endpointRegion ? [flags.endpointRegion] : await childrenOf(s3, bucket, `${root}${accountId}/`);
    for (const region of regions) {
      const found = await childrenOf(s3, bucket, `${root}${accountId}/${region}/`);
      if (found.includes(name)) matches.push(`arn:aws:sagemaker:${region}:${accountId}:endpoint/${name}`);
    }
  }
  if (matches.length === 0)
    throw new PreconditionFailedError(
      `no snapshot manifest for an endpoint named ${name} in s3://${bucket}/${root}${flags.account ? `${flags.account}/` : ''}`,
      'no-manifest',
    );
  if (matches.length > 1)
    throw new InputValidationError(
      `invalid --endpoint: ${name} was archived in ${matches.length} places (${matches.join(', ')}); give the ARN, or narrow with --account/--endpoint-region`,
      '--endpoint',
    );
  return matches[0]!;
}

export async function runRestore(flags: RestoreCliFlags, io: CliIo & { clock?: Clock; pollIntervalMs?: number }): Promise<RestoreResult> {
  const request = parseRestoreFlags(flags);
  const auditRetention = auditRetentionOf(flags, io.env);
  const factory = io.factory ?? cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-restore' });
  const log = streamLog((line) => io.stderr(line), flags.verbose ? 'debug' : 'error');
  const bucket = request.archiveBucket ?? request.manifestUri!.slice('s3://'.length).split('/')[0]!;
  const flag = request.archiveBucket ? '--archive-bucket' : '--manifest';
  const s3 = factory.hub(S3Client);
  await checkArchiveBucket(s3, bucket, flag);
  if (flags.endpoint !== undefined && !request.endpointArn)
    request.endpointArn = await withArchiveBucket(bucket, () => endpointArnByName(s3, bucket, flags), flag);
  const result = await withArchiveBucket(
    bucket,
    () =>
      restoreEndpoint(request, {
        factory,
        clock: io.clock ?? systemClock,
        log,
        auditRetention,
        ...(io.pollIntervalMs ? { pollIntervalMs: io.pollIntervalMs } : {}),
      }),
    flag,
  );
  io.stdout(flags.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatRestore(result));
  return result;
}
