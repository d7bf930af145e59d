import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { InfraConfig } from './config.ts';
import { HubStack } from './hub/hub-stack.ts';
import { HUB_STACK_NAME } from './names.ts';

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
}

/** Builds the whole app for a validated config: the hub stack (with the member-role StackSet) and cdk-nag. */
export function buildApp(config: InfraConfig, props: AppProps = {}): ZombieSweepApp {
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...props.context } });
  // Construct id = stack name, so `cdk deploy ZombieSweepHub` selects it.
  const hub = new HubStack(app, HUB_STACK_NAME, {
    stackName: HUB_STACK_NAME,
    description: 'zombie-sweep hub: finds, archives, approves and deletes idle SageMaker endpoints across the organization',
    env: { account: config.hubAccountId, region: config.hubRegion },
    terminationProtection: true,
    config,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, hub };
}
