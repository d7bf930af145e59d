import { TAG } from './tags.ts';

/**
 * What a hub step may do in a member account. Each capability is its own IAM role there (see
 * docs/security.md): a session that can write tags can never delete, a session that can delete can
 * never write tags, and scanning sessions can do neither. Pure: the CLI, the simulator and infra use it.
 */
export const MEMBER_CAPABILITIES = ['read', 'snapshot', 'tag', 'delete'] as const;
export type MemberCapability = (typeof MEMBER_CAPABILITIES)[number];

/**
 * The read role keeps the configured member role name, so `scan --org --role-name X` and existing
 * report-only setups keep working; the acting capabilities append a suffix to it.
 */
const ROLE_SUFFIX: Record<MemberCapability, string> = {
  read: '',
  snapshot: '-Snapshot',
  tag: '-Tag',
  delete: '-Delete',
};

/** IAM role names are at most 64 characters; the longest suffix must still fit. */
export const MAX_MEMBER_ROLE_BASE_LENGTH = 64 - Math.max(...Object.values(ROLE_SUFFIX).map((s) => s.length));

export function capabilityRoleName(baseRoleName: string, capability: MemberCapability): string {
  return `${baseRoleName}${ROLE_SUFFIX[capability]}`;
}

/**
 * The base name and capability of a capability role name, or undefined when the name is not one.
 * The simulator uses it to model the StackSet, which deploys every capability role next to the base role.
 */
export function parseCapabilityRoleName(roleName: string): { base: string; capability: MemberCapability } | undefined {
  for (const capability of MEMBER_CAPABILITIES) {
    const suffix = ROLE_SUFFIX[capability];
    if (suffix && roleName.endsWith(suffix) && roleName.length > suffix.length) return { base: roleName.slice(0, -suffix.length), capability };
  }
  return undefined;
}

/**
 * The STS session tag the delete capability's trust policy requires, and whose value its policy
 * compares with each resource's `zombie-sweep-id` tag: a delete session can only remove what its own
 * sweep confirmed. Same key as the resource tag, so the policy reads `${aws:PrincipalTag/zombie-sweep-id}`.
 */
export const SWEEP_SESSION_TAG = TAG.sweepId;

export function deleteSessionTags(sweepId: string): Record<string, string> {
  return { [SWEEP_SESSION_TAG]: sweepId };
}
