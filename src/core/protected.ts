import type { ProtectedList } from './schemas.ts';
import type { TagMap } from './tags.ts';

/**
 * The protected list: accounts, OUs and endpoint tags zombie-sweep never tags, scales or deletes in.
 * The `zombie-protected` tag protects everywhere, whatever the list says; it is read as IAM reads it
 * (policies/member-tag-policy.json, member-delete-policy.json): any value but false, no, 0 or empty.
 */
export const PROTECTED_TAG = 'zombie-protected';

const NOT_PROTECTING = new Set(['false', 'no', '0', '']);

/** Why an endpoint's tags protect it, or undefined. */
export function protectedByTags(tags: TagMap, configured: Readonly<Record<string, string>> = {}): string | undefined {
  const wanted = new Map(Object.entries(configured).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [key, value] of Object.entries(tags)) {
    const lower = key.toLowerCase();
    if (lower === PROTECTED_TAG && !NOT_PROTECTING.has(value.trim().toLowerCase())) return `protected: tag ${key}=${value}`;
    if (wanted.has(lower) && wanted.get(lower) === value) return `protected: tag ${key}=${value} is on the protected list`;
  }
  return undefined;
}

/** Why every endpoint of the account is protected, or undefined. `underOus` maps each protected OU to the accounts below it. */
export function accountProtection(accountId: string, list: ProtectedList, underOus: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  if (list.accountIds.includes(accountId)) return `protected: account ${accountId} is on the protected list`;
  for (const [ou, accounts] of underOus) if (accounts.has(accountId)) return `protected: account ${accountId} is under protected OU ${ou}`;
  return undefined;
}
