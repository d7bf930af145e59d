import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { InfraConfig } from '../config.ts';
import { HUB_FUNCTIONS, HUB_OUTPUTS, hubNames, type HubNames } from '../names.ts';
import { acknowledgeWildcards } from '../nag.ts';
import { loadPolicy, type PolicyVars } from '../policies.ts';
import { basePolicyVars } from '../policy-vars.ts';
import { WILDCARD_REASONS } from '../wildcard-reasons.ts';
import { MemberStackSet } from '../member/member-stackset.ts';
import { EXTERNAL_ID_PARAMETER } from '../member/member-template.ts';
import { PreventionStackSet } from '../member/prevention.ts';
import { ApprovalApi } from './approval-api.ts';
import { Archive } from './archive.ts';
import { ExternalId } from './external-id.ts';
import { HubFunctions } from './functions.ts';
import { Monitoring } from './monitoring.ts';
import { Notifications } from './notifications.ts';
import { SweepSchedule } from './schedule.ts';
import { GuardrailScp } from './guardrail.ts';
import { Workflow } from './workflow.ts';

export interface HubStackProps extends StackProps {
  config: InfraConfig;
}

export { basePolicyVars } from '../policy-vars.ts';

/** The account that runs sweeps: archive, functions, state machine, approval API, notifications, schedule, monitoring, member StackSet. */
export class HubStack extends Stack {
  readonly names: HubNames;
  readonly archive: Archive;
  readonly notifications: Notifications;
  readonly macKey: kms.Key;
  readonly decisionMacKey: kms.Key;
  readonly functions: HubFunctions;
  readonly approvalApi: ApprovalApi;
  readonly workflow: Workflow;
  readonly schedule?: SweepSchedule;
  readonly monitoring: Monitoring;
  readonly memberStackSet: MemberStackSet;
  readonly preventionStackSet?: PreventionStackSet;
  readonly externalId: ExternalId;

  constructor(scope: Construct, id: string, props: HubStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = (this.names = hubNames(config));
    const staticVars = basePolicyVars(config, names, this.partition);

    this.archive = new Archive(this, 'Archive', { config, names, policyVars: staticVars });
    this.notifications = new Notifications(this, 'Notifications', { config, names, policyVars: staticVars });
    // Approval links are HMACs computed inside KMS: the key never leaves it, so it cannot leak into logs or URLs.
    this.macKey = new kms.Key(this, 'ApprovalMacKey', {
      alias: names.approvalMacKeyAlias,
      description: 'zombie-sweep approval link signatures (HMAC-SHA-256)',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Decisions get a key of their own: only the approval endpoint may sign with it (policies/hub-approval-web.json);
    // ApplyDecision and Delete only verify. RequestApproval signs links, so it must not be able to sign decisions.
    this.decisionMacKey = new kms.Key(this, 'DecisionMacKey', {
      alias: names.decisionMacKeyAlias,
      description: 'zombie-sweep approval decision record signatures (HMAC-SHA-256)',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const policyVars: PolicyVars = {
      ...staticVars,
      ArchiveKeyArn: this.archive.key.keyArn,
      ApprovalMacKeyArn: this.macKey.keyArn,
      DecisionMacKeyArn: this.decisionMacKey.keyArn,
      NotificationTopicArn: this.notifications.topic.topicArn,
      NotificationKeyArn: this.notifications.key.keyArn,
    };

    this.externalId = new ExternalId(this, 'ExternalId', { config });
    this.functions = new HubFunctions(this, 'Functions', {
      config,
      names,
      policyVars,
      externalIdSecret: { arnForPolicy: this.externalId.secretArnForPolicy, secretId: this.externalId.secretId },
      env: {
        ARCHIVE_BUCKET: names.archiveBucket,
        ARCHIVE_KMS_KEY_ID: this.archive.key.keyArn,
        NOTIFICATION_TOPIC_ARN: this.notifications.topic.topicArn,
        APPROVAL_MAC_KEY_ID: this.macKey.keyArn,
        DECISION_MAC_KEY_ID: this.decisionMacKey.keyArn,
        AUDIT_RETENTION_DAYS: String(config.retention.auditDays),
        AUDIT_RETENTION_MODE: config.retention.auditMode,
        METRICS_NAMESPACE: names.metricNamespace,
        PROTECTED_LIST: JSON.stringify(config.protected),
      },
    });
    for (const fn of HUB_FUNCTIONS) acknowledgeWildcards(this.functions.roles[fn], this.functions.policyDocuments[fn], WILDCARD_REASONS);

    this.approvalApi = new ApprovalApi(this, 'ApprovalApi', { config, names, handler: this.functions.functions['approval-web'] });
    this.functions.setEnv('APPROVAL_BASE_URL', this.approvalApi.api.url);

    this.workflow = new Workflow(this, 'Workflow', { config, names, policyVars, functions: this.functions });
    acknowledgeWildcards(this.workflow.role, [loadPolicy('hub-state-machine', policyVars)], WILDCARD_REASONS);

    if (config.schedule) {
      this.schedule = new SweepSchedule(this, 'Schedule', { config, names, policyVars, stateMachineArn: this.workflow.stateMachine.stateMachineArn });
    }

    // Member accounts resolve their own partition; every other value is fixed by the config or this stack.
    this.memberStackSet = new MemberStackSet(this, 'MemberRoles', {
      config,
      names,
      policyVars: { ...policyVars, Partition: '${AWS::Partition}', ExternalId: `\${${EXTERNAL_ID_PARAMETER}}` },
      externalIdValue: this.externalId.dynamicReference(),
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      names,
      stateMachine: this.workflow.stateMachine,
      functions: this.functions,
      alarmTopic: this.notifications.alarmTopic,
      approvalApi: this.approvalApi,
      stackSetArn: `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stackset/${this.memberStackSet.stackSet.attrStackSetId}`,
      ...(this.schedule ? { scheduleDeadLetterQueue: this.schedule.deadLetterQueue } : {}),
    });
    if (config.prevention.guardrailScp.enabled) new GuardrailScp(this, 'GuardrailScp', { config, policyVars });
    if (config.prevention.autoTagger.enabled) {
      this.preventionStackSet = new PreventionStackSet(this, 'Prevention', { config, names, policyVars: { ...policyVars, Partition: '${AWS::Partition}' } });
    }

    new CfnOutput(this, HUB_OUTPUTS.stateMachineArn, {
      value: this.workflow.stateMachine.stateMachineArn,
      description: 'Start sweeps here (zombie-sweep start)',
    });
    new CfnOutput(this, HUB_OUTPUTS.archiveBucket, { value: names.archiveBucket, description: 'Reports, artifact copies, manifests and the audit trail' });
    new CfnOutput(this, HUB_OUTPUTS.approvalApiUrl, { value: this.approvalApi.api.url, description: 'Base URL of the approval pages' });
    new CfnOutput(this, HUB_OUTPUTS.notificationTopicArn, { value: this.notifications.topic.topicArn });
    new CfnOutput(this, HUB_OUTPUTS.alarmTopicArn, { value: this.notifications.alarmTopic.topicArn });
    new CfnOutput(this, HUB_OUTPUTS.memberStackSetName, { value: names.memberStackSet });
    new CfnOutput(this, HUB_OUTPUTS.externalIdSecretArn, {
      value: this.externalId.secret.secretArn,
      description: 'Secret holding the member role external id',
    });
  }
}
