/**
 * Archive bucket layout (docs/design.md). Every key the system reads or writes is built here, so the layout
 * can be read in one place and an auditor's tooling can rely on it.
 */
const safe = (part: string, what: string): string => {
  if (part.length === 0 || part.includes('/') || part === '.' || part === '..') {
    throw new Error(`unsafe ${what} for an S3 key segment: ${JSON.stringify(part)}`);
  }
  return part;
};

export const layout = {
  sweepPrefix: (sweepId: string) => `sweeps/${safe(sweepId, 'sweep id')}/`,
  targets: (sweepId: string) => `sweeps/${safe(sweepId, 'sweep id')}/targets.json`,
  findings: (sweepId: string, accountId: string, region: string) =>
    `sweeps/${safe(sweepId, 'sweep id')}/findings/${safe(accountId, 'account id')}/${safe(region, 'region')}.json`,
  findingsPrefix: (sweepId: string) => `sweeps/${safe(sweepId, 'sweep id')}/findings/`,
  report: (sweepId: string) => `sweeps/${safe(sweepId, 'sweep id')}/report.json`,
  /** Workflow-internal files that live beside the report (candidate lists, decisions, Map results). */
  sweepFile: (sweepId: string, name: string) => `sweeps/${safe(sweepId, 'sweep id')}/${safe(name, 'file name')}`,
  artifactPrefix: (accountId: string, region: string, endpoint: string, sweepId: string) =>
    `artifacts/${safe(accountId, 'account id')}/${safe(region, 'region')}/${safe(endpoint, 'endpoint name')}/${safe(sweepId, 'sweep id')}/`,
  manifest: (accountId: string, region: string, endpoint: string, sweepId: string) =>
    `manifests/${safe(accountId, 'account id')}/${safe(region, 'region')}/${safe(endpoint, 'endpoint name')}/${safe(sweepId, 'sweep id')}.json`,
  /** Snapshot working state (plan, progress, suspended multipart copies): sweep-internal, removed once the manifest exists. */
  snapshotStatePrefix: (sweepId: string, accountId: string, region: string, endpoint: string) =>
    `sweeps/${safe(sweepId, 'sweep id')}/snapshots/${safe(accountId, 'account id')}/${safe(region, 'region')}/${safe(endpoint, 'endpoint name')}/`,
  /** Where every manifest lives: `manifests/<account>/<region>/<endpoint>/`, listed level by level to find an endpoint by name. */
  /** The capacity an endpoint had before it was scaled to zero (written before scaling; restore reads it). */
  scaledToZero: (accountId: string, region: string, endpoint: string, sweepId: string) =>
    `scaled-to-zero/${safe(accountId, 'account id')}/${safe(region, 'region')}/${safe(endpoint, 'endpoint name')}/${safe(sweepId, 'sweep id')}.json`,
  manifestsRoot: () => 'manifests/',
  manifestPrefix: (accountId: string, region: string, endpoint: string) =>
    `manifests/${safe(accountId, 'account id')}/${safe(region, 'region')}/${safe(endpoint, 'endpoint name')}/`,
  /** One object per event, never rewritten: `<ts>-<type>-<id>.json` sorts chronologically under an endpoint. */
  endpointAuditPrefix: (accountId: string, region: string, endpoint: string) =>
    `audit/endpoints/${safe(accountId, 'account id')}/${safe(region, 'region')}/${safe(endpoint, 'endpoint name')}/`,
  sweepAuditPrefix: (sweepId: string) => `audit/sweeps/${safe(sweepId, 'sweep id')}/`,
  /** Per-sweep index of the endpoints a sweep's events touched: one marker object per endpoint. */
  sweepIndexPrefix: (sweepId: string) => `audit/sweep-index/${safe(sweepId, 'sweep id')}/`,
  sweepIndexEntry: (sweepId: string, accountId: string, region: string, endpoint: string) =>
    `audit/sweep-index/${safe(sweepId, 'sweep id')}/${safe(accountId, 'account id')}/${safe(region, 'region')}/${safe(endpoint, 'endpoint name')}.json`,
  auditPrefix: () => 'audit/',
  approval: (sweepId: string) => `approvals/${safe(sweepId, 'sweep id')}/request.json`,
  decision: (sweepId: string) => `approvals/${safe(sweepId, 'sweep id')}/decision.json`,
  /** One approver group's decision record (sweeps with approver groups or a quorum). */
  groupDecision: (sweepId: string, group: string) => `approvals/${safe(sweepId, 'sweep id')}/groups/${safe(group, 'group name')}/decision.json`,
  /** The owner notice of a sweep: who was told about which endpoints, and until when their veto links work. */
  notice: (sweepId: string) => `approvals/${safe(sweepId, 'sweep id')}/notice.json`,
  vetoPrefix: (sweepId: string) => `approvals/${safe(sweepId, 'sweep id')}/vetoes/`,
  /** One object per vetoed endpoint, written once (If-None-Match) by the owner's veto. */
  veto: (sweepId: string, accountId: string, region: string, endpoint: string) =>
    `approvals/${safe(sweepId, 'sweep id')}/vetoes/${safe(accountId, 'account id')}/${safe(region, 'region')}/${safe(endpoint, 'endpoint name')}.json`,
  /** DescribeEndpointConfig answers kept across sweeps, one file per account-region (src/detection/config-cache.ts). */
  configCache: (accountId: string, region: string) => `cache/endpoint-configs/${safe(accountId, 'account id')}/${safe(region, 'region')}.json`,
  lock: (scope: string) => `locks/${safe(scope, 'lock scope')}.json`,
};

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1]!, key: match[2] ?? '' };
}
