/** Tag keys written by the workflow. These keys are a contract with operators and auditors (docs/design.md). */
export const TAG = {
  zombie: 'zombie',
  sweepId: 'zombie-sweep-id',
  confirmedDate: 'zombie-confirmed-date',
  confirmedBy: 'zombie-confirmed-by',
  idleSince: 'zombie-idle-since',
  monthlyCostUsd: 'zombie-monthly-cost-usd',
  snapshot: 'zombie-snapshot',
  approvedBy: 'zombie-approved-by',
  approvedAt: 'zombie-approved-at',
  exemptUntil: 'zombie-exempt-until',
} as const;

/** Tags read (never written) by detection: owners set these to keep an endpoint. */
export const EXEMPT_TAG = {
  exempt: 'zombie-exempt',
  exemptUntil: 'zombie-exempt-until',
  autoDeleteAfter: 'auto-delete-after',
} as const;

export const ZOMBIE_VALUE = {
  confirmed: 'confirmed',
  rejected: 'rejected',
  restored: 'restored',
  /** An approver chose scale to zero instead of deletion; `zombie-sweep restore` brings the capacity back. */
  scaledToZero: 'scaled-to-zero',
} as const;

/** Every key the workflow may write starts with this prefix; the member role's IAM policy relies on it. */
export const WORKFLOW_TAG_PREFIX = 'zombie';

export type TagMap = Record<string, string>;

export function tagListToMap(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): TagMap {
  const map: TagMap = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) map[tag.Key] = tag.Value ?? '';
  return map;
}

export function tagMapToList(tags: TagMap): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
