/**
 * Facts the approval page, the approval email, the HTML report and the CLI all show, written one way
 * everywhere so an approver and an auditor read the same words for the same endpoint.
 */

const counts = new Intl.NumberFormat('en-US');

/** 12345 -> "12,345". */
export const count = (value: number): string => counts.format(value);

/**
 * The "Last invoked" value: the UTC date of the last day with invocations, "never", or, when the
 * history could not be read, "before <date>" (the endpoint is known idle from that date on, and
 * "never" would claim more than was seen).
 */
export function lastInvoked(lastInvokedAt: string | null | undefined, idleSince?: string): string {
  if (lastInvokedAt) return lastInvokedAt.slice(0, 10);
  if (idleSince && idleSince !== 'never') return `before ${idleSince}`;
  return 'never';
}

const DAY_MS = 86_400_000;

/** Whole days from `createdAt` to `at`, as "412 days" (or "1 day"); undefined when either is not a date. */
export function ageInDays(createdAt: string | undefined, at: string): string | undefined {
  const from = createdAt ? Date.parse(createdAt) : Number.NaN;
  const to = Date.parse(at);
  if (Number.isNaN(from) || Number.isNaN(to)) return undefined;
  const days = Math.max(0, Math.floor((to - from) / DAY_MS));
  return `${count(days)} day${days === 1 ? '' : 's'}`;
}

/** The endpoint's owner tags (resolved in ./owners.ts, the one place that reads them). */
export { ownerTagsOf as pickOwnerTags } from './owners.ts';

/** "owner=alice, team=search" or "none". */
export const ownerText = (owners: Readonly<Record<string, string>> | undefined): string =>
  owners && Object.keys(owners).length > 0
    ? Object.entries(owners)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
    : 'none';
