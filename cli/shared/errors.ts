import { ZombieSweepError } from '../../src/core/errors.ts';

/**
 * CLI-level failures. cli/main.ts prints `zombie-sweep: <name>: <message>` on one line and exits 1,
 * so each name reads as the cause a user can act on.
 */
export class NoCredentialsError extends ZombieSweepError {}

/** The credentials were found but AWS (or the endpoint in AWS_ENDPOINT_URL) refused them. */
export class CredentialsRejectedError extends ZombieSweepError {}

/** Every target of a scan failed: nothing was learned, which is not a successful run. */
export class AllTargetsFailedError extends ZombieSweepError {}
