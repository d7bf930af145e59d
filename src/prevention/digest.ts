import type { Finding } from '../core/schemas.ts';
import { DAY_MS, isoDate } from '../core/clock.ts';
import { EXEMPT_TAG } from '../core/tags.ts';
import { parseTagDate } from '../detection/rules.ts';
import { ownerOf } from '../savings/model.ts';
import { round2 } from '../sweep/summary.ts';

/**
 * The weekly digest: for each owner (the first owner tag found, as approvers see it), their endpoints,
 * which are idle, what they cost, and how many days remain until their `auto-delete-after` date.
 * Pure over a report sweep's findings, so it is unit-tested without AWS; publishing is a separate step.
 */

export interface DigestEndpoint {
  accountId: string;
  region: string;
  endpointName: string;
  verdict: Finding['verdict'];
  idle: boolean;
  monthlyCostUsd: number | null;
  /** The `auto-delete-after` date (ISO day), capped at creation + the horizon; absent without a readable tag. */
  autoDeleteAfter?: string;
  /** Whole days from now until that date; negative once it has passed. */
  daysUntilAutoDelete?: number;
}

export interface OwnerDigest {
  /** `owner=maria@example.com`, `team=fraud`, or null for endpoints without any owner tag. */
  owner: string | null;
  endpoints: DigestEndpoint[];
  idleCount: number;
  monthlyCostUsd: number;
  idleMonthlyCostUsd: number;
}

export interface DigestOptions {
  now: Date;
  ownerTagKeys?: readonly string[];
  /** How far past creation an `auto-delete-after` date counts (detection.autoDeleteMaxDays). */
  autoDeleteMaxDays?: number;
}

const IDLE_VERDICTS = new Set<Finding['verdict']>(['zombie', 'expired']);

/** One digest per owner, owners sorted by name with the unowned last; endpoints by cost, highest first. */
export function buildDigests(findings: readonly Finding[], options: DigestOptions): OwnerDigest[] {
  const byOwner = new Map<string | null, DigestEndpoint[]>();
  for (const finding of findings) {
    const owner = ownerKey(ownerOf(finding.tags, options.ownerTagKeys));
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), digestEndpoint(finding, options)]);
  }
  const digests = [...byOwner.entries()].map(([owner, endpoints]) => {
    endpoints.sort((a, b) => (b.monthlyCostUsd ?? -1) - (a.monthlyCostUsd ?? -1) || a.endpointName.localeCompare(b.endpointName));
    const idle = endpoints.filter((e) => e.idle);
    return {
      owner,
      endpoints,
      idleCount: idle.length,
      monthlyCostUsd: round2(endpoints.reduce((sum, e) => sum + (e.monthlyCostUsd ?? 0), 0)),
      idleMonthlyCostUsd: round2(idle.reduce((sum, e) => sum + (e.monthlyCostUsd ?? 0), 0)),
    };
  });
  return digests.sort((a, b) => (a.owner === null ? 1 : b.owner === null ? -1 : a.owner.localeCompare(b.owner)));
}

/** `Team=fraud` and `team=fraud` are one team: tag keys match case-insensitively everywhere else too. */
function ownerKey(owner: string | null): string | null {
  if (owner === null) return null;
  const at = owner.indexOf('=');
  return `${owner.slice(0, at).toLowerCase()}${owner.slice(at)}`;
}

function digestEndpoint(finding: Finding, options: DigestOptions): DigestEndpoint {
  const base: DigestEndpoint = {
    accountId: finding.accountId,
    region: finding.region,
    endpointName: finding.endpointName,
    verdict: finding.verdict,
    idle: IDLE_VERDICTS.has(finding.verdict),
    monthlyCostUsd: finding.monthlyCostUsd,
  };
  const until = autoDeleteDate(finding, options.autoDeleteMaxDays);
  if (!until) return base;
  // A bare date means the end of that day (parseTagDate): the day itself is the last one kept.
  const lastDay = new Date(until.getTime() - 1);
  return { ...base, autoDeleteAfter: isoDate(lastDay), daysUntilAutoDelete: Math.ceil((until.getTime() - options.now.getTime()) / DAY_MS) - 1 };
}

function autoDeleteDate(finding: Finding, maxDays: number | undefined): Date | undefined {
  const entry = Object.entries(finding.tags ?? {}).find(([key]) => key.toLowerCase() === EXEMPT_TAG.autoDeleteAfter);
  const parsed = entry ? parseTagDate(entry[1]) : undefined;
  if (!parsed) return undefined;
  const created = finding.creationTime ? Date.parse(finding.creationTime) : NaN;
  if (maxDays === undefined || Number.isNaN(created)) return parsed;
  return new Date(Math.min(parsed.getTime(), created + maxDays * DAY_MS));
}

const money = (usd: number | null) => (usd === null ? 'unknown' : `$${usd.toFixed(2)}`);

/** The message one owner receives: a subject and a plain-text body that reads well in any mail client. */
export function digestText(digest: OwnerDigest, sweepId: string): { subject: string; body: string } {
  const who = digest.owner ?? 'endpoints without an owner tag';
  const subject = `SageMaker endpoints of ${who}: ${digest.idleCount} idle of ${digest.endpoints.length}, ${money(digest.monthlyCostUsd)}/month`;
  const lines = [
    `Weekly endpoint digest for ${who} (sweep ${sweepId}).`,
    `${digest.endpoints.length} endpoint(s), ${money(digest.monthlyCostUsd)} per month; ${digest.idleCount} idle, ${money(digest.idleMonthlyCostUsd)} per month.`,
    '',
    ...digest.endpoints.map((e) => {
      const state = e.verdict === 'expired' ? 'EXPIRED (auto-delete-after passed)' : e.idle ? 'IDLE' : e.verdict;
      const due =
        e.daysUntilAutoDelete === undefined
          ? 'no auto-delete-after tag'
          : e.daysUntilAutoDelete < 0
            ? `auto-delete-after ${e.autoDeleteAfter} has passed`
            : `auto-delete-after ${e.autoDeleteAfter} (in ${e.daysUntilAutoDelete} day${e.daysUntilAutoDelete === 1 ? '' : 's'})`;
      return `- ${e.endpointName} (${e.accountId}, ${e.region}): ${state}, ${money(e.monthlyCostUsd)}/month, ${due}`;
    }),
  ];
  return { subject: subject.slice(0, 100), body: lines.join('\n') };
}
