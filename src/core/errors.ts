/**
 * Typed errors. An error's `name` is a contract: the state machine's Retry/Catch clauses match on it
 * (Lambda reports `errorType` = `name`), and the CLI prints `name: message`. Never rename one
 * without updating statemachine/ and docs/.
 */
export class ZombieSweepError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input (state payload, CLI flag, HTTP form, config). The message names the field. */
export class InputValidationError extends ZombieSweepError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A target (account x region) cannot be reached: role missing, region disabled, access denied. */
export class TargetUnreachableError extends ZombieSweepError {
  constructor(
    message: string,
    readonly accountId: string,
    readonly region: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A transient AWS-side condition worth retrying from the state machine (throttling that outlived SDK retries). */
export class RetryableAwsError extends ZombieSweepError {}

/** A snapshot could not be completed or verified; the endpoint must not be tagged or deleted. */
export class SnapshotFailedError extends ZombieSweepError {}

/** Another sweep holds the lock for the same scope. */
export class SweepLockedError extends ZombieSweepError {}

/** A precondition for a destructive action failed; the action was skipped, nothing changed. */
export class PreconditionFailedError extends ZombieSweepError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** Converts a zod error into an InputValidationError naming the first offending field. */
export function fromZodError(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }, what: string): InputValidationError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const detail = error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
  return new InputValidationError(`invalid ${what}: ${detail}`, field);
}

export function errorName(error: unknown): string {
  if (error && typeof error === 'object' && 'name' in error && typeof error.name === 'string') return error.name;
  return 'Error';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
