import { Aws } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';
import type { InfraConfig } from '../config.ts';
import { loadPolicy, type PolicyVars } from '../policies.ts';

export interface GuardrailScpProps {
  config: InfraConfig;
  policyVars: PolicyVars;
}

/**
 * The opt-in organization guardrail (config prevention.guardrailScp): the service control policy of
 * policies/scp-require-auto-delete-after.json, attached to the configured targets (default: the target
 * OUs). Every principal in those accounts, administrators included, is then refused CreateEndpoint
 * without an `auto-delete-after` tag and DeleteTags of that tag, except the restore and tag roles.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-organizations-policy.html
 */
export class GuardrailScp extends Construct {
  readonly policy: organizations.CfnPolicy;

  constructor(scope: Construct, id: string, props: GuardrailScpProps) {
    super(scope, id);
    const { config } = props;
    const targets = config.prevention.guardrailScp.targetIds.length > 0 ? config.prevention.guardrailScp.targetIds : config.targetOus;
    this.policy = new organizations.CfnPolicy(this, 'Policy', {
      name: `${config.resourcePrefix}-require-auto-delete-after`,
      description: 'zombie-sweep: SageMaker endpoints must carry auto-delete-after, and only the workflow may remove it',
      type: 'SERVICE_CONTROL_POLICY',
      content: loadPolicy('scp-require-auto-delete-after', { ...props.policyVars, Partition: Aws.PARTITION }),
      targetIds: targets,
    });
  }
}
