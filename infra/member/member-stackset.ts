import { Stack } from 'aws-cdk-lib';
import * as cfn from 'aws-cdk-lib/aws-cloudformation';
import { Construct } from 'constructs';
import { hubIsManagement, type InfraConfig } from '../config.ts';
import type { HubNames } from '../names.ts';
import type { PolicyVars } from '../policies.ts';
import { EXTERNAL_ID_PARAMETER, memberTemplate, type MemberTemplatePart } from './member-template.ts';

export interface MemberStackSetProps {
  config: InfraConfig;
  names: HubNames;
  /** Placeholder values for the member documents; Partition must be `${AWS::Partition}` (resolved per account). */
  policyVars: PolicyVars;
  /** The external id, as a dynamic reference CloudFormation resolves at deploy time (never plain text). */
  externalIdValue: string;
}

/**
 * Where the tag and delete capabilities go: the target OUs, less the protected OUs that are target OUs
 * themselves and less every protected account (AccountFilterType DIFFERENCE). A protected OU nested
 * below a target OU cannot be subtracted this way (StackSets filter accounts, not OUs); the sweep's
 * own protected list covers it (docs/security.md).
 */
export function actionDeploymentTargets(config: InfraConfig): cfn.CfnStackSet.DeploymentTargetsProperty | undefined {
  const ous = config.targetOus.filter((ou) => !config.protected.ouIds.includes(ou));
  if (ous.length === 0) return undefined;
  if (config.protected.accountIds.length === 0) return { organizationalUnitIds: ous };
  return { organizationalUnitIds: ous, accountFilterType: 'DIFFERENCE', accounts: [...config.protected.accountIds] };
}

/**
 * The member capability roles in every account of the target OUs: service-managed StackSets with
 * automatic deployment, so accounts that join those OUs get the roles and accounts that leave lose
 * them. IAM is global, so one region per account is enough. Two StackSets: read and snapshot roles
 * (and the optional restore role) everywhere, tag and delete roles everywhere but the protected
 * accounts. Service-managed StackSets never deploy to the management account itself (docs/deploy.md
 * shows how to add the roles there if it hosts endpoints).
 */
export class MemberStackSet extends Construct {
  readonly stackSet: cfn.CfnStackSet;
  /** Tag and delete roles; undefined when every target OU is protected (nothing may be tagged or deleted). */
  readonly actionStackSet?: cfn.CfnStackSet;
  /** The template bodies as plain objects (tokens unresolved), for inspection. */
  readonly template: Record<string, unknown>;
  readonly actionTemplate: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: MemberStackSetProps) {
    super(scope, id);
    const { config, names } = props;
    this.template = memberTemplate({ config, policyVars: props.policyVars }, 'observe');
    this.actionTemplate = memberTemplate({ config, policyVars: props.policyVars }, 'act');
    this.stackSet = this.stackSetFor('StackSet', names.memberStackSet, 'observe', { organizationalUnitIds: config.targetOus }, props);
    const actionTargets = actionDeploymentTargets(config);
    if (actionTargets) this.actionStackSet = this.stackSetFor('ActionStackSet', names.memberActionsStackSet, 'act', actionTargets, props);
  }

  private stackSetFor(
    id: string,
    name: string,
    part: MemberTemplatePart,
    targets: cfn.CfnStackSet.DeploymentTargetsProperty,
    props: MemberStackSetProps,
  ): cfn.CfnStackSet {
    const { config } = props;
    return new cfn.CfnStackSet(this, id, {
      stackSetName: name,
      description:
        part === 'observe'
          ? 'zombie-sweep member read and snapshot roles (and, if enabled, restore role) in every target account'
          : 'zombie-sweep member tag and delete roles in every target account except the protected ones',
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
      stackInstancesGroup: [{ regions: [config.stackSetRegion ?? config.hubRegion], deploymentTargets: targets }],
      // NoEcho in the member template: DescribeStackSet and the console show it masked.
      parameters: [{ parameterKey: EXTERNAL_ID_PARAMETER, parameterValue: props.externalIdValue }],
      templateBody: Stack.of(this).toJsonString(part === 'observe' ? this.template : this.actionTemplate),
    });
  }
}
