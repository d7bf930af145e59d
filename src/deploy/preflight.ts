import { GetAccountCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { hubIsManagement, type InfraConfig } from '../../infra/config.ts';
import { hubNames } from '../../infra/names.ts';
import { errorMessage, errorName } from '../core/errors.ts';

/**
 * `zombie-sweep doctor`: every prerequisite docs/deploy.md lists, checked with read-only calls from the
 * hub account's credentials, each answered ok / missing / warn / unknown with what to do. Nothing here
 * writes: it is safe to run before the first deploy, after it, and in a change window.
 */
export const STACKSETS_SERVICE_PRINCIPAL = 'member.org.stacksets.cloudformation.amazonaws.com';
export const CDK_TOOLKIT_STACK = 'CDKToolkit';
/** Oldest bootstrap template version the pinned CDK CLI deploys with (it refuses older ones). */
export const MIN_BOOTSTRAP_VERSION = 6;

export type CheckStatus = 'ok' | 'missing' | 'warn' | 'unknown';

export interface CheckResult {
  id: string;
  status: CheckStatus;
  message: string;
  /** What to do; set for everything but ok. */
  fix?: string;
}

export interface PreflightClients {
  sts: Pick<STSClient, 'send'>;
  organizations: Pick<OrganizationsClient, 'send'>;
  /** In the hub region. */
  cloudformation: Pick<CloudFormationClient, 'send'>;
  ec2: Pick<EC2Client, 'send'>;
  apigateway: Pick<APIGatewayClient, 'send'>;
  sns: Pick<SNSClient, 'send'>;
  secretsmanager: Pick<SecretsManagerClient, 'send'>;
}

export interface PreflightDeps {
  clients: PreflightClients;
  /** `aws --version` output, or undefined when the AWS CLI is not installed. */
  awsCliVersion: () => Promise<string | undefined>;
}

type Check = (config: InfraConfig, deps: PreflightDeps) => Promise<CheckResult>;

const ok = (id: string, message: string): CheckResult => ({ id, status: 'ok', message });
const problem = (id: string, status: Exclude<CheckStatus, 'ok'>, message: string, fix: string): CheckResult => ({ id, status, message, fix });

/** A call that failed for a reason other than the answer we look for: the check cannot decide. */
function cannotCheck(id: string, what: string, error: unknown, fix: string): CheckResult {
  return problem(id, 'unknown', `cannot ${what}: ${errorName(error)}: ${errorMessage(error)}`, fix);
}

export const CHECKS: Readonly<Record<string, Check>> = {
  'aws-cli': async (_config, deps) => {
    const version = await deps.awsCliVersion();
    if (!version)
      return problem(
        'aws-cli',
        'missing',
        'the AWS CLI is not installed (the guide runs aws ... commands)',
        'install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html',
      );
    const major = /aws-cli\/(\d+)\./.exec(version)?.[1];
    if (major !== '2')
      return problem(
        'aws-cli',
        'missing',
        `AWS CLI ${version.split(' ')[0]} found; the guide's commands assume v2`,
        'install AWS CLI v2 (v1 lacks options the guide uses and pages output differently)',
      );
    return ok('aws-cli', version.split(' ')[0]!);
  },

  credentials: async (config, deps) => {
    try {
      const identity = await deps.clients.sts.send(new GetCallerIdentityCommand({}));
      if (identity.Account !== config.hubAccountId) {
        return problem(
          'credentials',
          'missing',
          `the credentials belong to account ${identity.Account}, not the hub account ${config.hubAccountId}`,
          'run doctor with the hub account profile (--profile hub)',
        );
      }
      return ok('credentials', `hub account ${identity.Account} (${identity.Arn})`);
    } catch (error) {
      return cannotCheck('credentials', 'read the caller identity', error, 'configure credentials for the hub account (--profile)');
    }
  },

  organization: async (config, deps) => {
    try {
      const org = (await deps.clients.organizations.send(new DescribeOrganizationCommand({}))).Organization;
      if (org?.Id !== config.organizationId)
        return problem(
          'organization',
          'missing',
          `the hub account belongs to organization ${org?.Id}, the config says ${config.organizationId}`,
          'fix organizationId in the config',
        );
      if (org.MasterAccountId !== config.managementAccountId) {
        return problem(
          'organization',
          'missing',
          `the management account is ${org.MasterAccountId}, the config says ${config.managementAccountId}`,
          'fix managementAccountId in the config',
        );
      }
      if (org.FeatureSet !== 'ALL')
        return problem(
          'organization',
          'missing',
          'the organization has only consolidated billing features',
          'enable all features in AWS Organizations (service-managed StackSets need them)',
        );
      return ok('organization', `${org.Id}, management account ${org.MasterAccountId}, all features`);
    } catch (error) {
      return cannotCheck('organization', 'describe the organization', error, 'the hub must be in the organization (organizations:DescribeOrganization)');
    }
  },

  'stacksets-trusted-access': async (_config, deps) => {
    try {
      const services = await listAll(
        (token) => deps.clients.organizations.send(new ListAWSServiceAccessForOrganizationCommand({ NextToken: token })),
        (p) => p.EnabledServicePrincipals ?? [],
      );
      if (services.some((s) => s.ServicePrincipal === STACKSETS_SERVICE_PRINCIPAL))
        return ok('stacksets-trusted-access', 'trusted access for CloudFormation StackSets is enabled');
      return problem(
        'stacksets-trusted-access',
        'missing',
        'trusted access for CloudFormation StackSets is not enabled',
        'from the management account: aws cloudformation activate-organizations-access --profile management',
      );
    } catch (error) {
      return cannotCheck(
        'stacksets-trusted-access',
        'list trusted services',
        error,
        'register the hub as delegated administrator first (next check), or run doctor with management-account credentials',
      );
    }
  },

  'delegated-admin': async (config, deps) => {
    if (hubIsManagement(config)) return ok('delegated-admin', 'the hub is the management account (no registration needed)');
    try {
      const admins = await listAll(
        (token) => deps.clients.organizations.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: STACKSETS_SERVICE_PRINCIPAL, NextToken: token })),
        (p) => p.DelegatedAdministrators ?? [],
      );
      if (admins.some((a) => a.Id === config.hubAccountId)) return ok('delegated-admin', `${config.hubAccountId} is a delegated administrator for StackSets`);
      return problem(
        'delegated-admin',
        'missing',
        `${config.hubAccountId} is not registered as delegated administrator for StackSets`,
        registerCommand(config),
      );
    } catch (error) {
      if (errorName(error) === 'AccessDeniedException')
        return problem('delegated-admin', 'missing', `${config.hubAccountId} may not list delegated administrators: it is not one`, registerCommand(config));
      return cannotCheck('delegated-admin', 'list delegated administrators', error, registerCommand(config));
    }
  },

  'cdk-bootstrap': async (config, deps) => {
    const fix = `npx cdk bootstrap aws://${config.hubAccountId}/${config.hubRegion} --profile hub`;
    try {
      const stack = (await deps.clients.cloudformation.send(new DescribeStacksCommand({ StackName: CDK_TOOLKIT_STACK }))).Stacks?.[0];
      if (!stack?.StackStatus?.endsWith('_COMPLETE') || stack.StackStatus.includes('ROLLBACK') || stack.StackStatus.startsWith('DELETE')) {
        return problem('cdk-bootstrap', 'missing', `${CDK_TOOLKIT_STACK} in ${config.hubRegion} is ${stack?.StackStatus}`, fix);
      }
      const version = Number(stack.Outputs?.find((o) => o.OutputKey === 'BootstrapVersion')?.OutputValue);
      if (!(version >= MIN_BOOTSTRAP_VERSION))
        return problem(
          'cdk-bootstrap',
          'missing',
          `${CDK_TOOLKIT_STACK} bootstrap version ${version || 'unknown'} is older than ${MIN_BOOTSTRAP_VERSION}`,
          fix,
        );
      return ok('cdk-bootstrap', `${CDK_TOOLKIT_STACK} ${stack.StackStatus}, bootstrap version ${version}`);
    } catch (error) {
      if (/does not exist/.test(errorMessage(error)))
        return problem('cdk-bootstrap', 'missing', `the hub region ${config.hubRegion} is not bootstrapped for the CDK`, fix);
      return cannotCheck('cdk-bootstrap', `describe ${CDK_TOOLKIT_STACK}`, error, fix);
    }
  },

  'stackset-region': async (config, deps) => {
    const region = config.stackSetRegion ?? config.hubRegion;
    try {
      const info = (await deps.clients.ec2.send(new DescribeRegionsCommand({ RegionNames: [region], AllRegions: true }))).Regions?.[0];
      if (info?.OptInStatus === 'not-opted-in') {
        return problem(
          'stackset-region',
          'missing',
          `the StackSet region ${region} is not enabled in the hub account`,
          `enable ${region} (Account settings > AWS Regions) in the hub and every target account, or set stackSetRegion to a default region`,
        );
      }
      return ok('stackset-region', `${region} is enabled (${info?.OptInStatus})`);
    } catch (error) {
      return cannotCheck('stackset-region', `describe region ${region}`, error, 'check the region name in stackSetRegion / hubRegion');
    }
  },

  'api-gateway-logging-role': async (config, deps) => {
    let roleArn: string | undefined;
    try {
      roleArn = (await deps.clients.apigateway.send(new GetAccountCommand({}))).cloudwatchRoleArn || undefined;
    } catch (error) {
      return cannotCheck('api-gateway-logging-role', 'read the API Gateway account settings', error, 'apigateway:GET on arn:aws:apigateway:<region>::/account');
    }
    if (config.approvalApi.cloudWatchRole === 'existing') {
      if (roleArn) return ok('api-gateway-logging-role', `the account's API Gateway CloudWatch role is ${roleArn}`);
      return problem(
        'api-gateway-logging-role',
        'missing',
        `approvalApi.cloudWatchRole is "existing" but ${config.hubRegion} has no API Gateway CloudWatch role: the approval API stage would fail to deploy`,
        'set approvalApi.cloudWatchRole to "create", or set the role: aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=<ROLE_ARN>',
      );
    }
    const names = hubNames(config);
    if (roleArn && !roleArn.endsWith(`:role/${names.apiGatewayCloudWatchRole}`)) {
      return problem(
        'api-gateway-logging-role',
        'warn',
        `the account already uses ${roleArn}; the stack will point the account setting at its own role ${names.apiGatewayCloudWatchRole}`,
        'set approvalApi.cloudWatchRole to "existing" to leave the account setting alone',
      );
    }
    return ok('api-gateway-logging-role', `the stack sets the account's API Gateway CloudWatch role (${names.apiGatewayCloudWatchRole})`);
  },

  'external-id-secret': async (config, deps) => {
    if (!config.externalIdSecret) return ok('external-id-secret', 'generated by the stack in Secrets Manager at the first deploy');
    try {
      const secret = await deps.clients.secretsmanager.send(new DescribeSecretCommand({ SecretId: config.externalIdSecret }));
      return ok('external-id-secret', `${secret.ARN} exists`);
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        return problem(
          'external-id-secret',
          'missing',
          `the secret ${config.externalIdSecret} does not exist in ${config.hubRegion}`,
          'create it (docs/deploy.md, "external id"), or remove externalIdSecret to let the stack generate one',
        );
      }
      return cannotCheck('external-id-secret', `describe ${config.externalIdSecret}`, error, 'secretsmanager:DescribeSecret on the secret');
    }
  },

  'sns-confirmations': async (config, deps) => {
    const names = hubNames(config);
    const topics = [names.notificationTopic, names.alarmTopic].map((name) => `arn:aws:sns:${config.hubRegion}:${config.hubAccountId}:${name}`);
    const pending = new Set<string>();
    try {
      for (const topicArn of topics) {
        const subs = await listAll(
          (token) => deps.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token })),
          (p) => p.Subscriptions ?? [],
        );
        for (const sub of subs) if (sub.SubscriptionArn === 'PendingConfirmation' && sub.Endpoint) pending.add(sub.Endpoint);
      }
    } catch (error) {
      if (errorName(error) === 'NotFoundException')
        return ok('sns-confirmations', 'not deployed yet: run doctor again after the deploy to see who has not confirmed');
      return cannotCheck('sns-confirmations', 'list the subscriptions', error, 'sns:ListSubscriptionsByTopic on the hub topics');
    }
    if (pending.size === 0) return ok('sns-confirmations', 'every approver and operator has confirmed their subscription');
    return problem(
      'sns-confirmations',
      'warn',
      `not confirmed yet: ${[...pending].sort().join(', ')} (they receive nothing until they do)`,
      'each must click "Confirm subscription" in the email from AWS Notifications (docs/deploy.md step 6)',
    );
  },
};

function registerCommand(config: InfraConfig): string {
  return `from the management account: aws organizations register-delegated-administrator --account-id ${config.hubAccountId} --service-principal ${STACKSETS_SERVICE_PRINCIPAL} --profile management`;
}

async function listAll<P extends { NextToken?: string }, T>(page: (token?: string) => Promise<P>, items: (p: P) => T[]): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const result = await page(token);
    out.push(...items(result));
    token = result.NextToken;
  } while (token);
  return out;
}

/** Runs every check (one failing never stops the others), in the order the guide needs them. */
export async function runPreflight(config: InfraConfig, deps: PreflightDeps): Promise<CheckResult[]> {
  return Promise.all(Object.values(CHECKS).map((check) => check(config, deps)));
}

export function preflightPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status === 'ok' || r.status === 'warn');
}
