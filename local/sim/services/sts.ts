import { createHash, randomBytes } from 'node:crypto';
import { SimError, queryService, type CallContext, type QueryParams, type SimService } from '../protocol.ts';
import type { IssuedCredential, SimAccount, SimRole, World } from '../world.ts';
import { SWEEP_SESSION_TAG, parseCapabilityRoleName } from '../../../src/core/capabilities.ts';

/**
 * AWS STS (Query/XML, version 2011-06-15): AssumeRole and GetCallerIdentity, shaped on the API reference
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). Issued credentials go into
 * `world.credentials`, so every later call signed with them acts in the assumed account (local/sim/auth.ts).
 * Trust policies are not modelled: a role that exists (with the right ExternalId, when it has one) can be
 * assumed by any caller, with one exception the workflow's safety rests on: a delete capability role
 * is refused without the sweep-id session tag its trust policy requires (policies/member-delete-role-trust.json).
 * Capability roles (src/core/capabilities.ts) exist wherever their base member role does, as the
 * member StackSet deploys them together.
 */

/** "By default, the value is set to 3600 seconds" and the role's MaxSessionDuration defaults to one hour. */
const DEFAULT_DURATION_SECONDS = 3600;
const MIN_DURATION_SECONDS = 900;
const MAX_DURATION_SECONDS = 43_200;
/** "Role chaining limits your ... role session to a maximum of one hour." */
const ROLE_CHAINING_LIMIT_SECONDS = 3600;

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;

export function stsService(): SimService {
  return queryService({
    signingName: 'sts',
    xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
    throttlingCode: 'Throttling',
    operations: {
      AssumeRole: (params, ctx) => assumeRole(params, ctx),
      GetCallerIdentity: (_params, ctx) => ({
        UserId: ctx.caller.assumedRole
          ? `${roleUniqueId(ctx.caller.accountId, ctx.caller.assumedRole.roleName)}:${ctx.caller.assumedRole.sessionName}`
          : uniqueId('AIDA', ctx.caller.principalArn),
        Account: ctx.caller.accountId,
        Arn: ctx.caller.principalArn,
      }),
    },
  });
}

function assumeRole(params: QueryParams, ctx: CallContext) {
  const roleArn = params.require('RoleArn');
  const sessionName = params.require('RoleSessionName');
  checkLength('roleArn', roleArn, 20, 2048);
  checkLength('roleSessionName', sessionName, 2, 64);
  if (!SESSION_NAME.test(sessionName))
    throw validation(`Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  const externalId = params.get('ExternalId');
  if (externalId !== undefined) {
    checkLength('externalId', externalId, 2, 1224);
    if (!EXTERNAL_ID.test(externalId))
      throw validation(`Value '${externalId}' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*`);
  }
  const duration = durationSeconds(params.get('DurationSeconds'));

  const parsed = ROLE_ARN.exec(roleArn);
  if (!parsed) throw new SimError('ValidationError', `${roleArn} is invalid`);
  const [, partition, accountId, , roleName] = parsed as unknown as [string, string, string, string, string];
  const denied = () =>
    new SimError('AccessDenied', `User: ${ctx.caller.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  if (partition !== 'aws') throw denied();
  const account = ctx.world.accounts.get(accountId);
  // AWS does not say why an AssumeRole was refused (missing role, trust policy, external id, closed account).
  if (!account || account.status !== 'ACTIVE') throw denied();
  const role = findRole(account, roleName);
  if (!role) throw denied();
  const sessionTags = parseSessionTags(params);
  if (parseCapabilityRoleName(roleName)?.capability === 'delete' && !sessionTags[SWEEP_SESSION_TAG]) throw denied();
  if (role.externalId !== undefined && role.externalId !== externalId) throw denied();

  if (ctx.caller.assumedRole && duration > ROLE_CHAINING_LIMIT_SECONDS) {
    throw new SimError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (duration > (role.maxSessionDuration ?? DEFAULT_DURATION_SECONDS)) {
    throw new SimError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }

  const issued = issueRoleCredentials(ctx.world, accountId, roleName, sessionName, duration, sessionTags);
  return {
    Credentials: {
      AccessKeyId: issued.accessKeyId,
      SecretAccessKey: issued.secretAccessKey,
      SessionToken: issued.sessionToken,
      Expiration: issued.expiresAt,
    },
    AssumedRoleUser: {
      AssumedRoleId: `${roleUniqueId(accountId, roleName)}:${sessionName}`,
      Arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    },
  };
}

function findRole(account: SimAccount, roleName: string): SimRole | undefined {
  const exact = account.roles.get(roleName);
  if (exact) return exact;
  const capability = parseCapabilityRoleName(roleName);
  const base = capability ? account.roles.get(capability.base) : undefined;
  return base ? { ...base, name: roleName } : undefined;
}

/** `Tags.member.N.Key` / `Tags.member.N.Value` (AssumeRole session tags). */
function parseSessionTags(params: QueryParams): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; ; i++) {
    const key = params.get(`Tags.member.${i}.Key`);
    if (key === undefined) return tags;
    tags[key] = params.get(`Tags.member.${i}.Value`) ?? '';
  }
}

function durationSeconds(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_DURATION_SECONDS;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw validation(`Value '${raw}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer`);
  if (value < MIN_DURATION_SECONDS)
    throw validation(
      `Value '${raw}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to ${MIN_DURATION_SECONDS}`,
    );
  if (value > MAX_DURATION_SECONDS)
    throw validation(`Value '${raw}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to ${MAX_DURATION_SECONDS}`);
  return value;
}

function checkLength(field: string, value: string, min: number, max: number): void {
  if (value.length < min)
    throw validation(`Value '${value}' at '${field}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw validation(`Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
}

function validation(detail: string): SimError {
  return new SimError('ValidationError', `1 validation error detected: ${detail}`);
}

/** IAM role ids (AROA...) are stable per role, as in AWS; derived from the ARN so every run agrees. */
function roleUniqueId(accountId: string, roleName: string): string {
  return uniqueId('AROA', `${accountId}:role/${roleName}`);
}

function uniqueId(prefix: string, seed: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(seed).digest();
  let out = prefix;
  for (let i = 0; i < 17; i++) out += alphabet[digest[i]! % alphabet.length];
  return out;
}

function randomToken(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/**
 * Credentials of a role session, as STS issues them to AssumeRole callers and as Lambda hands them to a
 * function running with its execution role (the local auto-tagger gets its credentials this way).
 */
export function issueRoleCredentials(
  world: World,
  accountId: string,
  roleName: string,
  sessionName: string,
  durationSeconds = 3600,
  sessionTags: Record<string, string> = {},
): IssuedCredential {
  const issued: IssuedCredential = {
    accessKeyId: `ASIA${randomToken(16)}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `SimSession/${randomBytes(96).toString('base64')}`,
    accountId,
    roleName,
    sessionName,
    expiresAt: new Date(world.now().getTime() + durationSeconds * 1000),
    ...(Object.keys(sessionTags).length > 0 ? { sessionTags } : {}),
  };
  world.credentials.set(issued.accessKeyId, issued);
  return issued;
}
