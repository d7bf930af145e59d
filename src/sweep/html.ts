import type { Verdict } from '../core/schemas.ts';
import type { EndpointAction, SweepReport } from './model.ts';
import { round2 } from './summary.ts';
import { bytes, money } from './text.ts';

/**
 * The sweep report as one self-contained HTML page: inline CSS, inline SVG charts ($/month by
 * account and by verdict), no scripts, no external assets, so it can be mailed, archived or opened
 * from disk years later.
 */

export function esc(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
.meta{color:#57606a;margin-top:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.75rem;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem}.card b{display:block;font-size:1.35rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1.5rem}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.4rem}
.v-zombie{color:#a40e26}.v-active{color:#116329}.status-failed{color:#a40e26;font-weight:600}
`;

interface Bar {
  label: string;
  value: number;
  color: string;
  /** Shown instead of the amount (e.g. "not priced": detection prices only idle endpoints). */
  note?: string;
}

const VERDICT_COLORS: Record<Verdict, string> = {
  zombie: '#cf222e',
  active: '#1a7f37',
  'too-new': '#0969da',
  exempt: '#8250df',
  'not-billable': '#6e7781',
  error: '#bc4c00',
};

/** A horizontal bar chart as inline SVG, with a text equivalent for screen readers. */
export function barChart(title: string, bars: readonly Bar[]): string {
  const width = 560;
  const rowHeight = 26;
  const labelWidth = 170;
  const valueWidth = 110;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = Math.max(1, bars.length) * rowHeight + 8;
  const rows = bars
    .map((bar, i) => {
      const y = 4 + i * rowHeight;
      const w = Math.round(((width - labelWidth - valueWidth) * bar.value) / max);
      return (
        `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" font-size="13">${esc(bar.label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(w, bar.value > 0 ? 2 : 0)}" height="${rowHeight - 8}" fill="${bar.color}"/>` +
        `<text x="${labelWidth + w + 6}" y="${y + 17}" font-size="13">${esc(bar.note ?? money(bar.value))}</text>`
      );
    })
    .join('');
  const empty = bars.length === 0 ? `<text x="8" y="20" font-size="13">nothing to show</text>` : '';
  const summary = bars.map((b) => `${b.label}: ${b.note ?? money(b.value)}`).join('; ') || 'nothing to show';
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`${title}: ${summary}`)}" width="100%" viewBox="0 0 ${width} ${height}" preserveAspectRatio="xMinYMin meet">${rows}${empty}</svg></figure>`;
}

export function costByAccount(report: SweepReport): Bar[] {
  const totals = new Map<string, number>();
  for (const f of report.findings) if (f.verdict === 'zombie') totals.set(f.accountId, (totals.get(f.accountId) ?? 0) + (f.monthlyCostUsd ?? 0));
  return [...totals.entries()].sort(([, a], [, b]) => b - a).map(([account, value]) => ({ label: account, value: round2(value), color: '#cf222e' }));
}

/** Detection prices only what it must (idle endpoints): a verdict with no priced endpoint says so instead of $0. */
export function costByVerdict(report: SweepReport): Bar[] {
  const totals = new Map<Verdict, { value: number; priced: number }>();
  for (const f of report.findings) {
    const t = totals.get(f.verdict) ?? { value: 0, priced: 0 };
    totals.set(f.verdict, { value: t.value + (f.monthlyCostUsd ?? 0), priced: t.priced + (f.monthlyCostUsd === null ? 0 : 1) });
  }
  return [...totals.entries()]
    .sort(([, a], [, b]) => b.value - a.value)
    .map(([verdict, t]) => ({ label: verdict, value: round2(t.value), color: VERDICT_COLORS[verdict], ...(t.priced === 0 ? { note: 'not priced' } : {}) }));
}

function actionText(a: EndpointAction | undefined): string {
  if (!a) return '';
  const parts = [
    a.snapshot === 'archived' ? 'archived' : a.snapshot === 'failed' ? 'snapshot failed' : undefined,
    a.tagged ? 'tagged' : undefined,
    a.decision,
    a.deletion,
  ].filter(Boolean);
  return parts.join(' → ');
}

export function renderReportHtml(report: SweepReport): string {
  const s = report.summary;
  const actions = new Map(report.actions.map((a) => [a.endpointArn, a]));
  const card = (label: string, value: string) => `<div class="card">${esc(label)}<b>${esc(value)}</b></div>`;
  const findings = [...report.findings].sort((a, b) => (b.monthlyCostUsd ?? -1) - (a.monthlyCostUsd ?? -1));
  const rows = findings
    .map((f) => {
      const a = actions.get(f.endpointArn);
      return `<tr><td>${esc(f.accountId)}</td><td>${esc(f.region)}</td><td>${esc(f.endpointName)}</td><td class="v-${esc(f.verdict)}">${esc(f.verdict)}</td><td>${esc(f.endpointType ?? '')}</td><td>${esc(f.instanceType ? `${f.instanceType} × ${f.instanceCount}` : '')}</td><td class="num">${esc(f.invocations ?? '')}</td><td>${esc(f.lastInvokedAt ? f.lastInvokedAt.slice(0, 10) : f.verdict === 'zombie' ? 'never' : '')}</td><td class="num">${esc(f.monthlyCostUsd === null ? 'unknown' : money(f.monthlyCostUsd))}</td><td>${esc(actionText(a))}${a?.reason ? `<br><small>${esc(a.reason)}</small>` : ''}</td><td><small>${esc(f.reason)}</small></td></tr>`;
    })
    .join('');
  const targets = report.targets
    .filter((t) => t.status !== 'ok')
    .map((t) => `<tr><td>${esc(t.accountId)}</td><td>${esc(t.region)}</td><td>${esc(t.status)}</td><td>${esc(t.reason ?? '')}</td></tr>`)
    .join('');
  const approval = report.approval
    ? report.approval.outcome === 'decided'
      ? `${report.approval.approved} approved, ${report.approval.rejected} kept, by ${report.approval.autoApproved ? 'auto-approve' : (report.approval.approver ?? '')} at ${report.approval.decidedAt ?? ''}`
      : report.approval.outcome === 'expired'
        ? 'expired: nobody decided in time, nothing deleted'
        : report.approval.outcome === 'anomaly'
          ? 'refused: the approval task completed without a valid signed decision, nothing deleted'
          : 'not needed'
    : 'not requested';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>zombie-sweep report ${esc(report.sweepId)}</title><style>${STYLE}</style></head>
<body><main>
<h1>zombie-sweep report <code>${esc(report.sweepId)}</code></h1>
<p class="meta">Mode <b>${esc(report.mode)}</b>, status <span class="status-${esc(report.status)}">${esc(report.status)}</span>. Started ${esc(report.startedAt)} by ${esc(report.requestedBy)}${report.finishedAt ? `, finished ${esc(report.finishedAt)}` : ''}. Lookback ${esc(report.detection.lookbackDays)} days, threshold ${esc(report.detection.thresholdInvocations)} invocations, minimum age ${esc(report.detection.minAgeDays)} days.</p>
${report.failure ? `<p class="status-failed">Failed: ${esc(report.failure.error)}: ${esc(report.failure.cause)}</p>` : ''}
<section aria-label="Summary"><div class="cards">
${card('Zombies found', String(s.zombies))}${card('Zombie cost', `${money(s.zombieMonthlyCostUsd)}/month`)}${card('Endpoints seen', String(s.endpoints))}${card('Targets scanned', `${s.targets - s.targetsFailed} of ${s.targets}`)}
${card('Archived', `${s.archived} (${s.artifactsArchived} objects, ${bytes(s.bytesArchived)})`)}${card('Deleted', String(s.deleted))}${card('Saved', `${money(s.savedMonthlyCostUsd)}/month`)}${card('Skipped', String(s.skipped.length))}
</div><p>Approval: ${esc(approval)}.</p></section>
<h2>Cost</h2><div class="charts">${barChart('Zombie $/month by account', costByAccount(report))}${barChart('$/month by verdict', costByVerdict(report))}</div>
<h2>Endpoints</h2>
<table><caption>${esc(findings.length)} endpoints, most expensive first</caption>
<thead><tr><th scope="col">Account</th><th scope="col">Region</th><th scope="col">Endpoint</th><th scope="col">Verdict</th><th scope="col">Type</th><th scope="col">Instances</th><th scope="col" class="num">Invocations</th><th scope="col">Last invoked</th><th scope="col" class="num">$/month</th><th scope="col">Actions</th><th scope="col">Reason</th></tr></thead>
<tbody>${rows}</tbody></table>
${targets ? `<h2>Targets not scanned</h2><table><caption>Unreachable or failed targets</caption><thead><tr><th scope="col">Account</th><th scope="col">Region</th><th scope="col">Status</th><th scope="col">Reason</th></tr></thead><tbody>${targets}</tbody></table>` : ''}
<p class="meta">Report object: s3://${esc(report.archiveBucket)}/sweeps/${esc(report.sweepId)}/report.json. Audit trail: s3://${esc(report.archiveBucket)}/audit/ (read it with <code>zombie-sweep audit</code>).</p>
</main></body></html>
`;
}
