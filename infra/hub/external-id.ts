import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { InfraConfig } from '../config.ts';
import { suppress } from '../nag.ts';

export interface ExternalIdProps {
  config: InfraConfig;
}

/**
 * The external id the member role's trust policy requires: generated here in Secrets Manager, or the
 * existing secret `externalIdSecret` names. Templates carry only a `{{resolve:secretsmanager:...}}`
 * dynamic reference, which CloudFormation resolves at deploy time for any resource property
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html);
 * the StackSet receives it as a NoEcho parameter, and the hub functions read it with GetSecretValue.
 */
export class ExternalId extends Construct {
  readonly secret: secretsmanager.ISecret;
  /** ARN the functions read and their policy grants (a name-based ARN pattern for an existing secret named by name). */
  readonly secretArnForPolicy: string;
  /** The id the functions pass to GetSecretValue. */
  readonly secretId: string;

  constructor(scope: Construct, id: string, props: ExternalIdProps) {
    super(scope, id);
    const existing = props.config.externalIdSecret;
    if (existing) {
      const stack = Stack.of(this);
      if (existing.startsWith('arn:')) {
        this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', existing);
        this.secretArnForPolicy = existing;
      } else {
        this.secret = secretsmanager.Secret.fromSecretNameV2(this, 'Secret', existing);
        // Secrets Manager appends six random characters to the name in the ARN.
        this.secretArnForPolicy = `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${existing}-??????`;
      }
      this.secretId = existing;
      return;
    }
    const generated = new secretsmanager.Secret(this, 'Secret', {
      description: 'zombie-sweep: sts:ExternalId the member role requires (read by the hub functions and passed to the member-role StackSet)',
      // Letters and digits only: every character is valid in sts:ExternalId and in an IAM condition value.
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      // Unnamed on purpose: a deleted secret keeps its name for its recovery window, which would block a reinstall.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    suppress(generated, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating the external id needs a StackSet update of every member trust policy in step with the hub; docs/operations.md describes the manual rotation.',
      },
    ]);
    this.secret = generated;
    this.secretArnForPolicy = generated.secretArn;
    this.secretId = generated.secretArn;
  }

  /** `{{resolve:secretsmanager:...}}`: resolved by CloudFormation, never written into a template as text. */
  dynamicReference(): string {
    return this.secret.secretValue.unsafeUnwrap();
  }
}
