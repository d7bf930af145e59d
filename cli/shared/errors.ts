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

/** The archive bucket does not exist, or refused the caller; the message names the bucket and the flag. */
export class ArchiveBucketError extends ZombieSweepError {}

/**
 * Some account-regions could not be scanned: what was found is printed, but the run is not clean.
 * cli/main.ts exits 2 for it (docs/cli.md, "Exit codes"); `--allow-partial` accepts it.
 */
export class PartialScanError extends ZombieSweepError {}

/** The AWS endpoint (or the one --endpoint-url / AWS_ENDPOINT_URL names) did not answer as AWS does. */
export class EndpointError extends ZombieSweepError {}
