import { z } from 'zod';
import { fromZodError } from './errors.ts';

/**
 * The environment of the hub Lambda functions, in one place: infra sets these variables
 * (infra/hub/functions.ts FUNCTION_SPECS names them by this type) and functions/shared/env.ts reads
 * them through this schema, so a name or a format can only disagree with itself. An empty value is
 * the same as an unset one.
 */
const text = z.string().min(1).optional();
const arn = (service: string) =>
  z
    .string()
    .regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `must be an ${service} ARN`)
    .optional();

export const HandlerEnvSchema = z.object({
  ARCHIVE_BUCKET: text,
  ARCHIVE_KMS_KEY_ID: text,
  NOTIFICATION_TOPIC_ARN: arn('sns'),
  APPROVAL_BASE_URL: z.url('must be the approval API URL').optional(),
  APPROVAL_MAC_KEY_ID: text,
  DECISION_MAC_KEY_ID: text,
  /** Object Lock retention of each audit event; unset: the bucket's default retention, if any. */
  AUDIT_RETENTION_DAYS: z
    .string()
    .regex(/^\d+$/, 'must be a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be a positive integer'))
    .optional(),
  AUDIT_RETENTION_MODE: z.enum(['GOVERNANCE', 'COMPLIANCE']).optional(),
  METRICS_NAMESPACE: text,
  // A secret's name or ARN (infra passes the one the config names).
  EXTERNAL_ID_SECRET_ARN: text,
  /** The deployment's protected list as JSON (ProtectedListSchema, parsed where it is read). */
  PROTECTED_LIST: text,
});
export type HandlerEnv = keyof typeof HandlerEnvSchema.shape;
export type HandlerEnvValues = z.output<typeof HandlerEnvSchema>;

export const HANDLER_ENV_NAMES = Object.keys(HandlerEnvSchema.shape) as HandlerEnv[];

/** Parses the handler variables of an environment; the error names the variable. */
export function parseHandlerEnv(env: Readonly<Record<string, string | undefined>>): HandlerEnvValues {
  const present = Object.fromEntries(HANDLER_ENV_NAMES.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]]));
  const result = HandlerEnvSchema.safeParse(present);
  if (!result.success) throw fromZodError(result.error, 'environment variable');
  return result.data;
}
