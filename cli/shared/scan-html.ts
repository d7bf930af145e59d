import { resolveDetectionSettings, type DetectionSettingsInput } from '../../src/core/schemas.ts';
import { renderReportHtml } from '../../src/sweep/html.ts';
import type { SweepReport, TargetReport } from '../../src/sweep/model.ts';
import { round2, summarize } from '../../src/sweep/summary.ts';
import type { ScanOutcome } from './scan-report.ts';

/**
 * `scan --output html`: the sweep report page (src/sweep/html.ts) over a scan, so a scan and a sweep
 * look the same to whoever reads them. A scan is a report-mode sweep that archived nothing; its id
 * says it was a scan and when.
 */
export function scanAsReport(outcome: ScanOutcome, meta: { requestedBy: string; now: Date; settings: DetectionSettingsInput }): SweepReport {
  const findings = outcome.results.flatMap((r) => r.findings);
  const targets: TargetReport[] = outcome.results.map((r) => {
    const zombies = r.findings.filter((f) => f.verdict === 'zombie');
    return {
      accountId: r.accountId,
      region: r.region,
      status: r.status,
      ...(r.error ? { reason: r.error } : {}),
      endpoints: r.findings.length,
      zombies: zombies.length,
      zombieMonthlyCostUsd: round2(zombies.reduce((sum, f) => sum + (f.monthlyCostUsd ?? 0), 0)),
    };
  });
  const at = meta.now.toISOString();
  const detection = resolveDetectionSettings(meta.settings);
  return {
    version: 1,
    sweepId: `scan-${at.replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`,
    mode: 'report',
    status: 'scanned',
    requestedBy: meta.requestedBy,
    startedAt: at,
    updatedAt: at,
    finishedAt: at,
    archiveBucket: '',
    detection: { lookbackDays: detection.lookbackDays, thresholdInvocations: detection.thresholdInvocations, minAgeDays: detection.minAgeDays },
    targets,
    findings,
    actions: [],
    summary: summarize(targets, findings, []),
  };
}

export function scanReportHtml(outcome: ScanOutcome, meta: { requestedBy: string; now: Date; settings: DetectionSettingsInput }): string {
  return renderReportHtml(scanAsReport(outcome, meta));
}
