import { execFile } from 'node:child_process';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { Option, type Command } from 'commander';
import { DEFAULT_CONFIG_FILE, loadInfraConfig } from '../../infra/config.ts';
import type { ClientFactory } from '../../src/core/clients.ts';
import { preflightPassed, runPreflight, type CheckResult, type PreflightDeps } from '../../src/deploy/preflight.ts';
import { addCredentialOptions, cliClientFactory } from '../shared/credentials.ts';
import { renderTable } from '../shared/output.ts';

/**
 * `zombie-sweep doctor --config FILE`: checks every prerequisite of docs/deploy.md with read-only calls
 * made with the hub account's credentials, and prints what is missing and how to fix it. Exit code 1
 * when something is missing or could not be checked; warnings alone exit 0.
 */
export interface DoctorFlags {
  config: string;
  output: 'table' | 'json';
  profile?: string;
}

export function registerDoctor(program: Command): void {
  const command = program
    .command('doctor')
    .description(
      'Check, read-only, every deployment prerequisite (trusted access, delegated admin, CDK bootstrap, regions, API Gateway logging role, secret, SNS confirmations, AWS CLI v2).',
    )
    .option('--config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json']).default('table'));
  addCredentialOptions(command);
  command.action(async (flags: DoctorFlags) => {
    const results = await runDoctor(flags, { stdout: (t) => process.stdout.write(t), env: process.env });
    if (!preflightPassed(results)) process.exitCode = 1;
  });
}

export function awsCliVersion(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('aws', ['--version'], { timeout: 15_000 }, (error, stdout, stderr) => {
      // v1 prints its version on stderr.
      resolve(error ? undefined : `${stdout}${stderr}`.trim() || undefined);
    });
  });
}

/** Clients in the hub region, with the caller's credentials (the hub account). */
export function preflightClients(factory: ClientFactory, hubRegion: string): PreflightDeps['clients'] {
  return {
    sts: factory.hub(STSClient, hubRegion),
    organizations: factory.hub(OrganizationsClient, hubRegion),
    cloudformation: factory.hub(CloudFormationClient, hubRegion),
    ec2: factory.hub(EC2Client, hubRegion),
    apigateway: factory.hub(APIGatewayClient, hubRegion),
    sns: factory.hub(SNSClient, hubRegion),
    secretsmanager: factory.hub(SecretsManagerClient, hubRegion),
  };
}

export async function runDoctor(
  flags: DoctorFlags,
  io: { stdout: (text: string) => void; env: NodeJS.ProcessEnv; factory?: ClientFactory; awsCliVersion?: () => Promise<string | undefined> },
): Promise<CheckResult[]> {
  const config = loadInfraConfig(flags.config);
  const factory = io.factory ?? cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-doctor' });
  const results = await runPreflight(config, { clients: preflightClients(factory, config.hubRegion), awsCliVersion: io.awsCliVersion ?? awsCliVersion });
  if (flags.output === 'json') io.stdout(`${JSON.stringify({ passed: preflightPassed(results), checks: results }, null, 2)}\n`);
  else io.stdout(renderDoctor(results));
  return results;
}

export function renderDoctor(results: readonly CheckResult[]): string {
  const table = renderTable(results, [
    { header: 'check', value: (r) => r.id },
    { header: 'status', value: (r) => r.status.toUpperCase() },
    { header: 'detail', value: (r) => r.message },
  ]);
  const fixes = results.filter((r) => r.fix).map((r) => `- ${r.id}: ${r.fix}`);
  const verdict = preflightPassed(results) ? 'Ready to deploy.' : 'Not ready: fix the MISSING and UNKNOWN checks, then run doctor again.';
  return `${table}${fixes.length > 0 ? `\nTo do:\n${fixes.join('\n')}\n` : ''}\n${verdict}\n`;
}
