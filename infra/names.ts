import { APPROVAL_WEB_FUNCTION, WORKFLOW_FUNCTIONS, type WorkflowFunction } from '../src/core/functions.ts';
import type { MemberCapability } from '../src/core/capabilities.ts';

/**
 * Deterministic names. Member-account trust policies, the management-account role and the CLI
 * refer to hub resources across accounts and stacks, where CloudFormation references cannot reach,
 * so these are fixed by the config instead of generated. Pure: the CLI may import it without CDK.
 */
export type HubFunction = WorkflowFunction | typeof APPROVAL_WEB_FUNCTION;
export const HUB_FUNCTIONS: readonly HubFunction[] = [...WORKFLOW_FUNCTIONS, APPROVAL_WEB_FUNCTION];

/**
 * The hub functions that act in member accounts, and the one capability role each may assume there
 * (list-targets reads each account's enabled regions). policies/member-<capability>-role-trust.json
 * lists exactly these roles (a test keeps the two in step).
 */
export const MEMBER_CAPABILITY_OF = {
  'list-targets': 'read',
  scan: 'read',
  snapshot: 'snapshot',
  tag: 'tag',
  'apply-decision': 'tag',
  delete: 'delete',
} as const satisfies Partial<Record<WorkflowFunction, MemberCapability>>;

export const MEMBER_ACCESS_FUNCTIONS: readonly WorkflowFunction[] = Object.keys(MEMBER_CAPABILITY_OF) as WorkflowFunction[];

export const HUB_STACK_NAME = 'ZombieSweepHub';

/** CloudFormation outputs of the hub stack (read by `zombie-sweep start` and the deploy guide). */
export const HUB_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  archiveBucket: 'ArchiveBucketName',
  approvalApiUrl: 'ApprovalApiUrl',
  notificationTopicArn: 'NotificationTopicArn',
  alarmTopicArn: 'AlarmTopicArn',
  memberStackSetName: 'MemberStackSetName',
  externalIdSecretArn: 'ExternalIdSecretArn',
} as const;

export interface NamingInput {
  resourcePrefix: string;
  hubAccountId: string;
  hubRegion: string;
  /** Configured bucket names (e.g. a reinstall next to a retained archive); derived from the rest when absent. */
  archive?: { bucketName?: string | undefined; accessLogsBucketName?: string | undefined };
}

/** The two bucket names: configured, or derived from prefix, account and region. */
export function bucketNamesFor(input: NamingInput): { archiveBucket: string; accessLogsBucket: string } {
  const base = `${input.hubAccountId}-${input.hubRegion}`;
  return {
    archiveBucket: input.archive?.bucketName ?? `${input.resourcePrefix}-archive-${base}`,
    accessLogsBucket: input.archive?.accessLogsBucketName ?? `${input.resourcePrefix}-access-logs-${base}`,
  };
}

export function hubNames(input: NamingInput) {
  const p = input.resourcePrefix;
  return {
    ...bucketNamesFor(input),
    archiveKeyAlias: `alias/${p}-archive`,
    notificationKeyAlias: `alias/${p}-notifications`,
    approvalMacKeyAlias: `alias/${p}-approval-mac`,
    decisionMacKeyAlias: `alias/${p}-decision-mac`,
    stateMachine: `${p}-sweep`,
    notificationTopic: `${p}-notifications`,
    alarmTopic: `${p}-alarms`,
    memberStackSet: `${p}-member-role`,
    /** Tag and delete capability roles: a separate StackSet, so protected accounts can be left out. */
    memberActionsStackSet: `${p}-member-actions`,
    schedulerRole: `${p}-scheduler`,
    stateMachineRole: `${p}-state-machine`,
    functionRole: (fn: HubFunction) => `${p}-${fn}`,
    functionName: (fn: HubFunction) => `${p}-${fn}`,
    logGroup: (fn: HubFunction) => `/aws/lambda/${p}-${fn}`,
    stateMachineLogGroup: `/aws/vendedlogs/states/${p}-sweep`,
    apiAccessLogGroup: `/aws/apigateway/${p}-approvals`,
    apiGatewayCloudWatchRole: `${p}-apigateway-cloudwatch`,
    scheduleDeadLetterQueue: `${p}-schedule-dlq`,
    stackSetEventsQueue: `${p}-stackset-failures`,
    stackSetEventsRule: `${p}-stackset-failures`,
    externalIdSecret: `${p}/member-external-id`,
    schedule: `${p}-sweep`,
    dashboard: `${p}-sweeps`,
    metricNamespace: 'ZombieSweep',
  };
}

export type HubNames = ReturnType<typeof hubNames>;
