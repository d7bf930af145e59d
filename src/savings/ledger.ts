import type { S3Client } from '@aws-sdk/client-s3';
import { layout } from '../core/layout.ts';
import { readJsonObject, writeJsonObject } from '../core/s3-json.ts';
import { parseOrThrow } from '../core/schemas.ts';
import { round2 } from '../sweep/summary.ts';
import { SweepReportSchema, type SweepReport } from '../sweep/model.ts';
import { ownerOf, SweepSavingsSchema, type RealizedSaving, type SweepSavings } from './model.ts';

export const SAVINGS_FILE = 'savings.json';

/** The savings a finished sweep realized: the endpoints it deleted, priced as when they were found. */
export function sweepSavings(report: SweepReport, ownerTagKeys?: readonly string[]): SweepSavings {
  const findings = new Map(report.findings.map((f) => [f.endpointArn, f]));
  const realized: RealizedSaving[] = [];
  for (const action of report.actions) {
    // already-gone counts: this sweep asked for the deletion and the endpoint is gone; a retry found it so.
    // scaled-to-zero counts too: the endpoint still exists but bills nothing (src/cleanup/scale-to-zero.ts).
    if (action.deletion !== 'deleted' && action.deletion !== 'already-gone' && action.deletion !== 'scaled-to-zero') continue;
    realized.push({
      accountId: action.accountId,
      region: action.region,
      endpointName: action.endpointName,
      endpointArn: action.endpointArn,
      action: action.deletion === 'scaled-to-zero' ? 'scaled-to-zero' : 'deleted',
      monthlyCostUsd: action.monthlyCostUsd,
      owner: ownerOf(findings.get(action.endpointArn)?.tags, ownerTagKeys),
    });
  }
  const zombies = report.findings.filter((f) => f.verdict === 'zombie');
  return {
    version: 1,
    sweepId: report.sweepId,
    mode: report.mode,
    finishedAt: report.finishedAt ?? report.updatedAt,
    realized,
    realizedMonthlyUsd: round2(realized.reduce((sum, r) => sum + (r.monthlyCostUsd ?? 0), 0)),
    idle: { endpoints: zombies.length, monthlyCostUsd: round2(zombies.reduce((sum, f) => sum + (f.monthlyCostUsd ?? 0), 0)) },
  };
}

/** Written by the Report step; derived data, so a retried step simply writes it again. */
export async function writeSweepSavings(s3: S3Client, bucket: string, savings: SweepSavings): Promise<string> {
  const key = layout.sweepFile(savings.sweepId, SAVINGS_FILE);
  await writeJsonObject(s3, bucket, key, savings);
  return key;
}

/**
 * A sweep's savings: its savings file, or, for sweeps finished before savings files existed, derived
 * from its report. Undefined for a sweep that never finished (no report, or not completed).
 */
export async function readSweepSavings(s3: S3Client, bucket: string, sweepId: string, ownerTagKeys?: readonly string[]): Promise<SweepSavings | undefined> {
  const file = await readJsonObject(s3, bucket, layout.sweepFile(sweepId, SAVINGS_FILE));
  if (file) return parseOrThrow(SweepSavingsSchema, file.value, `sweeps/${sweepId}/${SAVINGS_FILE}`);
  const report = await readJsonObject(s3, bucket, layout.report(sweepId));
  if (!report) return undefined;
  const parsed = parseOrThrow(SweepReportSchema, report.value, `sweeps/${sweepId}/report.json`);
  return parsed.status === 'completed' ? sweepSavings(parsed, ownerTagKeys) : undefined;
}
