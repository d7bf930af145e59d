import type { Finding, Verdict } from '../core/schemas.ts';
import { count, lastInvoked } from '../core/wording.ts';
import type { EndpointAction, SweepReport } from './model.ts';
import { round2 } from './summary.ts';
import { bytes, money } from './text.ts';
import { actionChain } from './facts.ts';

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
h1{font-size:1.5rem;margin-bottom:.25rem;overflow-wrap:anywhere}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
.meta{color:#57606a;margin-top:0;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(11rem,100%),1fr));gap:.75rem;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem;min-width:0}
.card b{display:block;font-size:1.35rem;font-variant-numeric:tabular-nums;overflow-wrap:anywhere;line-height:1.2}
.card small{display:block;color:#57606a}
table{border-collapse:collapse;width:100%;font-size:.9rem}caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.title,td.wrap{overflow-wrap:anywhere}td.id{white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(22rem,100%),1fr));gap:1.5rem}
figure{margin:0;min-width:0}figcaption{font-weight:600;margin-bottom:.4rem}figure svg{max-width:34rem}
.v-zombie{color:#a40e26}.v-active{color:#116329}.status-failed{color:#a40e26;font-weight:600}
@media (max-width:48rem){
 body{margin:1rem auto;padding:0 .75rem}
 .card b{font-size:1.15rem}
 table.stack thead{display:none}
 table.stack,table.stack tbody,table.stack tr,table.stack td,table.stack caption{display:block}
 table.stack tr{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .75rem;margin:0 0 .6rem}
 table.stack td{border:0;padding:.05rem 0}
 table.stack td.num,table.stack td.id{text-align:left;white-space:normal}
 table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
 table.stack td.title{font-weight:600;font-size:1rem}
}
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
  expired: '#9a6700',
  error: '#bc4c00',
};

/** A horizontal bar chart as inline SVG, with a text equivalent for screen readers. */
export function barChart(title: string, bars: readonly Bar[]): string {
  // Narrow enough that a phone shows the text near its real size (the SVG only ever scales down).
  const width = 420;
  const rowHeight = 26;
  const labelWidth = 120;
  // Room for the longest amount or note at about 7.5 units a character, so none is clipped.
  const valueWidth = Math.max(90, ...bars.map((b) => (b.note ?? money(b.value)).length * 7.5));
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = Math.max(1, bars.length) * rowHeight + 8;
  const rows = bars
    .map((bar, i) => {
      const y = 4 + i * rowHeight;
      const w = Math.round(((width - labelWidth - valueWidth) * bar.value) / max);
      return (
        `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" font-size="14">${esc(bar.label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(w, bar.value > 0 ? 2 : 0)}" height="${rowHeight - 8}" fill="${bar.color}"/>` +
        `<text x="${labelWidth + w + 6}" y="${y + 17}" font-size="14">${esc(bar.note ?? money(bar.value))}</text>`
      );
    })
    .join('');
  const empty = bars.length === 0 ? `<text x="8" y="20" font-size="14">nothing to show</text>` : '';
  const summary = bars.map((b) => `${b.label}: ${b.note ?? money(b.value)}`).join('; ') || 'nothing to show';
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`${title}: ${summary}`)}" width="100%" viewBox="0 0 ${width} ${height}" preserveAspectRatio="xMinYMin meet">${rows}${empty}</svg></figure>`;
}

export function costByAccount(report: SweepReport): Bar[] {
  const totals = new Map<string, number>();
  for (const f of report.findings) if (f.verdict === 'zombie') totals.set(f.accountId, (totals.get(f.accountId) ?? 0) + (f.monthlyCostUsd ?? 0));
  return [...totals.entries()].sort(([, a], [, b]) => b - a).map(([account, value]) => ({ label: account, value: round2(value), color: '#cf222e' }));
}

/** A verdict priced in part says how much of it the amount covers; one priced not at all says so instead of $0. */
function pricedNote(value: number, priced: number, total: number): { note?: string } {
  if (priced === 0) return { note: 'not priced' };
  return priced < total ? { note: `${money(value)} (${count(priced)} of ${count(total)} priced)` } : {};
}

/** Detection prices only what it must (idle endpoints): a verdict with no priced endpoint says so instead of $0. */
export function costByVerdict(report: SweepReport): Bar[] {
  const totals = new Map<Verdict, { value: number; priced: number; count: number }>();
  for (const f of report.findings) {
    const t = totals.get(f.verdict) ?? { value: 0, priced: 0, count: 0 };
    totals.set(f.verdict, { value: t.value + (f.monthlyCostUsd ?? 0), priced: t.priced + (f.monthlyCostUsd === null ? 0 : 1), count: t.count + 1 });
  }
  return [...totals.entries()]
    .sort(([, a], [, b]) => b.value - a.value)
    .map(([verdict, t]) => ({ label: verdict, value: round2(t.value), color: VERDICT_COLORS[verdict], ...pricedNote(t.value, t.priced, t.count) }));
}

const card = (label: string, value: string, detail?: string) =>
  `<div class="card">${esc(label)}<b>${esc(value)}</b>${detail ? `<small>${esc(detail)}</small>` : ''}</div>`;

function summaryCards(s: SweepReport['summary']): string {
  return [
    card('Zombies found', count(s.zombies)),
    card('Zombie cost', money(s.zombieMonthlyCostUsd), `per month${s.zombiesUnknownCost > 0 ? `, plus ${count(s.zombiesUnknownCost)} of unknown cost` : ''}`),
    card('Endpoints seen', count(s.endpoints)),
    card('Targets scanned', `${count(s.targets - s.targetsFailed)} of ${count(s.targets)}`),
    card('Archived', count(s.archived), `${count(s.artifactsArchived)} objects, ${bytes(s.bytesArchived)}`),
    card('Deleted', count(s.deleted)),
    card('Saved', money(s.savedMonthlyCostUsd), 'per month'),
    card('Skipped', count(s.skipped.length)),
  ].join('');
}

const FINDING_COLUMNS: [string, string][] = [
  ['Endpoint', ''],
  ['Account', ''],
  ['Region', ''],
  ['Verdict', ''],
  ['Type', ''],
  ['Instances', ''],
  ['Invocations', 'num'],
  ['Last invoked', ''],
  ['$/month', 'num'],
  ['Actions', ''],
  ['Reason', ''],
];

function findingRow(f: Finding, a: EndpointAction | undefined): string {
  const cells = [
    `<td class="title">${esc(f.endpointName)}</td>`,
    `<td data-label="Account" class="id">${esc(f.accountId)}</td>`,
    `<td data-label="Region" class="id">${esc(f.region)}</td>`,
    `<td data-label="Verdict" class="id v-${esc(f.verdict)}">${esc(f.verdict)}</td>`,
    `<td data-label="Type" class="id">${esc(f.endpointType ?? '')}</td>`,
    `<td data-label="Instances">${esc(f.instanceType ? `${f.instanceType} × ${f.instanceCount}` : '')}</td>`,
    `<td data-label="Invocations" class="num">${esc(f.invocations === null ? '' : count(f.invocations))}</td>`,
    `<td data-label="Last invoked">${esc(f.verdict === 'error' ? '' : lastInvoked(f.lastInvokedAt, f.idleSince))}</td>`,
    `<td data-label="$/month" class="num">${esc(f.monthlyCostUsd === null ? 'unknown' : money(f.monthlyCostUsd))}</td>`,
    `<td data-label="Actions" class="wrap">${esc(actionChain(a) || 'none')}${a?.reason ? `<br><small>${esc(a.reason)}</small>` : ''}</td>`,
    `<td data-label="Reason" class="wrap"><small>${esc(f.reason)}</small></td>`,
  ];
  return `<tr>${cells.join('')}</tr>`;
}

function findingsTable(report: SweepReport): string {
  const actions = new Map(report.actions.map((a) => [a.endpointArn, a]));
  const findings = [...report.findings].sort((a, b) => (b.monthlyCostUsd ?? -1) - (a.monthlyCostUsd ?? -1));
  const head = FINDING_COLUMNS.map(([label, cls]) => `<th scope="col"${cls ? ` class="${cls}"` : ''}>${esc(label)}</th>`).join('');
  return `<table class="stack"><caption>${esc(count(findings.length))} endpoints, most expensive first</caption>
<thead><tr>${head}</tr></thead>
<tbody>${findings.map((f) => findingRow(f, actions.get(f.endpointArn))).join('\n')}</tbody></table>`;
}

function targetsTable(report: SweepReport): string {
  const rows = report.targets
    .filter((t) => t.status !== 'ok')
    .map(
      (t) =>
        `<tr><td class="title">${esc(t.accountId)} ${esc(t.region)}</td><td data-label="Status">${esc(t.status)}</td><td data-label="Reason">${esc(t.reason ?? '')}</td></tr>`,
    )
    .join('');
  if (!rows) return '';
  return `<h2>Targets not scanned</h2><table class="stack"><caption>Unreachable or failed targets</caption><thead><tr><th scope="col">Account and region</th><th scope="col">Status</th><th scope="col">Reason</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function approvalText(report: SweepReport): string {
  const a = report.approval;
  if (!a) return 'not requested';
  const vetoed = report.summary.vetoed
    ? `; ${count(report.summary.vetoed)} vetoed by ${report.summary.vetoed === 1 ? 'its owner' : 'their owners'} (kept)`
    : '';
  return `${decisionText(a)}${vetoed}`;
}

function decisionText(a: NonNullable<SweepReport['approval']>): string {
  if (a.outcome === 'decided')
    return `${count(a.approved)} approved, ${count(a.rejected)} kept, by ${a.autoApproved ? 'auto-approve' : (a.approver ?? '')} at ${a.decidedAt ?? ''}`;
  if (a.outcome === 'expired') return 'expired: nobody decided in time, nothing deleted';
  if (a.outcome === 'anomaly') return 'refused: the approval task completed without a valid signed decision, nothing deleted';
  return 'not needed';
}

export function renderReportHtml(report: SweepReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>zombie-sweep report ${esc(report.sweepId)}</title><style>${STYLE}</style></head>
<body><main>
<h1>zombie-sweep report <code>${esc(report.sweepId)}</code></h1>
<p class="meta">Mode <b>${esc(report.mode)}</b>, status <span class="status-${esc(report.status)}">${esc(report.status)}</span>. Started ${esc(report.startedAt)} by ${esc(report.requestedBy)}${report.finishedAt ? `, finished ${esc(report.finishedAt)}` : ''}. Lookback ${esc(report.detection.lookbackDays)} days, threshold ${esc(report.detection.thresholdInvocations)} invocations, minimum age ${esc(report.detection.minAgeDays)} days.</p>
${report.failure ? `<p class="status-failed">Failed: ${esc(report.failure.error)}: ${esc(report.failure.cause)}</p>` : ''}
<section aria-label="Summary"><div class="cards">
${summaryCards(report.summary)}
</div><p>Approval: ${esc(approvalText(report))}.</p></section>
<h2>Cost</h2><div class="charts">${barChart('Zombie $/month by account', costByAccount(report))}${barChart('$/month by verdict', costByVerdict(report))}</div>
<h2>Endpoints</h2>
${findingsTable(report)}
${targetsTable(report)}
<p class="meta">Report object: s3://${esc(report.archiveBucket)}/sweeps/${esc(report.sweepId)}/report.json. Audit trail: s3://${esc(report.archiveBucket)}/audit/ (read it with <code>zombie-sweep audit</code>).</p>
</main></body></html>
`;
}
