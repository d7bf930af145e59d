import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import type { Command } from 'commander';
import type { ApiCallCounter } from '../../src/core/api-calls.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { errorMessage, errorName } from '../../src/core/errors.ts';
import { CredentialsRejectedError, EndpointError, NoCredentialsError } from './errors.ts';
import { addConnectionOptions } from './globals.ts';

/**
 * The CLI acts with the user's own credentials: `--profile NAME` (shared config/credentials files),
 * else the SDK's default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID..., SSO, instance roles). Any
 * AWS_ENDPOINT_URL is honoured by the SDK itself; S3 then needs path-style addressing.
 */
export interface CredentialOptions {
  profile?: string;
}

/** Kept for verbs written before cli/shared/globals.ts: adds every global option except --output. */
export function addCredentialOptions(command: Command): Command {
  return addConnectionOptions(command);
}

/** Region for STS, Organizations and EC2 DescribeRegions calls; the scanned regions come from --regions. */
export function homeRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

export function endpointOverridden(env: NodeJS.ProcessEnv = process.env): boolean {
  return Object.keys(env).some((key) => key === 'AWS_ENDPOINT_URL' || key.startsWith('AWS_ENDPOINT_URL_'));
}

export function cliClientFactory(options: CredentialOptions & { counter?: ApiCallCounter; sessionName?: string; env?: NodeJS.ProcessEnv }): ClientFactory {
  const env = options.env ?? process.env;
  return new ClientFactory({
    ...(options.profile ? { credentials: fromIni({ profile: options.profile }) } : {}),
    hubRegion: homeRegion(env),
    sessionName: options.sessionName ?? 'zombie-sweep-cli',
    s3ForcePathStyle: endpointOverridden(env),
    counter: options.counter,
  });
}

export interface CallerIdentity {
  accountId: string;
  arn: string;
}

const MISSING_CREDENTIALS = /could not load credentials|credential is missing|profile .* (could not be found|not found)|unable to load|no credentials/i;

/**
 * An answer the SDK could not read (an HTML page, a server that is not AWS) or no answer at all: about
 * the endpoint, never about the credentials or the user's input.
 */
function notAwsAnswer(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return /parse error|Deserialization|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|socket hang up/i.test(errorMessage(error)) || (status !== undefined && status >= 500);
}

/** Who the credentials belong to; the first call a CLI verb makes, so a credential problem is named at once. */
export async function callerIdentity(factory: ClientFactory, profile?: string): Promise<CallerIdentity> {
  try {
    const out = await factory.hub(STSClient).send(new GetCallerIdentityCommand({}));
    if (!out.Account || !out.Arn) throw new CredentialsRejectedError('GetCallerIdentity returned no account');
    return { accountId: out.Account, arn: out.Arn };
  } catch (error) {
    if (error instanceof CredentialsRejectedError) throw error;
    const name = errorName(error);
    if (name === 'CredentialsProviderError' || MISSING_CREDENTIALS.test(errorMessage(error))) {
      const where = profile
        ? `profile ${JSON.stringify(profile)}`
        : 'the default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, instance role)';
      throw new NoCredentialsError(`no usable AWS credentials from ${where}: ${errorMessage(error)}`);
    }
    if (notAwsAnswer(error)) {
      const endpoint = process.env.AWS_ENDPOINT_URL_STS || process.env.AWS_ENDPOINT_URL;
      throw new EndpointError(
        `${endpoint ? `the endpoint ${endpoint}` : 'STS'} did not answer as AWS STS does (${name}: ${errorMessage(error)}); check --endpoint-url / AWS_ENDPOINT_URL`,
      );
    }
    throw new CredentialsRejectedError(`credentials were refused by STS GetCallerIdentity: ${name}: ${errorMessage(error)}`);
  }
}
