import { barChart, esc } from '../sweep/html.ts';
import { money } from '../sweep/text.ts';
import type { SavingsSummary } from './query.ts';

/** `zombie-sweep savings --output html`: one self-contained page (inline CSS and SVG, no scripts). */

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.75rem}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem}.card b{display:block;font-size:1.35rem;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.wrap{overflow-x:auto}
`;

export function renderSavingsHtml(summary: SavingsSummary): string {
  const card = (label: string, value: string) => `<div class="card">${esc(label)}<b>${esc(value)}</b></div>`;
  const chart = barChart(
    'Run rate: $/month no longer paid, by month',
    summary.byMonth.map((m) => ({ label: m.month, value: m.runRateUsd, color: '#1a7f37' })),
  );
  const group = (title: string, rows: SavingsSummary['byOwner']) =>
    `<h2>${esc(title)}</h2><div class="wrap"><table><thead><tr><th>${esc(title.replace(/^By /, ''))}</th><th class="num">Endpoints</th><th class="num">$/month</th></tr></thead><tbody>${rows
      .map(
        (r) =>
          `<tr><td>${esc(r.key)}</td><td class="num">${esc(r.endpoints.toLocaleString('en-US'))}</td><td class="num">${esc(money(r.monthlyUsd))}</td></tr>`,
      )
      .join('')}</tbody></table></div>`;
  const months = summary.byMonth
    .map(
      (m) =>
        `<tr><td>${esc(m.month)}</td><td class="num">${esc(m.endpoints.toLocaleString('en-US'))}</td><td class="num">${esc(money(m.addedUsd))}</td><td class="num">${esc(money(m.runRateUsd))}</td><td class="num">${esc(money(m.idleUsd))}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>zombie-sweep savings</title><style>${STYLE}</style></head>
<body><main>
<h1>zombie-sweep savings${summary.since ? ` since ${esc(summary.since)}` : ''}</h1>
<div class="cards">${card('No longer paid ($/month)', money(summary.runRateUsd))}${card(summary.since ? 'Removed in range ($/month)' : 'Removed ($/month)', money(summary.addedUsd))}${card('Endpoints removed', summary.endpoints.toLocaleString('en-US'))}${card('Sweeps', summary.sweeps.toLocaleString('en-US'))}</div>
${summary.unpriced > 0 ? `<p>${esc(summary.unpriced)} removed endpoint(s) had no known price and are not in any figure.</p>` : ''}
${chart}
<h2>By month</h2><div class="wrap"><table><thead><tr><th>Month</th><th class="num">Endpoints removed</th><th class="num">Added $/month</th><th class="num">Run rate $/month</th><th class="num">Idle found $/month</th></tr></thead><tbody>${months}</tbody></table></div>
${group('By account', summary.byAccount)}
${group('By owner', summary.byOwner)}
</main></body></html>
`;
}
