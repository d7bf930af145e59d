import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  AccountIdSchema,
  ApprovalSettingsFields,
  DEFAULT_MEMBER_ROLE,
  DetectionSettingsFields,
  checkApprovalSettings,
  checkDetectionSettings,
  EmailSchema,
  OuIdSchema,
  ProtectedListSchema,
  RegionSchema,
  RoleNameSchema,
  SweepModeSchema,
} from '../src/core/schemas.ts';
import { InputValidationError, fromZodError } from '../src/core/errors.ts';
import { MAX_MEMBER_ROLE_BASE_LENGTH } from '../src/core/capabilities.ts';
import { bucketNamesFor } from './names.ts';

/** Lambda caps a function's environment at 4 KB in all; the protected list shares it with the other variables. */
const PROTECTED_LIST_MAX_CHARS = 2500;

/**
 * The one deployment configuration: a JSON file (zombie-sweep.config.json, see
 * zombie-sweep.config.example.json) plus CDK context overrides. Every field is validated here, so a
 * wrong or missing value fails `cdk synth` with the field named instead of failing a deployment later.
 */

// CloudWatch Logs accepts only these retention periods (PutRetentionPolicy); 9999 = never expire.
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 9999] as const;

// Context overrides arrive as strings (`-c zombieSweep.retention.logDays=90`); accept numeric strings for numbers.
const numeric = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v), schema);
const boolish = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), schema);
/** The same for every top-level field of a settings object shared with the sweep input (its numbers and booleans). */
const contextValues = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const decode = (x: unknown) => (typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x) ? Number(x) : x === 'true' ? true : x === 'false' ? false : x);
    return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, decode(x)]));
  }, schema);

export const OrganizationIdSchema = z.string().regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id like o-abcd123456');

// EventBridge Scheduler expressions: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
const ScheduleExpressionSchema = z
  .string()
  .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$/, 'must be rate(N unit) or cron(6 fields)');

const ResourcePrefixSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,22}[a-z0-9]$/, 'must be 2-24 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen')
  // S3 reserves these forms for its own names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
  .refine((p) => !p.startsWith('xn--') && !p.startsWith('sthree-') && !p.includes('--'), 'must not start with xn-- or sthree- nor contain --');

/** S3 bucket names are at most 63 characters (same rules page as above). */
export const MAX_BUCKET_NAME_LENGTH = 63;

/**
 * The longest state machine execution Step Functions Standard allows (one year); a sweep's timeout is
 * the approval window plus SWEEP_WORK_BUDGET_SECONDS and must fit.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export const MAX_EXECUTION_SECONDS = 31_536_000;
/** Time a sweep may spend outside the approval wait (listing, scans, snapshots, deletes, report). */
export const SWEEP_WORK_BUDGET_SECONDS = 86_400;

/**
 * Values people leave in a copied example. A config holding one would deploy something nobody meant
 * (an external id everybody knows, a mailbox nobody reads), so synth refuses it with the field named.
 */
const PLACEHOLDER_PATTERN = /change[-_ ]?me|replace[-_ ]?me|your[-_ ]|<[^>]*>|\btodo\b|\bfixme\b|xxxx/i;
export function looksLikePlaceholder(value: string): boolean {
  return PLACEHOLDER_PATTERN.test(value);
}

/** Name or ARN of an existing Secrets Manager secret (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html). */
const SecretIdSchema = z
  .string()
  .regex(/^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[\w/+=.@-]{1,512}$/, 'must be a Secrets Manager secret name or ARN');

const ConfigShape = z
  .object({
    /**
     * The account running the workflow: the management account, or a member account registered as
     * delegated administrator for CloudFormation StackSets (which also lets it call the Organizations
     * read APIs ListTargets needs; docs/deploy.md).
     */
    hubAccountId: AccountIdSchema,
    hubRegion: RegionSchema,
    organizationId: OrganizationIdSchema,
    managementAccountId: AccountIdSchema,
    /** Names every hub resource (roles, bucket, state machine); lets two installations share an account. */
    resourcePrefix: ResourcePrefixSchema.default('zombie-sweep'),
    /** OUs (or the root) the member-role StackSet deploys to; new accounts there get the role automatically. */
    targetOus: z.array(OuIdSchema).min(1),
    /** Sweep regions: explicit list, or 'all' = every region enabled in each account. */
    regions: z.union([z.literal('all'), z.array(RegionSchema).min(1)]).default('all'),
    excludeAccounts: z.array(AccountIdSchema).default([]),
    /** Each gets an SNS email subscription filtered to the messages addressed to them. Needed for cleanup sweeps. */
    approvers: z.array(EmailSchema).default([]),
    /** Receive alarm notifications (failed sweeps, unreachable targets). */
    operators: z.array(EmailSchema).default([]),
    /** The sweep's approval settings (src/core/schemas.ts), less the approvers (above) and auto-approve (never deployed). */
    approval: contextValues(ApprovalSettingsFields.omit({ approvers: true, autoApprove: true }).strict().superRefine(checkApprovalSettings)).prefault({}),
    /** The sweep's detection settings (src/core/schemas.ts), with the same rules as `zombie-sweep start`. */
    detection: contextValues(DetectionSettingsFields.strict().superRefine(checkDetectionSettings)).prefault({}),
    /** Off unless configured: a scheduled sweep in report mode is the safe first step. */
    schedule: z
      .object({
        expression: ScheduleExpressionSchema,
        timezone: z.string().min(1).default('UTC'),
        mode: SweepModeSchema,
        enabled: boolish(z.boolean()).default(true),
        /** Publish one digest per owner (SNS, attribute `owner`) after each scheduled sweep; off unless set. */
        digest: boolish(z.boolean()).default(false),
      })
      .strict()
      .optional(),
    /** Distributed Map settings (statemachine/placeholders.ts SETTING_PLACEHOLDERS). */
    workflow: z
      .object({
        /** Concurrent scan children, each one account x region. */
        scanMaxConcurrency: numeric(z.number().int().min(1).max(1000)).default(40),
        /** Concurrent snapshot/tag and delete children; they act in member accounts, so keep it modest. */
        actionMaxConcurrency: numeric(z.number().int().min(1).max(100)).default(10),
        /** Share of scan children that may fail (unreachable targets are reported, not failures) before the sweep fails. */
        scanToleratedFailurePercentage: numeric(z.number().min(0).max(100)).default(10),
      })
      .strict()
      .default({ scanMaxConcurrency: 40, actionMaxConcurrency: 10, scanToleratedFailurePercentage: 10 }),
    retention: z
      .object({
        /** Object Lock retention of each audit event (COMPLIANCE mode: nobody can shorten it). */
        auditDays: numeric(z.number().int().min(1).max(36_500)).default(2557),
        auditMode: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'),
        logDays: numeric(
          z
            .number()
            .int()
            .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `must be one of ${LOG_RETENTION_DAYS.join(', ')}`),
        ).default(365),
        /** Archived artifacts move to Glacier Instant Retrieval after this many days (restores stay immediate). */
        artifactsColdAfterDays: numeric(z.number().int().min(1).max(3650)).default(30),
        /** Overwritten versions of non-audit objects (sweep files, manifests, artifacts) expire after this. */
        noncurrentVersionDays: numeric(z.number().int().min(1).max(3650)).default(90),
      })
      .strict()
      .default({ auditDays: 2557, auditMode: 'COMPLIANCE', logDays: 365, artifactsColdAfterDays: 30, noncurrentVersionDays: 90 }),
    /** The read capability's role; the snapshot, tag and delete roles append -Snapshot, -Tag, -Delete (src/core/capabilities.ts). */
    memberRoleName: RoleNameSchema.refine(
      (v) => v.length <= MAX_MEMBER_ROLE_BASE_LENGTH,
      `must be at most ${MAX_MEMBER_ROLE_BASE_LENGTH} characters (capability roles append a suffix)`,
    ).default(DEFAULT_MEMBER_ROLE),
    /**
     * Accounts, OUs and endpoint tags never tagged, scaled or deleted in. The tag and delete capability roles are
     * not deployed there (accounts anywhere under the target OUs, OUs that are themselves target OUs), and every
     * sweep's scan judges their endpoints `exempt` (the list reaches validate-input as PROTECTED_LIST; see docs/security.md).
     */
    protected: ProtectedListSchema.refine((p) => JSON.stringify(p).length <= PROTECTED_LIST_MAX_CHARS, {
      message: `is too long: the list travels in a function environment (at most ${PROTECTED_LIST_MAX_CHARS} characters of JSON, about 150 accounts); protect OUs instead of many accounts`,
    }).default({ accountIds: [], ouIds: [], tags: {} }),
    /**
     * Never typed here: the external id the member role's trust policy requires is a shared secret. The
     * hub stack generates it in Secrets Manager unless `externalIdSecret` names an existing secret
     * (plain string value). Present only so an old config fails with a pointer instead of "unknown key".
     */
    externalId: z.unknown().optional(),
    externalIdSecret: SecretIdSchema.optional(),
    /** Region whose StackSet instance creates the (global) IAM roles in each member account. */
    stackSetRegion: RegionSchema.optional(),
    approvalApi: z
      .object({
        /**
         * REST API access logs need the account-level API Gateway CloudWatch role (one per account and
         * region). `create`: this stack sets it (AWS::ApiGateway::Account, kept on uninstall because other
         * APIs in the account may rely on it); `existing`: the account already has one (`zombie-sweep
         * doctor` checks). https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
         */
        cloudWatchRole: z.enum(['create', 'existing']).default('create'),
      })
      .strict()
      .default({ cloudWatchRole: 'create' }),
    archive: z
      .object({
        /** Override the archive bucket name, e.g. to reinstall next to a retained bucket (docs/operations.md). */
        bucketName: z.string().optional(),
        accessLogsBucketName: z.string().optional(),
      })
      .strict()
      .default({}),
    restoreRole: z
      .object({
        /** Off by default: the sweep never needs create permissions; enable only to restore. */
        enabled: boolish(z.boolean()).default(false),
        name: RoleNameSchema.default('ZombieSweepRestoreRole'),
        /** Principals (in the hub account) allowed to assume the restore role, e.g. an operator SSO role ARN. */
        trustedPrincipalArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN')).default([]),
      })
      .strict()
      .default({ enabled: false, name: 'ZombieSweepRestoreRole', trustedPrincipalArns: [] }),
    /** The member-account auto-tagger (docs/prevention.md): off unless enabled, in the regions listed. */
    prevention: z
      .object({
        autoTagger: z
          .object({
            enabled: boolish(z.boolean()).default(false),
            /** Regions where endpoints are created: one auto-tagger per account and region. */
            regions: z.array(RegionSchema).default([]),
            autoDeleteAfterDays: numeric(z.number().int().min(1).max(3650)).default(90),
          })
          .strict()
          .default({ enabled: false, regions: [], autoDeleteAfterDays: 90 }),
        /**
         * The organization SCP of policies/scp-require-auto-delete-after.json, created and attached by the hub
         * stack: off unless enabled; needs the hub to be the management account or a delegated administrator
         * for Organizations policies (docs/prevention.md "Guardrail SCP" for the blast radius).
         */
        guardrailScp: z
          .object({
            enabled: boolish(z.boolean()).default(false),
            /** OUs, accounts or the root it is attached to; default: targetOus. */
            targetIds: z.array(z.union([OuIdSchema, AccountIdSchema])).default([]),
          })
          .strict()
          .default({ enabled: false, targetIds: [] }),
      })
      .strict()
      .default({ autoTagger: { enabled: false, regions: [], autoDeleteAfterDays: 90 }, guardrailScp: { enabled: false, targetIds: [] } }),
  })
  .strict();

export const InfraConfigSchema = ConfigShape.superRefine((config, ctx) => {
  if (config.restoreRole.enabled && config.restoreRole.trustedPrincipalArns.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['restoreRole', 'trustedPrincipalArns'], message: 'must name at least one role when restoreRole.enabled is true' });
  }
  config.restoreRole.trustedPrincipalArns.forEach((arn, i) => {
    // The restore role trusts the hub account; roles elsewhere could never assume it.
    if (arn.split(':')[4] !== config.hubAccountId) {
      ctx.addIssue({ code: 'custom', path: ['restoreRole', 'trustedPrincipalArns', i], message: `must be a role in the hub account ${config.hubAccountId}` });
    }
  });
  if (config.prevention.autoTagger.enabled && config.prevention.autoTagger.regions.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['prevention', 'autoTagger', 'regions'],
      message: 'must list at least one region when prevention.autoTagger.enabled is true',
    });
  }
  if (config.restoreRole.name === config.memberRoleName) {
    ctx.addIssue({ code: 'custom', path: ['restoreRole', 'name'], message: 'must differ from memberRoleName' });
  }
  if (config.schedule?.mode === 'cleanup' && config.approvers.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'a cleanup schedule needs approvers' });
  }
  if (config.externalId !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['externalId'],
      message:
        'must not be in the config: remove it (the stack generates the external id in Secrets Manager) or set externalIdSecret to an existing secret (docs/deploy.md)',
    });
  }
  checkBucketNames(config, ctx);
  checkSweepTimeout(config, ctx);
  checkPlaceholders(config, [], ctx);
});

/** Bucket names are built from prefix, account and region; a long prefix or region must fail here, naming the field. */
function checkBucketNames(config: z.output<typeof ConfigShape>, ctx: z.RefinementCtx): void {
  const names = bucketNamesFor(config);
  const checks = [
    { name: names.archiveBucket, path: config.archive.bucketName ? ['archive', 'bucketName'] : ['resourcePrefix'] },
    { name: names.accessLogsBucket, path: config.archive.accessLogsBucketName ? ['archive', 'accessLogsBucketName'] : ['resourcePrefix'] },
  ];
  for (const { name, path } of checks) {
    if (name.length > MAX_BUCKET_NAME_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `makes the bucket name ${name} ${name.length} characters long; S3 allows ${MAX_BUCKET_NAME_LENGTH} (shorten resourcePrefix or set archive.bucketName)`,
      });
    } else if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name) || name.includes('--')) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `gives the invalid bucket name ${JSON.stringify(name)} (3-63 lowercase letters, digits and single hyphens)`,
      });
    }
  }
  if (names.archiveBucket === names.accessLogsBucket)
    ctx.addIssue({ code: 'custom', path: ['archive', 'accessLogsBucketName'], message: 'must differ from the archive bucket name' });
}

function checkSweepTimeout(config: z.output<typeof ConfigShape>, ctx: z.RefinementCtx): void {
  const max = MAX_EXECUTION_SECONDS - SWEEP_WORK_BUDGET_SECONDS - noticeOf(config);
  if (config.approval.timeoutSeconds > max) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'timeoutSeconds'],
      message: `must be at most ${max}: the sweep timeout (approval window + ${SWEEP_WORK_BUDGET_SECONDS} s of work) must fit the one-year Step Functions limit`,
    });
  }
}

function checkPlaceholders(node: unknown, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (typeof node === 'string') {
    if (looksLikePlaceholder(node)) ctx.addIssue({ code: 'custom', path, message: `${JSON.stringify(node)} is a placeholder; replace it with the real value` });
  } else if (Array.isArray(node)) node.forEach((item, i) => checkPlaceholders(item, [...path, i], ctx));
  else if (node && typeof node === 'object') for (const [key, value] of Object.entries(node)) checkPlaceholders(value, [...path, key], ctx);
}

export type InfraConfig = z.output<typeof InfraConfigSchema>;

/** Context key prefix for per-field overrides: `-c zombieSweep.schedule.mode=cleanup`. */
export const CONTEXT_PREFIX = 'zombieSweep.';
/** Context key naming the config file: `-c config=path/to/file.json`. */
export const CONFIG_FILE_CONTEXT = 'config';
export const DEFAULT_CONFIG_FILE = 'zombie-sweep.config.json';
export const EXAMPLE_CONFIG_FILE = 'zombie-sweep.config.example.json';
/** Only the required ids: `cdk synth` must work with it too (every other field has a default). */
export const MINIMAL_CONFIG_FILE = 'zombie-sweep.config.minimal.json';

/** Context values from the command line are strings; JSON arrays, objects and booleans are decoded, the rest stays text. */
function decodeContextValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (/^[[{"]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      throw new InputValidationError(`invalid zombie-sweep config override: ${JSON.stringify(value)} is not valid JSON`);
    }
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Applies `zombieSweep.<dotted.path>` context entries on top of the file's object. */
export function applyContextOverrides(base: Record<string, unknown>, context: Record<string, unknown>): Record<string, unknown> {
  const merged = structuredClone(base);
  for (const [key, raw] of Object.entries(context).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.startsWith(CONTEXT_PREFIX)) continue;
    const path = key.slice(CONTEXT_PREFIX.length).split('.').filter(Boolean);
    if (path.length === 0) continue;
    setPath(merged, path, decodeContextValue(raw));
  }
  return merged;
}

/** Validates a config object; throws InputValidationError naming the first bad field. `$schema` and `//` (comment) keys are ignored. */
export function parseInfraConfig(raw: unknown, source = 'zombie-sweep config'): InfraConfig {
  const { $schema: _schema, '//': _comment, ...rest } = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const result = InfraConfigSchema.safeParse(raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? rest : raw);
  if (!result.success) throw fromZodError(result.error, source);
  return result.data;
}

export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new InputValidationError(`zombie-sweep config file not found: ${path}`, CONFIG_FILE_CONTEXT);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputValidationError(`zombie-sweep config file ${path} is not valid JSON: ${(error as Error).message}`, CONFIG_FILE_CONTEXT);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputValidationError(`zombie-sweep config file ${path} must hold a JSON object`, CONFIG_FILE_CONTEXT);
  }
  return parsed as Record<string, unknown>;
}

/** File plus overrides, validated. */
export function loadInfraConfig(path: string, context: Record<string, unknown> = {}): InfraConfig {
  return parseInfraConfig(applyContextOverrides(readConfigFile(path), context), `zombie-sweep config (${path})`);
}

/** Derived facts the stacks need. */
export function hubIsManagement(config: InfraConfig): boolean {
  return config.hubAccountId === config.managementAccountId;
}

/**
 * The state machine's own timeout: the approval window plus the time the rest of a sweep may take.
 * Without it a stuck execution runs for a year and the timed-out alarm can never fire.
 */
export function sweepTimeoutSeconds(config: Pick<InfraConfig, 'approval'>): number {
  return config.approval.timeoutSeconds + noticeOf(config) + SWEEP_WORK_BUDGET_SECONDS;
}

/** The owners' notice period runs before the approval window, inside the same execution. */
function noticeOf(config: Pick<InfraConfig, 'approval'>): number {
  return config.approval.notifyOwners ? config.approval.noticeSeconds : 0;
}

export { LOG_RETENTION_DAYS };
