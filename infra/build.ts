import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { hubIsManagement, type InfraConfig } from './config.ts';
import { HubStack } from './hub/hub-stack.ts';
import { basePolicyVars } from './hub/hub-stack.ts';
import { HUB_STACK_NAME, ORG_ACCESS_STACK_NAME, hubNames } from './names.ts';
import { OrgAccessStack } from './org-access-stack.ts';

/**
 * Feature flags this app is written against, set in code so `cdk synth` and the tests agree
 * without copying them into cdk.json.
 */
export const FEATURE_FLAGS: Readonly<Record<string, boolean>> = {
  // Server access logs delivered via bucket policy (required with BucketOwnerEnforced).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/core:enablePartitionLiterals': true,
  '@aws-cdk/aws-iam:minimizePolicies': false,
  '@aws-cdk/aws-kms:reduceCrossAccountRegionPolicyScope': true,
  '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/aws-apigateway:disableCloudWatchRole': true,
};

export interface ZombieSweepApp {
  app: App;
  hub: HubStack;
  orgAccess?: OrgAccessStack;
}

/** Builds the whole app for a validated config: the hub stack, the management-account stack when needed, cdk-nag. */
export function buildApp(config: InfraConfig, props: AppProps = {}): ZombieSweepApp {
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...props.context } });
  const hub = new HubStack(app, 'Hub', {
    stackName: HUB_STACK_NAME,
    description: 'zombie-sweep hub: finds, archives, approves and deletes idle SageMaker endpoints across the organization',
    env: { account: config.hubAccountId, region: config.hubRegion },
    terminationProtection: true,
    config,
  });
  let orgAccess: OrgAccessStack | undefined;
  if (!hubIsManagement(config) && config.organizationsAccess === 'management-role') {
    const names = hubNames(config);
    orgAccess = new OrgAccessStack(app, 'OrgAccess', {
      stackName: ORG_ACCESS_STACK_NAME,
      description: 'zombie-sweep: read-only Organizations role for the hub (management account)',
      env: { account: config.managementAccountId, region: config.hubRegion },
      config,
      names,
      policyVars: basePolicyVars(config, names, 'aws'),
    });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, hub, orgAccess };
}
