import type { S3Client } from '@aws-sdk/client-s3';
import { ZombieSweepError } from '../core/errors.ts';
import { layout } from '../core/layout.ts';
import { SweepReportSchema, type SweepReport } from './model.ts';
import { readJsonObject, putJson } from '../core/s3-json.ts';

/** `sweeps/<id>/report.json`: started by Collect, completed by Report, read by the CLI. */

/** No report object for the sweep: a wrong sweep id or bucket, or a sweep that has not reached Collect. */
export class ReportNotFoundError extends ZombieSweepError {}

/** The report object exists but is not a report: stored data, not the caller's input, is wrong. */
export class InvalidReportError extends ZombieSweepError {}

export async function readReport(s3: S3Client, bucket: string, sweepId: string): Promise<SweepReport> {
  const report = await readReportIfAny(s3, bucket, sweepId);
  if (!report)
    throw new ReportNotFoundError(`no report for sweep ${sweepId} in s3://${bucket}/${layout.report(sweepId)}: check the sweep id and the archive bucket`);
  return report;
}

export async function readReportIfAny(s3: S3Client, bucket: string, sweepId: string): Promise<SweepReport | undefined> {
  const file = await readJsonObject(s3, bucket, layout.report(sweepId));
  if (!file) return undefined;
  const parsed = SweepReportSchema.safeParse(file.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidReportError(`s3://${bucket}/${layout.report(sweepId)} is not a sweep report (${issue?.path.join('.') || 'root'}: ${issue?.message})`);
  }
  return parsed.data;
}

export async function writeReport(s3: S3Client, bucket: string, report: SweepReport): Promise<string> {
  const key = layout.report(report.sweepId);
  await putJson(s3, bucket, key, SweepReportSchema.parse(report));
  return key;
}
