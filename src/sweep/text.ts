import type { SweepReport } from './model.ts';

/** The sweep report in words: the notification body, the CLI's table output and the demo's ending. */

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
export const money = (value: number): string => usd.format(value);

export function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${unit === 0 ? v : v.toFixed(1)} ${units[unit]}`;
}

export function reportText(report: SweepReport): { subject: string; body: string } {
  const s = report.summary;
  const status = report.status === 'failed' ? 'FAILED' : report.status;
  const subject = `zombie-sweep ${report.sweepId} (${report.mode}) ${status}: ${s.zombies} zombie${s.zombies === 1 ? '' : 's'}, ${money(s.zombieMonthlyCostUsd)}/month${s.deleted > 0 ? `, ${s.deleted} deleted` : ''}`;
  const lines = [
    `Sweep ${report.sweepId}: mode ${report.mode}, ${status}, started ${report.startedAt} by ${report.requestedBy}${report.finishedAt ? `, finished ${report.finishedAt}` : ''}.`,
    '',
    `Targets scanned:     ${s.targets} (${s.targetsFailed} could not be scanned)`,
    `Endpoints seen:      ${s.endpoints}`,
    `Zombies found:       ${s.zombies}, ${money(s.zombieMonthlyCostUsd)}/month${s.zombiesUnknownCost > 0 ? ` (+${s.zombiesUnknownCost} of unknown cost)` : ''}`,
  ];
  if (report.mode !== 'report') {
    lines.push(`Snapshots archived:  ${s.archived} endpoint(s), ${s.artifactsArchived} artifact object(s), ${bytes(s.bytesArchived)}`);
    lines.push(`Tagged zombie=confirmed: ${s.tagged}`);
  }
  if (report.approval) {
    const a = report.approval;
    lines.push(
      a.outcome === 'expired'
        ? 'Approval:            expired, nobody decided in time: nothing deleted'
        : a.outcome === 'decided'
          ? `Approval:            ${a.approved} approved, ${a.rejected} kept, by ${a.autoApproved ? 'auto-approve (no human decision, local runs only)' : a.approver} at ${a.decidedAt}`
          : a.outcome === 'anomaly'
            ? 'Approval:            REFUSED, the approval task completed without a valid signed decision (see the anomaly audit event): nothing deleted'
            : 'Approval:            not needed',
    );
    if (s.vetoed) lines.push(`Vetoed by owners:    ${s.vetoed} (kept: the owner pressed Keep on the veto link)`);
    lines.push(`Deleted:             ${s.deleted}, saving ${money(s.savedMonthlyCostUsd)}/month`);
    if (s.scaledToZero) lines.push(`Scaled to zero:      ${s.scaledToZero} (kept, billing nothing; in the saving above)`);
    if (s.deleting) lines.push(`Still deleting:      ${s.deleting} (not counted as deleted or saved: see each endpoint's audit history)`);
  }
  const failedTargets = report.targets.filter((t) => t.status !== 'ok');
  if (failedTargets.length > 0) {
    lines.push('', 'Targets not scanned:');
    for (const t of failedTargets) lines.push(`  ${t.accountId} ${t.region}: ${t.status}${t.reason ? `: ${t.reason}` : ''}`);
  }
  const deleting = report.actions.filter((a) => a.deletion === 'deleting');
  if (deleting.length > 0) {
    lines.push('', 'Still deleting (may still exist and bill):');
    for (const a of deleting) lines.push(`  ${a.accountId} ${a.region} ${a.endpointName}: ${a.reason ?? 'deletion in progress'}`);
  }
  if (s.skipped.length > 0) {
    lines.push('', 'Skipped (not deleted):');
    for (const k of s.skipped) lines.push(`  ${k.accountId} ${k.region} ${k.endpointName}: ${k.reason}`);
  }
  if (report.failure) lines.push('', `Failure: ${report.failure.error}: ${report.failure.cause}`);
  lines.push('', `Report: s3://${report.archiveBucket}/sweeps/${report.sweepId}/report.json`, `Audit trail: s3://${report.archiveBucket}/audit/`);
  return { subject, body: lines.join('\n') };
}
