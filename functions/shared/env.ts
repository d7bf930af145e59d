import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClientFactory, CredentialCache } from '../../src/core/clients.ts';
import { secretExternalId } from '../../src/core/external-id.ts';
import type { ApiCallCounter } from '../../src/core/api-calls.ts';
import { InputValidationError } from '../../src/core/errors.ts';
import { ProtectedListSchema, parseOrThrow, type ProtectedList } from '../../src/core/schemas.ts';

/**
 * The only place Lambda code reads process.env. Handlers call these when building their
 * production dependencies; domain code receives plain values.
 */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new InputValidationError(`environment variable ${name} is required`, name);
  return value;
}

export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function hubRegionFromEnv(): string {
  return optionalEnv('AWS_REGION') ?? optionalEnv('AWS_DEFAULT_REGION') ?? 'us-east-1';
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
  if (externalIdReader?.secretArn !== secretArn) externalIdReader = { secretArn, read: secretExternalId(new SecretsManagerClient({ region: hubRegion }), secretArn) };
  return externalIdReader.read;
}

/**
 * Object Lock retention for audit events: AUDIT_RETENTION_DAYS (a positive integer) and
 * AUDIT_RETENTION_MODE (GOVERNANCE, the default, or COMPLIANCE). Unset days = no per-object retention
 * (the bucket's default retention, if any, still applies).
 */
export function auditRetentionFromEnv(): { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number } | undefined {
  const days = optionalEnv('AUDIT_RETENTION_DAYS');
  if (days === undefined) return undefined;
  const parsed = Number(days);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InputValidationError(`AUDIT_RETENTION_DAYS must be a positive integer, got ${JSON.stringify(days)}`, 'AUDIT_RETENTION_DAYS');
  const mode = optionalEnv('AUDIT_RETENTION_MODE') ?? 'GOVERNANCE';
  if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw new InputValidationError(`AUDIT_RETENTION_MODE must be GOVERNANCE or COMPLIANCE, got ${JSON.stringify(mode)}`, 'AUDIT_RETENTION_MODE');
  return { mode, days: parsed };
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
