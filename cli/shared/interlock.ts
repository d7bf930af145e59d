import { InputValidationError } from '../../src/core/errors.ts';
import { isLoopbackEndpoint } from '../../local/runner/index.ts';

/**
 * The real-account interlock, as aws-nuke users expect: a local sweep that may tag or delete (`tag` and
 * `cleanup` modes) against real AWS, rather than the simulator on this machine, acts only in the account
 * the operator named with `--confirm-account`. A sweep against a loopback endpoint (the simulator) or a
 * report sweep needs nothing.
 */
export interface InterlockInput {
  local: boolean;
  mode: string;
  env: NodeJS.ProcessEnv;
  confirmAccount?: string;
}

/** Where the SageMaker calls of this process go: a loopback override means the simulator. */
export function actsOnRealAws(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.AWS_ENDPOINT_URL_SAGEMAKER ?? env.AWS_ENDPOINT_URL;
  return !isLoopbackEndpoint(endpoint);
}

export function interlockNeeded(input: InterlockInput): boolean {
  return input.local && input.mode !== 'report' && actsOnRealAws(input.env);
}

/** Before any call: refuses a destructive local sweep on real AWS that names no account to act in. */
export function requireConfirmationFlag(input: InterlockInput): void {
  if (!interlockNeeded(input)) return;
  if (input.confirmAccount === undefined) {
    throw new InputValidationError(
      `invalid --confirm-account: a local ${input.mode} sweep against AWS (no local simulator endpoint) tags and deletes with the credentials loaded here; pass --confirm-account <12-digit id of the account it may act in>`,
      '--confirm-account',
    );
  }
  if (!/^\d{12}$/.test(input.confirmAccount)) throw new InputValidationError(`invalid --confirm-account: must be a 12-digit account id (got ${JSON.stringify(input.confirmAccount)})`, '--confirm-account');
}

/** After GetCallerIdentity: the credentials must belong to the account the operator named. */
export function requireConfirmedAccount(input: InterlockInput, callerAccountId: string, callerArn: string): string | undefined {
  if (!interlockNeeded(input)) return undefined;
  if (input.confirmAccount !== callerAccountId) {
    throw new InputValidationError(
      `invalid --confirm-account: the credentials loaded here (${callerArn}) act in account ${callerAccountId}, not ${input.confirmAccount}; nothing was done`,
      '--confirm-account',
    );
  }
  return `acting in AWS account ${callerAccountId} as ${callerArn} (confirmed with --confirm-account)`;
}
