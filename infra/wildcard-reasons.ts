/**
 * Why each policies/ statement that cdk-nag reports as a wildcard (AwsSolutions-IAM5) is acceptable,
 * keyed by the statement's Sid. The acknowledgment on each role is built from these, finding by
 * finding; a wildcard statement without an entry here fails synth, so a new wildcard always comes
 * with a reviewed reason. A test checks that the actions granted on "*" really have no
 * resource-level permissions in the Service Authorization Reference.
 */
export const WILDCARD_REASONS: Readonly<Record<string, string>> = {
  // hub-function-base.json
  WriteOwnLogGroup: "log streams are created by Lambda at run time inside this function's own log group; the grant names that group",
  XRayTracing: 'X-Ray trace and sampling calls have no resource-level permissions (Service Authorization Reference), so Resource must be "*"',
  AppendAuditEvents: 'audit events get generated keys under audit/ of the archive bucket; the bucket policy still forbids overwriting or deleting them',
  ReadAuditTrail: 'steps re-read the audit events of the endpoints they act on (one object per event under audit/); read-only and limited to that prefix',
  // per-function documents
  ReadWriteSweepFiles: 'sweep files (targets, findings, candidates, state, Map results) have keys generated per sweep under sweeps/ of the archive bucket',
  ReadSweepFiles: 'sweep files (targets, findings, candidates, decisions) have keys generated per sweep under sweeps/; read-only',
  DeleteSweepWorkingState: 'snapshot working state under sweeps/ is removed once its manifest exists; limited to that prefix',
  WriteFindings: 'one findings file per sweep, account and region (sweeps/<sweep>/findings/<account>/<region>.json); write-only',
  EndpointConfigCache: 'one endpoint-config cache file per account and region (cache/endpoint-configs/<account>/<region>.json), read and rewritten by the scan',
  WriteTargetList: 'one target list per sweep (sweeps/<sweep>/targets.json); write-only',
  ManageSweepLocks: 'one lock object per sweep scope under locks/ of the archive bucket, created and released by the workflow',
  ReadWriteManifests: 'one manifest per endpoint and sweep under manifests/ of the archive bucket, written once after a verified copy',
  ReadManifests: 'manifests under manifests/ of the archive bucket are read to check a verified snapshot exists; read-only',
  ReverifyArchivedCopies:
    'at delete time the hub re-checks (HeadObject with checksums) every archived copy the manifest lists, under artifacts/ of any account and endpoint; read-only',
  VerifyArtifactCopies: 'the hub verifies each copy the member snapshot role wrote under artifacts/ (HeadObject with checksums); read-only',
  ReadWriteApprovals: 'one approval request and one decision object per sweep under approvals/ of the archive bucket',
  ReadApprovals: 'the approval request and decision per sweep under approvals/ are read to check a decision; read-only',
  WriteDecisionRecord: 'one decision object per sweep (approvals/<sweep>/decision.json); the key pattern excludes the approval request beside it',
  ReadDecisionRecord: 'the decision object per sweep (approvals/<sweep>/decision.json) is read to re-check approval before deleting; read-only',
  AssumeReadCapabilityRole:
    'each member capability role has the same name in every organization account (deployed by the StackSets); aws:ResourceOrgID limits the grant to roles of this organization, and each hub role names only its own capability role',
  AssumeSnapshotCapabilityRole:
    'each member capability role has the same name in every organization account (deployed by the StackSets); aws:ResourceOrgID limits the grant to roles of this organization, and each hub role names only its own capability role',
  AssumeTagCapabilityRole:
    'each member capability role has the same name in every organization account (deployed by the StackSets); aws:ResourceOrgID limits the grant to roles of this organization, and each hub role names only its own capability role',
  AssumeDeleteCapabilityRole:
    'each member capability role has the same name in every organization account (deployed by the StackSets); aws:ResourceOrgID limits the grant to roles of this organization, and each hub role names only its own capability role',
  TagDeleteSessionsWithTheSweepId:
    'the delete capability role has the same name in every organization account; only the zombie-sweep-id session tag may be set, and only on roles of this organization',
  ReadAccountOwnerTags:
    "the owner tags of any account of this organization (an owner-less endpoint's account owner); the ARN names the management account and organization; read-only",
  RecordOwnerVetoes:
    'one veto object per endpoint an owner keeps (approvals/<sweep>/vetoes/<account>/<region>/<endpoint>.json), written once; the key pattern excludes the approval request and decision',
  ReadOwnerVetoes: 'the owner veto objects per endpoint (approvals/<sweep>/vetoes/...) are read to re-check a veto before deleting; read-only',
  ReadAccountParents:
    'organizations:ListParents has no resource-level permissions (Service Authorization Reference); read-only, for approver groups matched by OU',
  ReadOrganizationStructure: 'the Organizations list actions the target listing calls have no resource-level permissions; read-only',
  ResolveEnabledRegions: 'ec2:DescribeRegions has no resource-level permissions (Service Authorization Reference); read-only',
  PublishSavingsMetrics:
    'cloudwatch:PutMetricData has no resource-level permissions (Service Authorization Reference); the cloudwatch:namespace condition limits it to the product namespace',
  SendApprovalDecision: 'states:SendTaskSuccess takes a task token, not a resource ARN (no resource-level permissions, Service Authorization Reference)',
  // hub-state-machine.json
  InvokeWorkflowFunctions: 'the workflow functions by name, plus their versions and aliases (":*")',
  ManageDistributedMapChildren: 'Distributed Map child executions of this state machine get generated names under its execution ARN',
  RedriveDistributedMapRuns: 'Distributed Map runs of this state machine get generated labels under its execution ARN',
  ReadMapItemsAndWriteMapResults: 'ItemReader files and ResultWriter outputs have keys generated per sweep under sweeps/ of the archive bucket',
  DeliverLogsToCloudWatch:
    'CloudWatch Logs delivery for Step Functions (vended logs) requires these actions on "*" (Step Functions developer guide, logging IAM policy)',
};
