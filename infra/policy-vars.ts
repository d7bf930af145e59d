import type { InfraConfig } from './config.ts';
import type { HubNames } from './names.ts';
import { memberPolicyVars } from './policies.ts';

/**
 * Placeholder values every policies/ document may use, apart from per-resource ones added where they
 * are known. CDK-free, so the CLI (member-role diff) fills the member documents exactly as the stack does.
 */
export function basePolicyVars(config: InfraConfig, names: HubNames, partition: string): Record<string, string | string[]> {
  return {
    Partition: partition,
    HubAccountId: config.hubAccountId,
    HubRegion: config.hubRegion,
    OrgId: config.organizationId,
    ManagementAccountId: config.managementAccountId,
    ResourcePrefix: config.resourcePrefix,
    ...memberPolicyVars(config),
    RestoreRoleName: config.restoreRole.name,
    RestoreTrustedPrincipalArns: config.restoreRole.trustedPrincipalArns,
    ArchiveBucket: names.archiveBucket,
    StateMachineName: names.stateMachine,
    MetricNamespace: names.metricNamespace,
  };
}
