import { InputValidationError } from '../../src/core/errors.ts';
import { isLoopbackEndpoint } from '../../local/runner/index.ts';
import { describeAccount, type AliasLookup } from './account-alias.ts';

/**
 * The real-account interlock, as aws-nuke users expect: a local sweep that may tag or delete (`tag` and
 * `cleanup` modes) against real AWS, rather than the simulator on this machine, states the account id
 * and alias it will act in and acts only once the operator confirmed that account: with
 * `--confirm-account <id>`, or by typing the id when it runs in a terminal. A sweep against a loopback
 * endpoint (the simulator) or a report sweep needs nothing.
 */
export interface InterlockInput {
  local: boolean;
  mode: string;
  env: NodeJS.ProcessEnv;
  confirmAccount?: string;
  /** stdin and stderr are a terminal: the operator can type the account id instead of passing the flag. */
  interactive?: boolean;
}

/** Where the SageMaker calls of this process go: a loopback override means the simulator. */
export function actsOnRealAws(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.AWS_ENDPOINT_URL_SAGEMAKER ?? env.AWS_ENDPOINT_URL;
  return !isLoopbackEndpoint(endpoint);
}

export function interlockNeeded(input: InterlockInput): boolean {
  return input.local && input.mode !== 'report' && actsOnRealAws(input.env);
}

/** Before any call: refuses a destructive local sweep on real AWS that names no account and cannot ask for one. */
export function requireConfirmationFlag(input: InterlockInput): void {
  if (!interlockNeeded(input)) return;
  if (input.confirmAccount === undefined) {
    if (input.interactive) return;
    throw new InputValidationError(
      `invalid --confirm-account: a local ${input.mode} sweep against AWS (no local simulator endpoint) tags and deletes with the credentials loaded here; pass --confirm-account <12-digit id of the account it may act in>, or run it in a terminal to type the id`,
      '--confirm-account',
    );
  }
  if (!/^\d{12}$/.test(input.confirmAccount))
    throw new InputValidationError(
      `invalid --confirm-account: must be a 12-digit account id (got ${JSON.stringify(input.confirmAccount)})`,
      '--confirm-account',
    );
}

export interface ConfirmAccountIo {
  /** Writes the statement of where the sweep will act (stderr). */
  say: (text: string) => void;
  /** Asks the operator on the terminal; only called when `interactive` and no flag was given. */
  ask: (question: string) => Promise<string>;
}

/**
 * After GetCallerIdentity and ListAccountAliases: states the account (id and alias) and the principal,
 * then requires the flag's id, or the typed id, to be that account. Returns the confirmation line.
 */
export async function confirmAccount(
  input: InterlockInput,
  caller: { accountId: string; arn: string },
  alias: AliasLookup,
  io: ConfirmAccountIo,
): Promise<string | undefined> {
  if (!interlockNeeded(input)) return undefined;
  const account = describeAccount(caller.accountId, alias);
  io.say(`this local ${input.mode} sweep will tag${input.mode === 'cleanup' ? ' and delete' : ''} in AWS account ${account} as ${caller.arn}\n`);
  const typed = input.confirmAccount === undefined;
  const named = typed ? (await io.ask(`type the account id ${caller.accountId} to continue: `)).trim() : input.confirmAccount;
  if (named !== caller.accountId) {
    throw new InputValidationError(
      typed
        ? `invalid --confirm-account: the typed id ${JSON.stringify(named)} is not ${caller.accountId}; nothing was done`
        : `invalid --confirm-account: the credentials loaded here (${caller.arn}) act in account ${account}, not ${input.confirmAccount}; nothing was done`,
      '--confirm-account',
    );
  }
  return `acting in AWS account ${account} as ${caller.arn} (confirmed ${typed ? 'by typing the id' : 'with --confirm-account'})`;
}
