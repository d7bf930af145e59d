import { ListParentsCommand, ListTagsForResourceCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import { z } from 'zod';
import { mapLimit } from './concurrency.ts';
import { errorName } from './errors.ts';
import { retryableIfTransient } from './s3-json.ts';

/**
 * Who owns an endpoint: the one place that reads owner tags. The approval page, the approval email,
 * the owner notices, the report and the savings ledger all resolve owners here, so an owner shown to
 * an approver is the owner who gets the notice and the owner a saving is credited to.
 */

/** Tag keys that name who owns an endpoint, in order of preference (`approval.ownerTagKeys`). */
export const DEFAULT_OWNER_TAG_KEYS = ['owner', 'team', 'created-by'] as const;

type Tags = Readonly<Record<string, string>>;

/**
 * The endpoint's owner tags, in the order of `keys`, matched case-insensitively (teams write both
 * "Owner" and "owner"); the tag's own key is kept for display. Blank values do not count.
 */
export function ownerTagsOf(tags: Tags | undefined, keys: readonly string[] = DEFAULT_OWNER_TAG_KEYS): Record<string, string> {
  if (!tags) return {};
  const byLower = new Map(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), [k, v] as const]));
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const hit = byLower.get(key.toLowerCase());
    if (hit && hit[1].trim() !== '') picked[hit[0]] = hit[1];
  }
  return picked;
}

/** The first owner tag present, as `key=value`, or null. */
export function ownerLabel(tags: Tags | undefined, keys: readonly string[] = DEFAULT_OWNER_TAG_KEYS): string | null {
  const first = Object.entries(ownerTagsOf(tags, keys))[0];
  return first ? `${first[0]}=${first[1].trim()}` : null;
}

const Email = z.email();
const isEmail = (value: string): boolean => Email.safeParse(value).success;

/** Where an owner was found: an endpoint tag, or (no owner tag) the account's owner. */
export type OwnerSource = 'tag' | 'account';

export interface ResolvedOwner {
  /** Who to tell: the first owner tag value that is an email address, else the account's owner. */
  contact: string | null;
  source: OwnerSource | null;
}

/**
 * The owner to notify. An endpoint tag naming an address wins (the people who made the endpoint);
 * a tag naming a team or a role is shown to approvers but cannot be mailed, so the account's owner
 * is told instead.
 */
export function resolveOwner(tags: Tags | undefined, keys: readonly string[], accountOwner: string | undefined): ResolvedOwner {
  const address = Object.values(ownerTagsOf(tags, keys))
    .map((v) => v.trim())
    .find(isEmail);
  if (address) return { contact: address, source: 'tag' };
  if (accountOwner) return { contact: accountOwner, source: 'account' };
  return { contact: null, source: null };
}

/**
 * Each account's owner: the configured contact (`approval.accountOwners`), else an owner-key tag
 * carrying an address on the account in AWS Organizations (ListTagsForResource, one call per account
 * not in the map, only when the organization can be read). Unknown or unreadable: no entry.
 */
export async function accountOwners(
  accountIds: readonly string[],
  configured: Readonly<Record<string, string>>,
  keys: readonly string[],
  organizations: Pick<OrganizationsClient, 'send'> | undefined,
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const toRead: string[] = [];
  for (const id of new Set(accountIds)) {
    const contact = configured[id];
    if (contact) owners.set(id, contact);
    else toRead.push(id);
  }
  if (!organizations) return owners;
  await mapLimit(toRead, 2, async (id) => {
    const tags = await organizationTags(organizations, id);
    const address = Object.values(ownerTagsOf(tags, keys))
      .map((v) => v.trim())
      .find(isEmail);
    if (address) owners.set(id, address);
  });
  return owners;
}

/** Answers meaning "this hub cannot read the organization's tags": no owner known, never a failed sweep. */
const NOT_READABLE = new Set(['AccessDeniedException', 'AWSOrganizationsNotInUseException', 'AccountNotFoundException', 'TargetNotFoundException']);

/** An account's tags, or undefined when the organization cannot be read; anything else (throttling) propagates to the step's Retry. */
async function organizationTags(organizations: Pick<OrganizationsClient, 'send'>, accountId: string): Promise<Record<string, string> | undefined> {
  const tags: Record<string, string> = {};
  let token: string | undefined;
  try {
    do {
      const page = await organizations.send(new ListTagsForResourceCommand({ ResourceId: accountId, NextToken: token }));
      for (const t of page.Tags ?? []) if (t.Key && t.Value !== undefined) tags[t.Key] = t.Value;
      token = page.NextToken;
    } while (token);
  } catch (error) {
    if (NOT_READABLE.has(errorName(error))) return undefined;
    throw retryableIfTransient(error, `reading the Organizations tags of account ${accountId}`);
  }
  return tags;
}

/**
 * Each account's OUs, nearest first, up to (not including) the root, for approver groups matched by
 * OU: a group naming an OU matches every account below it, however deeply nested. ListParents is
 * called once per account and once per OU on the way up (shared OUs are read once per call, that is
 * once per sweep). An unreadable organization gives none.
 */
export async function accountParents(accountIds: readonly string[], organizations: Pick<OrganizationsClient, 'send'>): Promise<Map<string, string[]>> {
  const parentOf = new Map<string, Promise<string | undefined>>();
  const parent = (childId: string) => {
    let found = parentOf.get(childId);
    if (!found) parentOf.set(childId, (found = readParent(childId, organizations)));
    return found;
  };
  const paths = new Map<string, string[]>();
  await mapLimit([...new Set(accountIds)], 2, async (id) => {
    const path: string[] = [];
    // Organizations nests OUs at most five levels deep; the bound only guards against a cycle in a bad answer.
    for (let next = await parent(id); next && next.startsWith('ou-') && path.length < 10; next = await parent(next)) path.push(next);
    if (path.length > 0) paths.set(id, path);
  });
  return paths;
}

/** The parent of an account or OU (every page read: an empty page with a NextToken is a valid answer). */
async function readParent(childId: string, organizations: Pick<OrganizationsClient, 'send'>): Promise<string | undefined> {
  let token: string | undefined;
  try {
    do {
      const out = await organizations.send(new ListParentsCommand({ ChildId: childId, NextToken: token }));
      const found = out.Parents?.[0]?.Id;
      if (found) return found;
      token = out.NextToken;
    } while (token);
  } catch (error) {
    if (!NOT_READABLE.has(errorName(error)) && errorName(error) !== 'ChildNotFoundException')
      throw retryableIfTransient(error, `reading the parent of ${childId}`);
  }
  return undefined;
}
