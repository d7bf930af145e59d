import { Stack } from 'aws-cdk-lib';
import * as cfn from 'aws-cdk-lib/aws-cloudformation';
import { Construct } from 'constructs';
import { hubIsManagement, type InfraConfig } from '../config.ts';
import type { HubNames } from '../names.ts';
import type { PolicyVars } from '../policies.ts';
import { EXTERNAL_ID_PARAMETER, memberTemplate } from './member-template.ts';

export interface MemberStackSetProps {
  config: InfraConfig;
  names: HubNames;
  /** Placeholder values for the member documents; Partition must be `${AWS::Partition}` (resolved per account). */
  policyVars: PolicyVars;
  /** The external id, as a dynamic reference CloudFormation resolves at deploy time (never plain text). */
  externalIdValue: string;
}

/**
 * The member role in every account of the target OUs: a service-managed StackSet with automatic
 * deployment, so accounts that join those OUs get the role and accounts that leave lose it. IAM is
 * global, so one region per account is enough. Service-managed StackSets never deploy to the
 * management account itself (docs/deploy.md shows how to add the role there if it hosts endpoints).
 */
export class MemberStackSet extends Construct {
  readonly stackSet: cfn.CfnStackSet;
  /** The template body as a plain object (tokens unresolved), for inspection. */
  readonly template: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: MemberStackSetProps) {
    super(scope, id);
    const { config, names } = props;
    this.template = memberTemplate({ config, policyVars: props.policyVars });

    this.stackSet = new cfn.CfnStackSet(this, 'StackSet', {
      stackSetName: names.memberStackSet,
      description: 'zombie-sweep member role (and, if enabled, restore role) in every target account',
      permissionModel: 'SERVICE_MANAGED',
      // The management account creates service-managed StackSets as SELF; a registered delegated administrator as DELEGATED_ADMIN.
      callAs: hubIsManagement(config) ? 'SELF' : 'DELEGATED_ADMIN',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        regionConcurrencyType: 'PARALLEL',
        maxConcurrentPercentage: 25,
        // An account that fails (e.g. an SCP denying IAM) must not block the rest; the sweep reports it unreachable.
        failureTolerancePercentage: 25,
      },
      stackInstancesGroup: [
        {
          regions: [config.stackSetRegion ?? config.hubRegion],
          deploymentTargets: { organizationalUnitIds: config.targetOus },
        },
      ],
      // NoEcho in the member template: DescribeStackSet and the console show it masked.
      parameters: [{ parameterKey: EXTERNAL_ID_PARAMETER, parameterValue: props.externalIdValue }],
      templateBody: Stack.of(this).toJsonString(this.template),
    });
  }
}
