import { createHash } from 'node:crypto';
import type { ApprovalCandidate, ApprovalRecord, DecisionRecord } from './store.ts';
import type { LinkParams } from './links.ts';
import { ageInDays, count, lastInvoked, ownerText } from '../../core/wording.ts';
import { scaleToZeroOffer } from '../scale-to-zero.ts';

/**
 * The approval pages: self-contained HTML (no external assets, no JavaScript), accessible (lang,
 * labels, captions, header cells, visible focus, AA contrast). Every dynamic value goes through `esc`.
 */

export function esc(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff;margin:0;line-height:1.5}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:0 0 1.5rem}
caption{text-align:left;font-weight:600;font-size:1.1rem;padding:.5rem 0}
th,td{border:1px solid #6b6b6b;padding:.4rem .6rem;text-align:left;vertical-align:top}
thead th{background:#e8e8e8}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th.name{overflow-wrap:anywhere}
.sub{display:block;font-weight:400;font-size:.85rem;color:#4a4a4a}
.warn{display:block;font-weight:400;font-size:.9rem;color:#1b1b1b;background:#fff4ce;border-left:.3rem solid #9a6700;padding:.25rem .5rem;margin-top:.25rem}
code{overflow-wrap:anywhere;font-size:.85rem}
details summary{cursor:pointer;color:#0b5394;text-decoration:underline;white-space:nowrap}
details code{display:block;margin-top:.25rem}
dl.summary{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.25rem 1rem}
dl.summary dt{font-weight:600}
dl.summary dd{margin:0}
.notice{border-left:.4rem solid #0b5394;background:#eef3f9;padding:.75rem 1rem;margin:1rem 0}
.error{border-left-color:#8b1a1a;background:#f9eeee}
.danger-note{border-left-color:#b3261e;background:#fcefee}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
button,a.button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border:2px solid transparent;border-radius:.25rem;cursor:pointer;text-align:center}
button.danger{background:#b3261e;color:#fff}
button.secondary,a.button{background:#fff;color:#0b5394;border-color:#0b5394;text-decoration:none}
input[type=checkbox]{width:1.25rem;height:1.25rem}
:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}
td[data-label="Owner"]{overflow-wrap:anywhere}
@media (min-width:64.01rem){
 table.candidates th.name{min-width:13rem}
 table.candidates td[data-label="Instead"]{min-width:10rem}
 table.candidates td[data-label="Owner"]{min-width:8rem}
}
@media (max-width:64rem){
 main{padding:.75rem}
 dl.summary{grid-template-columns:minmax(0,1fr)}
 dl.summary dd{margin-bottom:.4rem}
 table.candidates thead{display:none}
 table.candidates,table.candidates tbody,table.candidates caption{display:block}
 table.candidates tr{display:grid;grid-template-columns:auto minmax(0,1fr);gap:.1rem .6rem;border:1px solid #6b6b6b;border-radius:.4rem;padding:.6rem .75rem;margin:0 0 .75rem}
 table.candidates td,table.candidates th{display:block;border:0;padding:0;grid-column:1/-1}
 table.candidates td.pick{grid-column:1}
 table.candidates th.name{grid-column:2}
 table.candidates td.num{text-align:left}
 table.candidates td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
 button,a.button{width:100%}
}
`;

/** CSP hash of the inline style, so the policy can forbid every other style and all scripts. */
export const STYLE_CSP_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export interface Page {
  statusCode: number;
  html: string;
}

export function page(statusCode: number, title: string, body: string): Page {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${esc(title)} · zombie-sweep</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>
`;
  return { statusCode, html };
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
export const money = (value: number | null): string => (value === null ? 'unknown' : usd.format(value));
const utc = (iso: string): string => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms)
    ? iso
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, ' UTC');
};

export function totalMonthly(candidates: readonly ApprovalCandidate[]): { total: number; unknown: number } {
  let total = 0;
  let unknown = 0;
  for (const c of candidates) {
    if (c.monthlyCostUsd === null) unknown++;
    else total += c.monthlyCostUsd;
  }
  return { total: Math.round(total * 100) / 100, unknown };
}

function byAccount(candidates: readonly ApprovalCandidate[]): [string, ApprovalCandidate[]][] {
  const groups = new Map<string, ApprovalCandidate[]>();
  for (const c of candidates) groups.set(c.accountId, [...(groups.get(c.accountId) ?? []), c]);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

const instances = (c: ApprovalCandidate): string =>
  c.instanceType ? `${c.instanceType} × ${c.instanceCount}` : c.instanceCount > 0 ? `× ${c.instanceCount}` : 'serverless';
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

function hiddenLinkFields(link: LinkParams): string {
  return [
    `<input type="hidden" name="approver" value="${esc(link.approver)}">`,
    `<input type="hidden" name="expires" value="${esc(link.expires)}">`,
    `<input type="hidden" name="sig" value="${esc(link.sig)}">`,
    ...(link.group !== undefined ? [`<input type="hidden" name="group" value="${esc(link.group)}">`] : []),
  ].join('\n');
}

/** "412 days (created 2025-10-18)", or "unknown" for candidates recorded without a creation time. */
function ageText(c: ApprovalCandidate, at: string): string {
  const age = ageInDays(c.createdAt, at);
  return age && c.createdAt ? `${age} (created ${c.createdAt.slice(0, 10)})` : 'unknown';
}

/** The manifest URI is long and only needed to restore: a short label that opens to the full URI. */
function snapshotCell(c: ApprovalCandidate): string {
  return c.manifestUri ? `<details><summary>manifest</summary><code>${esc(c.manifestUri)}</code></details>` : 'archived';
}

function candidateRow(c: ApprovalCandidate, id: string, at: string, grouped: boolean): string {
  return `<tr>
<td class="pick"><input type="checkbox" id="${id}" name="endpoint" value="${esc(c.endpointArn)}" checked></td>
<th scope="row" class="name"><label for="${id}">${esc(c.endpointName)}</label><span class="sub">${esc(c.region)} · ${esc(c.endpointType ?? 'unknown type')}</span>${expiredNote(c)}</th>
<td data-label="Instances">${esc(instances(c))}</td>
<td class="num" data-label="Cost per month">${esc(money(c.monthlyCostUsd))}</td>
<td data-label="Last invoked">${esc(lastInvoked(c.lastInvokedAt, c.idleSince))}</td>
<td data-label="Age">${esc(ageText(c, at))}</td>
<td data-label="Owner">${esc(ownerText(c.ownerTags))}${ownerNoticeNote(c)}</td>
<td data-label="Snapshot">${snapshotCell(c)}</td>
<td data-label="Instead">${scaleToZeroCell(c, id, grouped)}</td>
</tr>`;
}

/** Whether the owner heard of it before this decision: an owner who was never told cannot have vetoed. */
function ownerNoticeNote(c: ApprovalCandidate): string {
  const notice = c.ownerNotice;
  if (!notice) return '';
  if (notice.delivery === 'no-subscription')
    return `<span class="warn" role="note"><strong>Owner not told:</strong> ${esc(notice.to)} has no confirmed subscription to zombie-sweep's notices.</span>`;
  const instead = notice.forwardedFrom ? ` (account owner; ${notice.forwardedFrom} cannot be reached)` : '';
  return `<span class="sub">Told ${esc(notice.to)}${esc(instead)}</span>`;
}

/** An endpoint here because its owner's auto-delete-after date passed, not because detection found it idle: said loudly. */
function expiredNote(c: ApprovalCandidate): string {
  if (!c.expired) return '';
  const expired = `<span class="sub"><strong>EXPIRED: its owner's auto-delete-after date passed</strong> (${esc(c.expired)}). Untick it to keep it: keeping moves the date.</span>`;
  return c.stillInvoked ? `${expired}${stillInvokedNote(c.stillInvoked)}` : expired;
}

/**
 * An expired endpoint that is still called: deleting it breaks its callers. Re-verification still skips it
 * if it is invoked between detection and deletion, so approving it retires it only once its traffic stopped.
 */
function stillInvokedNote(usage: string): string {
  return `<span class="warn" role="note"><strong>STILL INVOKED: ${esc(usage)}.</strong> Something still calls it. Deleting it breaks those callers; it is deleted only if nobody calls it between detection and deletion, otherwise it is skipped. Keep it (untick) unless its owner confirmed the traffic is gone.</span>`;
}

/** Offered only where AWS lets the endpoint bill nothing while it exists; otherwise the reason (src/cleanup/scale-to-zero.ts). */
function scaleToZeroCell(c: ApprovalCandidate, id: string, grouped: boolean): string {
  // A group's votes are combined per endpoint as delete-or-keep; a per-voter third choice would have no tie rule.
  if (grouped) return '<span class="sub">No scale to zero: approver groups decide delete or keep</span>';
  const offer = scaleToZeroOffer(c.endpointType);
  if (!offer.offered) return `<span class="sub">No scale to zero: ${esc(offer.why)}</span>`;
  return `<input type="checkbox" id="${id}-zero" name="scaleToZero" value="${esc(c.endpointArn)}"> <label for="${id}-zero">Scale to zero instead of deleting</label><span class="sub">${esc(offer.how)}</span>`;
}

const CANDIDATE_COLUMNS = ['Delete', 'Endpoint', 'Instances', 'Cost per month', 'Last invoked', 'Age', 'Owner', 'Snapshot', 'Instead'];

function accountTables(record: ApprovalRecord, grouped: boolean): string {
  let row = 0;
  const head = `<thead><tr>${CANDIDATE_COLUMNS.map((c) => `<th scope="col">${c}</th>`).join('')}</tr></thead>`;
  return byAccount(record.candidates)
    .map(([accountId, items]) => {
      const rows = items.map((c) => candidateRow(c, `ep-${row++}`, record.requestedAt, grouped)).join('\n');
      return `<table class="candidates">
<caption>Account ${esc(accountId)}: ${esc(plural(items.length, 'endpoint'))}, ${esc(money(totalMonthly(items).total))} per month</caption>
${head}
<tbody>
${rows}
</tbody>
</table>`;
    })
    .join('\n');
}

const costText = (candidates: readonly ApprovalCandidate[]): string => {
  const { total, unknown } = totalMonthly(candidates);
  return `${money(total)} per month${unknown > 0 ? ` (plus ${plural(unknown, 'endpoint')} of unknown cost)` : ''}`;
};

/** GET: the candidates, all ticked, and the two decisions. The form posts back to this same URL. */
export function renderApprovalPage(record: ApprovalRecord, link: LinkParams): Page {
  const accounts = byAccount(record.candidates).length;
  const body = `<p>Sweep <strong>${esc(record.sweepId)}</strong>, requested by ${esc(record.requestedBy)} at ${esc(utc(record.requestedAt))}. This link is for <strong>${esc(link.approver)}</strong>.</p>
<dl class="summary">
<dt>Idle endpoints</dt><dd>${esc(count(record.candidates.length))} in ${esc(plural(accounts, 'account'))}</dd>
<dt>Total cost</dt><dd>${esc(costText(record.candidates))}</dd>
<dt>Decide by</dt><dd>${esc(utc(record.expiresAt))}. Without a decision by then, nothing is deleted.</dd>
</dl>
${stillInvokedBanner(record.candidates)}<div class="notice"><p>Every endpoint below was idle (or its owner's deadline passed), has been archived (the snapshot manifest holds everything needed to restore it) and is tagged <code>zombie=confirmed</code>.
Ticked endpoints are deleted after a last check that they are still idle and still tagged; those also ticked "scale to zero" are kept and scaled to zero instead (undone with <code>zombie-sweep restore</code>). Unticked endpoints are kept and left alone for ${esc(record.rejectExemptDays)} days.
Opening this page changes nothing; you confirm a deletion on the next page, and the decision is taken once, for every approver.</p></div>
<form method="post">
${hiddenLinkFields(link)}
${accountTables(record, link.group !== undefined)}
<p class="actions"><button type="submit" class="danger" name="action" value="review">Delete the ticked endpoints…</button>
<button type="submit" class="secondary" name="action" value="reject-all">Reject all: keep every endpoint</button></p>
</form>`;
  return page(200, 'Approve deletion of idle SageMaker endpoints', body);
}

/** Above the tables, so nobody approves an endpoint in use without having seen it: how many, and which. */
function stillInvokedBanner(candidates: readonly ApprovalCandidate[]): string {
  const busy = candidates.filter((c) => c.stillInvoked);
  if (busy.length === 0) return '';
  return `<div class="notice danger-note" role="alert"><p><strong>${esc(plural(busy.length, 'endpoint'))} ${busy.length === 1 ? 'is' : 'are'} STILL INVOKED</strong> although ${busy.length === 1 ? 'its' : 'their'} owner's auto-delete-after date passed: ${esc(busy.map((c) => c.endpointName).join(', '))}. Deleting ${busy.length === 1 ? 'it breaks its callers' : 'them breaks their callers'}; untick to keep (the date moves).</p></div>\n`;
}

/** The approval link itself, relative, so "go back" is a GET of the page (which never decides anything). */
function backHref(link: LinkParams): string {
  return `?${new URLSearchParams({ approver: link.approver, expires: String(link.expires), sig: link.sig, ...(link.group !== undefined ? { group: link.group } : {}) }).toString()}`;
}

/**
 * POST action=review: what the ticked boxes would delete, with count and cost, and the one button
 * that decides. Nothing is recorded until that second POST (action=approve).
 */
export function renderConfirmDeletion(record: ApprovalRecord, link: LinkParams, selected: readonly string[], scaleToZero: readonly string[] = []): Page {
  const chosen = new Set(selected);
  const zero = new Set(scaleToZero);
  const acted = record.candidates.filter((c) => chosen.has(c.endpointArn));
  const doomed = acted.filter((c) => !zero.has(c.endpointArn));
  const scaled = acted.filter((c) => zero.has(c.endpointArn));
  const kept = record.candidates.length - acted.length;
  const line = (c: ApprovalCandidate) =>
    `<li><strong>${esc(c.endpointName)}</strong> (${esc(c.accountId)}, ${esc(c.region)}): ${esc(money(c.monthlyCostUsd))} per month${c.stillInvoked ? ` <strong>(STILL INVOKED: ${esc(c.stillInvoked)})</strong>` : ''}</li>`;
  const parts = [
    doomed.length > 0 ? `delete ${plural(doomed.length, 'endpoint')}` : '',
    scaled.length > 0 ? `scale ${plural(scaled.length, 'endpoint')} to zero` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const body = `<div class="notice danger-note" role="alert"><p><strong>${esc(parts.charAt(0).toUpperCase() + parts.slice(1))}, ${esc(costText(acted))}?</strong> ${doomed.length > 0 ? 'Deleting stops their cost and cannot be undone in place: each can only be re-created from its snapshot. ' : ''}${scaled.length > 0 ? 'Scaled-to-zero endpoints stay, billing nothing, and cannot serve until restored. ' : ''}
${kept > 0 ? `The other ${esc(plural(kept, 'endpoint'))} ${kept === 1 ? 'is' : 'are'} kept and left alone for ${esc(record.rejectExemptDays)} days.` : 'No endpoint is kept.'} Nothing is decided until you press the red button.</p></div>
${doomed.length > 0 ? `<h2>Delete</h2>\n<ul>\n${doomed.map(line).join('\n')}\n</ul>` : ''}
${scaled.length > 0 ? `<h2>Scale to zero</h2>\n<ul>\n${scaled.map(line).join('\n')}\n</ul>` : ''}
<form method="post">
${hiddenLinkFields(link)}
${acted.map((c) => `<input type="hidden" name="endpoint" value="${esc(c.endpointArn)}">`).join('\n')}
${scaled.map((c) => `<input type="hidden" name="scaleToZero" value="${esc(c.endpointArn)}">`).join('\n')}
<p class="actions"><button type="submit" class="danger" name="action" value="approve">Yes, ${esc(parts)} (${esc(money(totalMonthly(acted).total))}/month)</button>
<a class="button" href="${esc(backHref(link))}">Go back: change the selection</a></p>
</form>`;
  return page(200, `Confirm: ${parts}`, body);
}

function nameList(record: ApprovalRecord, arns: readonly string[]): string {
  if (arns.length === 0) return '<p>None.</p>';
  const names = new Map(record.candidates.map((c) => [c.endpointArn, `${c.endpointName} (${c.accountId}, ${c.region})`]));
  return `<ul>\n${arns.map((arn) => `<li>${esc(names.get(arn) ?? arn)}</li>`).join('\n')}\n</ul>`;
}

function decisionLists(record: ApprovalRecord, decision: DecisionRecord): string {
  const closed = decision.status === 'window-closed';
  const zero = new Set(closed ? (decision.requested?.scaleToZero ?? []) : (decision.scaleToZero ?? []));
  const acted = closed ? (decision.requested?.approved ?? []) : decision.approved;
  const approved = acted.filter((arn) => !zero.has(arn));
  const kept = closed ? (decision.requested?.rejected ?? []) : decision.rejected;
  const scaled =
    zero.size > 0 ? `<h2>${closed ? 'Chosen for scale to zero (not applied)' : 'Approved for scale to zero'}</h2>\n${nameList(record, [...zero])}\n` : '';
  return `<h2>${closed ? 'Chosen for deletion (not applied)' : 'Approved for deletion'}</h2>\n${nameList(record, approved)}
${scaled}
<h2>${decision.status === 'window-closed' ? 'Chosen to keep' : `Kept (exempt for ${esc(record.rejectExemptDays)} days)`}</h2>\n${nameList(record, kept)}`;
}

const STATUS_TEXT: Record<DecisionRecord['status'], string> = {
  delivered: 'The workflow received it.',
  pending: 'It is recorded and is being handed to the workflow.',
  'window-closed': 'It arrived after the approval window closed, so nothing was approved and nothing will be deleted.',
};

/** POST accepted and delivered. */
export function renderDecided(record: ApprovalRecord, decision: DecisionRecord): Page {
  const summary =
    decision.action === 'reject-all'
      ? 'You rejected every endpoint: all are kept.'
      : `You approved deletion of ${plural(decision.approved.length, 'endpoint')}; ${plural(decision.rejected.length, 'endpoint')} ${decision.rejected.length === 1 ? 'is' : 'are'} kept.`;
  return page(
    200,
    'Decision recorded',
    `<div class="notice" role="status"><p>${esc(summary)} ${esc(STATUS_TEXT[decision.status])}</p></div>\n${decisionLists(record, decision)}`,
  );
}

/** A decision already exists: who decided and when (200 on GET, 409 for a second POST, 410 when the window closed undecided). */
export function renderAlreadyDecided(record: ApprovalRecord, decision: DecisionRecord, statusCode: 200 | 409): Page {
  // Nobody decided in time: say the window closed (410) rather than naming a decider who does not exist.
  if (decision.source === 'timeout') {
    const closed = `No decision arrived before the approval window closed (${utc(decision.decidedAt)}). Nothing was approved and nothing will be deleted. Start a new sweep to decide again.`;
    return page(
      410,
      'The approval window has closed',
      `<div class="notice error" role="alert"><p>${esc(closed)}</p></div>\n${decisionLists(record, decision)}`,
    );
  }
  const text = `${decision.approver} decided at ${utc(decision.decidedAt)}${decision.action === 'reject-all' ? ' to keep every endpoint' : ''}. ${STATUS_TEXT[decision.status]}`;
  const lead = statusCode === 409 ? '<p>Your submission was not applied: a sweep is decided once, by the first approver.</p>\n' : '';
  return page(
    statusCode,
    `Sweep ${record.sweepId} is already decided`,
    `${lead}<div class="notice" role="status"><p>${esc(text)}</p></div>\n${decisionLists(record, decision)}`,
  );
}

export function renderWindowClosed(record: ApprovalRecord, decision: DecisionRecord): Page {
  return page(
    410,
    'The approval window has closed',
    `<div class="notice error" role="alert"><p>Step Functions is no longer waiting for a decision on sweep ${esc(record.sweepId)} (it timed out or was stopped). Your choice is kept on record, but nothing was approved and nothing will be deleted. Start a new sweep to decide again.</p></div>\n${decisionLists(record, decision)}`,
  );
}

/** Recorded, but SendTaskSuccess failed for a passing reason: the retry re-sends the recorded decision. */
export function renderUndelivered(record: ApprovalRecord, decision: DecisionRecord, link: LinkParams): Page {
  return page(
    503,
    'Decision recorded, not yet delivered',
    `<div class="notice error" role="alert"><p>Your decision is recorded, but the workflow could not be reached just now. Nothing has been deleted yet. Try again in a minute: the recorded decision is sent again as it is.</p></div>
<form method="post">
${hiddenLinkFields(link)}
<p class="actions"><button type="submit" class="secondary" name="action" value="retry">Try again</button></p>
</form>
${decisionLists(record, decision)}`,
  );
}

/**
 * A dependency (KMS, S3, Step Functions) throttled or failed briefly. The approver may have pressed a
 * decision button, so the way on is the approval page itself: it shows whether a decision was recorded,
 * and offers the choice again if not.
 */
export function renderBusy(link: LinkParams | undefined): Page {
  const back = link ? `<p class="actions"><a class="button" href="${esc(backHref(link))}">Open the approval page again</a></p>` : '';
  return page(
    503,
    'Busy: try again in a minute',
    `<div class="notice error" role="alert"><p>The service behind this page is busy right now (throttled or briefly unavailable), so your request was not completed. Nothing has been deleted. In a minute, open the approval page again: it shows whether a decision was recorded, and if none was, you can decide again.</p></div>
${back || '<p>Open the link from your email again.</p>'}`,
  );
}

export function renderMessage(statusCode: number, title: string, message: string): Page {
  return page(
    statusCode,
    title,
    `<div class="notice${statusCode >= 400 ? ' error' : ''}" role="${statusCode >= 400 ? 'alert' : 'status'}"><p>${esc(message)}</p></div>`,
  );
}
