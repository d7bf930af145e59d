import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClientFactory, CredentialCache } from '../../src/core/clients.ts';
import { secretExternalId } from '../../src/core/external-id.ts';
import type { ApiCallCounter } from '../../src/core/api-calls.ts';
import { InputValidationError } from '../../src/core/errors.ts';
import { ProtectedListSchema, parseOrThrow, type ProtectedList } from '../../src/core/schemas.ts';
import { parseHandlerEnv, type HandlerEnv, type HandlerEnvValues } from '../../src/core/handler-env.ts';

/**
 * The only place Lambda code reads process.env. Handlers call these when building their
 * production dependencies; domain code receives plain values. The variable names and formats are
 * src/core/handler-env.ts, the same definition infra sets them from.
 */
export function requiredEnv(name: HandlerEnv): string {
  const value = handlerEnv()[name];
  if (value === undefined) throw new InputValidationError(`environment variable ${name} is required`, name);
  return String(value);
}

export function optionalEnv(name: HandlerEnv): string | undefined {
  const value = handlerEnv()[name];
  return value === undefined ? undefined : String(value);
}

/** Parsed on every read: a container's environment is fixed, and tests change process.env between cases. */
function handlerEnv(): HandlerEnvValues {
  return parseHandlerEnv(process.env);
}

function awsEnv(name: 'AWS_REGION' | 'AWS_DEFAULT_REGION'): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function hubRegionFromEnv(): string {
  return awsEnv('AWS_REGION') ?? awsEnv('AWS_DEFAULT_REGION') ?? 'us-east-1';
}

/** True when an endpoint override points the SDK somewhere other than AWS (the simulator, an S3-compatible store). */
export function endpointOverridden(): boolean {
  return Object.keys(process.env).some((key) => key === 'AWS_ENDPOINT_URL' || key.startsWith('AWS_ENDPOINT_URL_'));
}

/**
 * Outlives invocations: a warm container assumes a member role once per sweep (the session name
 * carries the sweep id), not once per invocation. Connections are shared process-wide by the factory.
 */
const containerCredentials = new CredentialCache();

/**
 * EXTERNAL_ID_SECRET_ARN (set by infra on the functions that assume member roles): the secret holding
 * the member role's external id, used when the sweep input carries none (scheduled sweeps never do).
 */
export function clientFactoryFromEnv(sessionName: string, counter?: ApiCallCounter): ClientFactory {
  const hubRegion = hubRegionFromEnv();
  const defaultExternalId = externalIdFromEnv(hubRegion);
  return new ClientFactory({
    hubRegion,
    sessionName,
    s3ForcePathStyle: endpointOverridden(),
    counter,
    credentialCache: containerCredentials,
    ...(defaultExternalId ? { defaultExternalId } : {}),
  });
}

// One reader per container: scan builds a factory per child, and the secret must not be read per child.
let externalIdReader: { secretArn: string; read: () => Promise<string> } | undefined;
function externalIdFromEnv(hubRegion: string): (() => Promise<string>) | undefined {
  const secretArn = optionalEnv('EXTERNAL_ID_SECRET_ARN');
  if (!secretArn) return undefined;
  if (externalIdReader?.secretArn !== secretArn)
    externalIdReader = { secretArn, read: secretExternalId(new SecretsManagerClient({ region: hubRegion }), secretArn) };
  return externalIdReader.read;
}

/**
 * Object Lock retention for audit events: AUDIT_RETENTION_DAYS (a positive integer) and
 * AUDIT_RETENTION_MODE (GOVERNANCE, the default, or COMPLIANCE). Unset days = no per-object retention
 * (the bucket's default retention, if any, still applies).
 */
export function auditRetentionFromEnv(): { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number } | undefined {
  const env = handlerEnv();
  if (env.AUDIT_RETENTION_DAYS === undefined) return undefined;
  return { mode: env.AUDIT_RETENTION_MODE ?? 'GOVERNANCE', days: env.AUDIT_RETENTION_DAYS };
}

/** One function serving two workflow steps tells them apart by the input's `step` field. */
export function isStep(event: unknown, step: string): boolean {
  return typeof event === 'object' && event !== null && (event as { step?: unknown }).step === step;
}

/** The deployment's protected list (infra/config.ts `protected`), as JSON; unset = none. */
export function protectedListFromEnv(): ProtectedList | undefined {
  const raw = optionalEnv('PROTECTED_LIST');
  if (raw === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InputValidationError('PROTECTED_LIST must be JSON', 'PROTECTED_LIST');
  }
  return parseOrThrow(ProtectedListSchema, json, 'PROTECTED_LIST');
}
