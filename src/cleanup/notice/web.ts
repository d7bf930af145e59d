import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { appendAuditEvent } from '../../audit/events.ts';
import { count, lastInvoked } from '../../core/wording.ts';
import type { ApprovalCandidate } from '../approval/store.ts';
import { crossSiteReason, formBody, header } from '../approval/http.ts';
import type { MacSigner } from '../approval/links.ts';
import { esc, money, page, renderMessage, type Page } from '../approval/page.ts';
import { auditWriter, endpointWhere, type CleanupDeps } from '../endpoint.ts';
import { VetoLinkParamsSchema, checkVetoLink, type VetoLinkParams } from './links.ts';
import { readNoticeRecord, readVeto, writeVeto, type NoticeRecord } from './store.ts';

/**
 * The owner's veto page, served by the approval endpoint on the same route (a link with `owner`
 * rather than `approver`). The same rules as the approval page: GET shows and never changes anything
 * (mail scanners open links), a POST from the page itself acts. A veto is recorded here, audited,
 * and applied (the `zombie` tag removed) by the workflow, which holds the tag capability.
 */

export const isVetoRequest = (params: Record<string, unknown>): boolean => params.owner !== undefined && params.approver === undefined;

type Authorized = { ok: true; notice: NoticeRecord; link: VetoLinkParams; mine: ApprovalCandidate[] } | { ok: false; page: Page };

const BAD_LINK = renderMessage(
  403,
  'This link is not valid',
  'The link is incomplete or was altered. Open the link exactly as it arrived in your email. Nothing was changed.',
);

async function authorize(deps: CleanupDeps & { signer: MacSigner }, sweepId: string, raw: Record<string, unknown>): Promise<Authorized> {
  const parsed = VetoLinkParamsSchema.safeParse(raw);
  if (!parsed.success || (typeof raw.expires === 'string' && !/^[1-9]\d{0,11}$/.test(raw.expires))) return { ok: false, page: BAD_LINK };
  const link = parsed.data;
  const check = await checkVetoLink(deps.signer, sweepId, link, deps.clock.now());
  if (!check.ok)
    return {
      ok: false,
      page:
        check.why === 'expired'
          ? renderMessage(403, 'This link has expired', `Sweep ${sweepId} is decided or closed. Remove the zombie tag from an endpoint to keep it.`)
          : BAD_LINK,
    };
  const notice = await readNoticeRecord(deps.clients.hub(S3Client), deps.archiveBucket, sweepId);
  if (!notice) return { ok: false, page: renderMessage(404, 'Unknown sweep', `No owner notice exists for sweep ${sweepId}.`) };
  const arns = new Set(notice.value.owners[link.owner] ?? []);
  if (arns.size === 0 || link.expires * 1000 !== Date.parse(notice.value.vetoUntil)) return { ok: false, page: BAD_LINK };
  return { ok: true, notice: notice.value, link, mine: notice.value.candidates.filter((c) => arns.has(c.endpointArn)) };
}

function hiddenFields(link: VetoLinkParams): string {
  return ['owner', 'expires', 'sig'].map((k) => `<input type="hidden" name="${k}" value="${esc(link[k as keyof VetoLinkParams])}">`).join('\n');
}

function endpointItem(c: ApprovalCandidate, link: VetoLinkParams, vetoed: boolean): string {
  const facts = `${esc(c.region)}, account ${esc(c.accountId)} · ${esc(money(c.monthlyCostUsd))}/month · last invoked ${esc(lastInvoked(c.lastInvokedAt, c.idleSince))}`;
  const action = vetoed
    ? '<p class="notice">Kept: you vetoed its deletion.</p>'
    : `<form method="post" class="actions">${hiddenFields(link)}<input type="hidden" name="action" value="veto"><input type="hidden" name="endpoint" value="${esc(c.endpointArn)}"><button type="submit" class="secondary">Keep ${esc(c.endpointName)}</button></form>`;
  return `<li><strong>${esc(c.endpointName)}</strong><span class="sub">${facts}</span>${action}</li>`;
}

export function renderVetoPage(
  notice: NoticeRecord,
  link: VetoLinkParams,
  mine: readonly ApprovalCandidate[],
  vetoed: ReadonlySet<string>,
  statusCode = 200,
  note?: string,
): Page {
  const intro = `<p>These ${count(mine.length)} idle endpoint${mine.length === 1 ? ' is' : 's are'} yours. From ${esc(notice.noticeEndsAt)} the approvers of sweep ${esc(notice.sweepId)} decide whether they are deleted. Press <strong>Keep</strong> to veto: the endpoint's zombie tag is removed and this sweep never deletes it.</p>`;
  const items = `<ul>${mine.map((c) => endpointItem(c, link, vetoed.has(c.endpointArn))).join('\n')}</ul>`;
  return page(statusCode, `Your idle endpoints in sweep ${notice.sweepId}`, `${note ? `<p class="notice">${esc(note)}</p>` : ''}${intro}${items}`);
}

async function vetoedOf(deps: CleanupDeps, mine: readonly ApprovalCandidate[]): Promise<Set<string>> {
  const s3 = deps.clients.hub(S3Client);
  const found = await Promise.all(mine.map(async (c) => ((await readVeto(s3, deps.archiveBucket, c)) ? c.endpointArn : undefined)));
  return new Set(found.filter((arn): arn is string => arn !== undefined));
}

export async function vetoGet(deps: CleanupDeps & { signer: MacSigner }, event: APIGatewayProxyEvent, sweepId: string): Promise<Page> {
  const auth = await authorize(deps, sweepId, { ...(event.queryStringParameters ?? {}) });
  if (!auth.ok) return auth.page;
  return renderVetoPage(auth.notice, auth.link, auth.mine, await vetoedOf(deps, auth.mine));
}

export async function vetoPost(deps: CleanupDeps & { signer: MacSigner }, event: APIGatewayProxyEvent, sweepId: string): Promise<Page> {
  if (crossSiteReason(event)) return renderMessage(403, 'Request refused', 'A veto can only be submitted from the page your email links to.');
  if ((header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/x-www-form-urlencoded')
    return renderMessage(415, 'Unsupported request', 'Submit the form on the page.');
  const form = formBody(event);
  const auth = await authorize(deps, sweepId, {
    owner: form.get('owner') ?? undefined,
    expires: form.get('expires') ?? undefined,
    sig: form.get('sig') ?? undefined,
  });
  if (!auth.ok) return auth.page;
  if (form.get('action') !== 'veto') return renderMessage(400, 'No action chosen', 'Field "action" must be "veto". Use the Keep buttons on the page.');
  const candidate = auth.mine.find((c) => c.endpointArn === form.get('endpoint'));
  if (!candidate) return renderMessage(400, 'Unknown endpoint', 'Field "endpoint" does not name one of your endpoints in this sweep. Nothing was changed.');
  const outcome = await writeVeto(deps.clients.hub(S3Client), deps.archiveBucket, candidate, auth.link.owner, deps.clock.now());
  if (outcome === 'recorded') {
    const where = endpointWhere(candidate);
    await appendAuditEvent(auditWriter(deps), {
      ...where,
      type: 'vetoed',
      actor: auth.link.owner,
      reason: 'the owner vetoed deletion from the owner notice',
      details: { step: 'requested' },
    });
    deps.log.info('owner vetoed an endpoint', { sweepId, endpointArn: candidate.endpointArn });
  }
  const note =
    outcome === 'recorded'
      ? `${candidate.endpointName} is kept: its zombie tag is removed before the approvers' decision is applied.`
      : `${candidate.endpointName} was already kept.`;
  return renderVetoPage(auth.notice, auth.link, auth.mine, await vetoedOf(deps, auth.mine), 200, note);
}
