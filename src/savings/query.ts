import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../core/concurrency.ts';
import { round2 } from '../sweep/summary.ts';
import { readSweepSavings } from './ledger.ts';
import type { RealizedSaving, SweepSavings } from './model.ts';

/**
 * Savings over time, from every finished sweep's savings file. An endpoint counts once, at the first
 * sweep that removed it (a later sweep finding it already gone adds nothing), and keeps saving its
 * monthly cost every month after: `runRateUsd` is what the organization no longer pays per month.
 */

export interface MonthSavings {
  /** YYYY-MM of the sweeps' finish. */
  month: string;
  endpoints: number;
  /** $/month removed by sweeps that finished in this month. */
  addedUsd: number;
  /** $/month no longer paid at the end of this month (everything removed up to then). */
  runRateUsd: number;
  /** $/month found idle by the month's last sweep. */
  idleUsd: number;
}

export interface GroupSavings {
  key: string;
  endpoints: number;
  monthlyUsd: number;
}

export interface SavingsSummary {
  since?: string;
  sweeps: number;
  /** Endpoints removed in the range. */
  endpoints: number;
  /** $/month removed in the range. */
  addedUsd: number;
  /** $/month no longer paid now: everything any sweep removed, before the range too. */
  runRateUsd: number;
  /** Removed endpoints whose price was unknown (not in any $ figure). */
  unpriced: number;
  byMonth: MonthSavings[];
  byAccount: GroupSavings[];
  byOwner: GroupSavings[];
}

const NO_OWNER = '(no owner tag)';

export async function listSweepIds(s3: S3Client, bucket: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: 'sweeps/', Delimiter: '/' })) {
    for (const prefix of page.CommonPrefixes ?? []) {
      const id = prefix.Prefix?.slice('sweeps/'.length, -1);
      if (id) ids.push(id);
    }
  }
  return ids;
}

export async function loadSavings(
  s3: S3Client,
  bucket: string,
  options: { ownerTagKeys?: readonly string[]; concurrency?: number } = {},
): Promise<SweepSavings[]> {
  const ids = await listSweepIds(s3, bucket);
  const all = await mapLimit(ids, options.concurrency ?? 8, (id) => readSweepSavings(s3, bucket, id, options.ownerTagKeys));
  return all.filter((s): s is SweepSavings => s !== undefined).sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
}

export function summarizeSavings(sweeps: readonly SweepSavings[], since?: string): SavingsSummary {
  const ordered = [...sweeps].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  const counted = new Map<string, { saving: RealizedSaving; month: string }>();
  const idleByMonth = new Map<string, number>();
  for (const sweep of ordered) {
    const month = sweep.finishedAt.slice(0, 7);
    idleByMonth.set(month, sweep.idle.monthlyCostUsd);
    for (const saving of sweep.realized) if (!counted.has(saving.endpointArn)) counted.set(saving.endpointArn, { saving, month });
  }
  const inRange = [...counted.values()].filter(({ month }) => !since || month >= since.slice(0, 7));
  const months = [...new Set(ordered.map((s) => s.finishedAt.slice(0, 7)))].filter((m) => !since || m >= since.slice(0, 7)).sort();
  let runRate = [...counted.values()]
    .filter(({ month }) => since !== undefined && month < since.slice(0, 7))
    .reduce((sum, { saving }) => sum + (saving.monthlyCostUsd ?? 0), 0);
  const byMonth = months.map((month) => {
    const added = inRange.filter((e) => e.month === month);
    const addedUsd = added.reduce((sum, { saving }) => sum + (saving.monthlyCostUsd ?? 0), 0);
    runRate += addedUsd;
    return { month, endpoints: added.length, addedUsd: round2(addedUsd), runRateUsd: round2(runRate), idleUsd: idleByMonth.get(month) ?? 0 };
  });
  const savings = inRange.map((e) => e.saving);
  return {
    ...(since ? { since } : {}),
    sweeps: ordered.filter((s) => !since || s.finishedAt.slice(0, 7) >= since.slice(0, 7)).length,
    endpoints: savings.length,
    addedUsd: round2(savings.reduce((sum, s) => sum + (s.monthlyCostUsd ?? 0), 0)),
    runRateUsd: round2([...counted.values()].reduce((sum, { saving }) => sum + (saving.monthlyCostUsd ?? 0), 0)),
    unpriced: savings.filter((s) => s.monthlyCostUsd === null).length,
    byMonth,
    byAccount: groupBy(savings, (s) => s.accountId),
    byOwner: groupBy(savings, (s) => s.owner ?? NO_OWNER),
  };
}

function groupBy(savings: readonly RealizedSaving[], keyOf: (s: RealizedSaving) => string): GroupSavings[] {
  const groups = new Map<string, GroupSavings>();
  for (const saving of savings) {
    const key = keyOf(saving);
    const group = groups.get(key) ?? { key, endpoints: 0, monthlyUsd: 0 };
    group.endpoints += 1;
    group.monthlyUsd = round2(group.monthlyUsd + (saving.monthlyCostUsd ?? 0));
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.monthlyUsd - a.monthlyUsd || a.key.localeCompare(b.key));
}
