import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { InfraConfig } from './config.ts';
import type { HubNames } from './names.ts';
import { loadPolicy, type PolicyVars } from './policies.ts';

export interface OrgAccessStackProps extends StackProps {
  config: InfraConfig;
  names: HubNames;
  policyVars: PolicyVars;
}

/**
 * Deployed to the management account when the hub is a separate account that is not a delegated
 * administrator: one read-only role the hub's list-targets function assumes to list accounts and OUs.
 */
export class OrgAccessStack extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: OrgAccessStackProps) {
    super(scope, id, props);
    const { names, policyVars } = props;
    const trust = loadPolicy('org-reader-role-trust', policyVars);
    this.role = new iam.Role(this, 'OrgReaderRole', {
      roleName: names.orgReaderRole,
      description: 'zombie-sweep: lets the hub list accounts and OUs of the organization',
      assumedBy: new iam.AccountPrincipal(props.config.hubAccountId),
      inlinePolicies: { read: iam.PolicyDocument.fromJson(loadPolicy('org-reader-role-policy', policyVars)) },
      maxSessionDuration: Duration.hours(1),
    });
    // The trust comes from policies/ verbatim (principal plus role-ARN, org and external-id conditions).
    (this.role.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument = trust;
    new CfnOutput(this, 'OrgReaderRoleArn', { value: this.role.roleArn });
  }
}
