import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { isTransient } from '../../core/aws-errors.ts';
import { RetryableAwsError, errorMessage, errorName } from '../../core/errors.ts';
import { SweepIdSchema } from '../../core/schemas.ts';
import type { CleanupDeps } from '../endpoint.ts';
import { scaleToZeroOffer } from '../scale-to-zero.ts';
import { decide, type DecideOutcome } from './decide.ts';
import { crossSiteReason, formBody, header } from './http.ts';
import { LinkParamsSchema, checkLink, type LinkParams, type MacSigner } from './links.ts';
import {
  STYLE_CSP_HASH,
  renderAlreadyDecided,
  renderApprovalPage,
  renderBusy,
  renderConfirmDeletion,
  renderDecided,
  renderMessage,
  renderUndelivered,
  renderWindowClosed,
  type Page,
} from './page.ts';
import { isVetoRequest, vetoGet, vetoPost } from '../notice/web.ts';
import { groupView, vote, type GroupPlan } from './groups.ts';
import { readApprovalRecord, readGroupDecision, type GroupDecisionRecord, readDecisionRecord, type ApprovalRecord, type Stored } from './store.ts';

/**
 * The approval web handler (API Gateway REST proxy events). GET renders and never writes anything
 * (mail scanners prefetch links); POST verifies the signed link again and decides. Every outcome is
 * a page with the right status code; errors never show internals.
 */

export interface ApprovalWebDeps extends CleanupDeps {
  signer: MacSigner;
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // No scripts, no external anything; the one inline style is allowed by hash; forms post only here.
  'content-security-policy': `default-src 'none'; style-src ${STYLE_CSP_HASH}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Same-origin keeps the Origin header on our own form posts (no-referrer would turn it into "null").
  'referrer-policy': 'same-origin',
};

function respond(p: Page, method: string, extra: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: p.statusCode, headers: { ...HEADERS, ...extra }, body: method === 'HEAD' ? '' : p.html };
}

/** `review` asks for the confirmation page (count and cost) before the irreversible `approve`; it records nothing. */
const ActionSchema = z.enum(['review', 'approve', 'reject-all', 'retry']);

function sweepIdOf(event: APIGatewayProxyEvent): string | undefined {
  const fromPath = event.pathParameters?.sweepId ?? /\/approvals\/([^/]+)\/?$/.exec(event.path ?? '')?.[1];
  if (fromPath === undefined) return undefined;
  try {
    return decodeURIComponent(fromPath);
  } catch {
    return undefined;
  }
}

type Authorized = { ok: true; record: Stored<ApprovalRecord>; link: LinkParams; group?: GroupPlan } | { ok: false; page: Page };

const BAD_LINK = renderMessage(
  403,
  'This link is not valid',
  'The link is incomplete or was altered. Open the link exactly as it arrived in your email. Nothing was changed.',
);

/** RFC 5321 caps an address at 254 characters; KMS caps a MAC message at 4,096 bytes. */
const MAX_APPROVER_LENGTH = 254;

/**
 * A present but over-long or non-canonical field is a bad request (400), checked before any KMS call:
 * only the canonical encoding of the expiry (decimal epoch seconds, no sign, no leading zero) and of
 * the signature (43 base64url characters) is accepted, so one link has exactly one spelling.
 */
function malformedField(raw: Record<string, unknown>): Page | undefined {
  const { approver, expires, sig } = raw;
  if (typeof approver === 'string' && approver.length > MAX_APPROVER_LENGTH)
    return renderMessage(400, 'Bad request', `Field "approver" is longer than ${MAX_APPROVER_LENGTH} characters. Nothing was changed.`);
  if (typeof expires === 'string' && !/^[1-9]\d{0,11}$/.test(expires))
    return renderMessage(400, 'Bad request', 'Field "expires" is not in its canonical form (whole seconds since 1970). Nothing was changed.');
  if (typeof sig === 'string' && !/^[A-Za-z0-9_-]{43}$/.test(sig))
    return renderMessage(400, 'Bad request', 'Field "sig" is not a 43-character base64url signature. Nothing was changed.');
  return undefined;
}

/** Signature, expiry, the sweep's record, the approver's membership and the request the link was issued for. */
async function authorize(deps: ApprovalWebDeps, sweepId: string, raw: Record<string, unknown>): Promise<Authorized> {
  const malformed = malformedField(raw);
  if (malformed) return { ok: false, page: malformed };
  const parsed = LinkParamsSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, page: BAD_LINK };
  const link = parsed.data;
  const check = await checkLink(deps.signer, sweepId, link, deps.clock.now());
  if (!check.ok) {
    return {
      ok: false,
      page:
        check.why === 'expired'
          ? renderMessage(
              403,
              'This link has expired',
              `The approval window for sweep ${sweepId} closed at ${new Date(link.expires * 1000).toISOString()}. Nothing is deleted without a decision in time.`,
            )
          : BAD_LINK,
    };
  }
  const record = await readApprovalRecord(deps.clients.hub(S3Client), deps.archiveBucket, sweepId);
  if (!record) return { ok: false, page: renderMessage(404, 'Unknown sweep', `No approval request exists for sweep ${sweepId}.`) };
  // With groups, a link decides only for the group it was signed for, and only if the approver is in it.
  const group = record.value.groups?.find((g) => g.name === link.group);
  if ((record.value.groups !== undefined) !== (link.group !== undefined) || (link.group !== undefined && !group?.approvers.includes(link.approver))) {
    return { ok: false, page: renderMessage(403, 'This link is not valid', `This link does not decide for an approver group of sweep ${sweepId}.`) };
  }
  if (!record.value.approvers.includes(link.approver)) {
    return { ok: false, page: renderMessage(403, 'This link is not valid', `${link.approver} is not an approver of sweep ${sweepId}.`) };
  }
  // The signed expiry identifies the request the link was mailed for: a link from an earlier request of this sweep is a replay.
  if (link.expires * 1000 !== Date.parse(record.value.expiresAt)) {
    return {
      ok: false,
      page: renderMessage(403, 'This link is no longer valid', `It belongs to an earlier approval request of sweep ${sweepId}. Use the most recent email.`),
    };
  }
  return { ok: true, record, link, ...(group ? { group } : {}) };
}

async function get(deps: ApprovalWebDeps, event: APIGatewayProxyEvent, sweepId: string): Promise<Page> {
  if (isVetoRequest({ ...(event.queryStringParameters ?? {}) })) return vetoGet(deps, event, sweepId);
  const auth = await authorize(deps, sweepId, { ...(event.queryStringParameters ?? {}) });
  if (!auth.ok) return auth.page;
  const decision = await readDecisionRecord(deps.clients.hub(S3Client), deps.archiveBucket, sweepId);
  const view = auth.group ? groupView(auth.record.value, auth.group) : auth.record.value;
  if (decision) return renderAlreadyDecided(view, decision.value, 200);
  if (auth.group) {
    const mine = (await readGroupDecision(deps.clients.hub(S3Client), deps.archiveBucket, sweepId, auth.group.name))?.value;
    if (mine && (mine.status === 'decided' || mine.approvals.some((v) => v.approver === auth.link.approver))) return voteRecordedPage(auth.group, mine, 200);
  }
  return renderApprovalPage(view, auth.link);
}

async function post(deps: ApprovalWebDeps, event: APIGatewayProxyEvent, sweepId: string): Promise<Page> {
  const crossSite = crossSiteReason(event);
  if (crossSite) {
    deps.log.warn('cross-site approval POST refused', { sweepId, reason: crossSite });
    return renderMessage(
      403,
      'Request refused',
      'Decisions can only be submitted from the approval page itself. Open the link from your email and use its buttons.',
    );
  }
  const contentType = (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') return renderMessage(415, 'Unsupported request', 'Submit the form on the approval page.');
  const form = formBody(event);
  if (isVetoRequest({ owner: form.get('owner') ?? undefined, approver: form.get('approver') ?? undefined })) return vetoPost(deps, event, sweepId);
  const auth = await authorize(deps, sweepId, {
    approver: form.get('approver') ?? undefined,
    expires: form.get('expires') ?? undefined,
    sig: form.get('sig') ?? undefined,
    group: form.get('group') ?? undefined,
  });
  if (!auth.ok) return auth.page;
  const action = ActionSchema.safeParse(form.get('action'));
  if (!action.success)
    return renderMessage(
      400,
      'No decision chosen',
      'The form did not say whether to approve or reject (field "action"). Use one of the buttons on the approval page.',
    );
  const view = auth.group ? groupView(auth.record.value, auth.group) : auth.record.value;
  const selected = [...new Set(form.getAll('endpoint'))];
  const scaleToZero = [...new Set(form.getAll('scaleToZero'))];
  const refused = selectionRefused(view, auth.record.value, auth.group !== undefined, action.data, selected, scaleToZero, sweepId);
  if (refused) return refused;
  if (action.data === 'review') return reviewPage(deps, view, auth.link, selected, scaleToZero);
  const existingOnly = action.data === 'retry' && !(await readDecisionRecord(deps.clients.hub(S3Client), deps.archiveBucket, sweepId));
  if (existingOnly) return renderMessage(400, 'Nothing to retry', 'No decision is recorded for this sweep yet. Open the link from your email to decide.');
  if (auth.group && action.data !== 'retry') return groupVotePage(deps, { ...auth, group: auth.group }, view, action.data, selected, sweepId);
  const outcome = await decide(deps, auth.record, auth.link.approver, action.data, selected, scaleToZero);
  return outcomePage(view, auth.link, outcome);
}

/** Why the ticked endpoints cannot be decided as asked, as the page that says so; undefined when they can. */
function selectionRefused(
  view: ApprovalRecord,
  record: ApprovalRecord,
  grouped: boolean,
  action: z.infer<typeof ActionSchema>,
  selected: readonly string[],
  scaleToZero: readonly string[],
  sweepId: string,
): Page | undefined {
  const known = new Set(view.candidates.map((c) => c.endpointArn));
  const unknown = selected.find((arn) => !known.has(arn));
  if (unknown !== undefined)
    return renderMessage(400, 'Unknown endpoint', `Field "endpoint" names ${unknown}, which is not part of sweep ${sweepId}. Nothing was decided.`);
  if ((action === 'approve' || action === 'review') && selected.length === 0) {
    return renderMessage(
      400,
      'No endpoint ticked',
      'No endpoint was ticked, so there is nothing to delete. Go back and tick the endpoints to delete, or use "Reject all" to keep every endpoint. Nothing was decided.',
    );
  }
  const zeroProblem = scaleToZeroProblem(record, selected, scaleToZero);
  if (zeroProblem) return renderMessage(400, 'Scale to zero not possible', `${zeroProblem} Nothing was decided.`);
  if (grouped && scaleToZero.length > 0) {
    return renderMessage(
      400,
      'Scale to zero not possible',
      'Approver groups decide delete or keep; scale to zero is offered only when one approver decides the whole sweep. Nothing was decided.',
    );
  }
  return undefined;
}

/** One approver's vote in their group, and the page that tells them what it did. */
async function groupVotePage(
  deps: ApprovalWebDeps,
  auth: { record: Stored<ApprovalRecord>; group: GroupPlan; link: LinkParams },
  view: ApprovalRecord,
  action: 'approve' | 'reject-all',
  selected: readonly string[],
  sweepId: string,
): Promise<Page> {
  const voted = await vote(deps, auth.record, auth.group, auth.link.approver, action, selected);
  // A vote that decided its group counts in the sweep's decision even when another group's last vote
  // recorded that decision first: say it was counted, never "not applied". (A press after the group had
  // decided only completes the sweep's decision; that approver's vote is not in it.)
  const counted = voted.group.approvals.some((v) => v.approver === auth.link.approver);
  if (voted.kind === 'sweep')
    return voted.outcome.kind === 'already-decided' && counted ? voteRecordedPage(auth.group, voted.group, 200) : outcomePage(view, auth.link, voted.outcome);
  const decided = await readDecisionRecord(deps.clients.hub(S3Client), deps.archiveBucket, sweepId);
  if (decided) return renderAlreadyDecided(view, decided.value, 409);
  return voteRecordedPage(auth.group, voted.group, voted.kind === 'already-voted' ? 409 : 200);
}

/** Confirmation before deleting; a sweep already decided says so instead of offering a button that would be refused. */
async function reviewPage(
  deps: ApprovalWebDeps,
  record: ApprovalRecord,
  link: LinkParams,
  selected: readonly string[],
  scaleToZero: readonly string[],
): Promise<Page> {
  const decision = await readDecisionRecord(deps.clients.hub(S3Client), deps.archiveBucket, record.sweepId);
  return decision ? renderAlreadyDecided(record, decision.value, 200) : renderConfirmDeletion(record, link, selected, scaleToZero);
}

/** Field "scaleToZero" may name only ticked endpoints of a kind that can scale to zero (src/cleanup/scale-to-zero.ts). */
function scaleToZeroProblem(record: ApprovalRecord, selected: readonly string[], scaleToZero: readonly string[]): string | undefined {
  const ticked = new Set(selected);
  const byArn = new Map(record.candidates.map((c) => [c.endpointArn, c]));
  for (const arn of scaleToZero) {
    const candidate = byArn.get(arn);
    if (!candidate) return `Field "scaleToZero" names ${arn}, which is not part of sweep ${record.sweepId}.`;
    if (!ticked.has(arn)) return `Field "scaleToZero" names ${candidate.endpointName}, which is not ticked: tick it too, or untick scale to zero to keep it.`;
    const offer = scaleToZeroOffer(candidate.endpointType);
    if (!offer.offered) return `${candidate.endpointName} cannot be scaled to zero: ${offer.why}.`;
  }
  return undefined;
}

/** A vote counted, a group decided, while the sweep waits for more approvals or other groups. */
function voteRecordedPage(group: GroupPlan, record: GroupDecisionRecord, statusCode: 200 | 409): Page {
  const votes = record.approvals.map((v) => `${v.approver} (${v.at})`).join(', ');
  if (record.status === 'decided') {
    return renderMessage(
      statusCode,
      `Group ${group.name} has decided`,
      `${record.approved.length} endpoint(s) approved for deletion, ${record.rejected.length} kept, by ${votes}. The sweep goes on once every approver group has decided; nothing more is needed from this group.`,
    );
  }
  return renderMessage(
    statusCode,
    'Your choice is recorded',
    `Group ${group.name} needs ${group.requiredApprovals} distinct approvals before an endpoint is deleted; one rejection keeps it. Recorded so far: ${votes}. Nothing is deleted until the group has decided.`,
  );
}

function outcomePage(record: ApprovalRecord, link: LinkParams, outcome: DecideOutcome): Page {
  switch (outcome.kind) {
    case 'decided':
      return renderDecided(record, outcome.decision);
    case 'already-decided':
      return renderAlreadyDecided(record, outcome.decision, 409);
    case 'window-closed':
      return renderWindowClosed(record, outcome.decision);
    case 'undelivered':
      return renderUndelivered(record, outcome.decision, link);
  }
}

/** Seconds a busy page asks the approver (and any client honouring Retry-After) to wait before trying again. */
const BUSY_RETRY_AFTER_SECONDS = 30;

/** The link's signed fields from the query string (GET) or the form (POST), if complete: for the busy page's way back. */
function linkOf(event: APIGatewayProxyEvent): LinkParams | undefined {
  const form = (event.httpMethod ?? 'GET').toUpperCase() === 'POST' ? formBody(event) : undefined;
  const field = (name: string) => (form ? (form.get(name) ?? undefined) : (event.queryStringParameters?.[name] ?? undefined));
  const parsed = LinkParamsSchema.safeParse({ approver: field('approver'), expires: field('expires'), sig: field('sig'), group: field('group') });
  return parsed.success && malformedField(parsed.data) === undefined ? parsed.data : undefined;
}

export async function handleApprovalHttp(deps: ApprovalWebDeps, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const method = (event.httpMethod ?? 'GET').toUpperCase();
  try {
    const sweepId = sweepIdOf(event);
    if (sweepId === undefined) return respond(renderMessage(404, 'Not found', 'There is no page at this address.'), method);
    if (!SweepIdSchema.safeParse(sweepId).success) return respond(renderMessage(404, 'Unknown sweep', 'This address does not name a sweep.'), method);
    if (method === 'GET' || method === 'HEAD') return respond(await get(deps, event, sweepId), method);
    if (method === 'POST') return respond(await post(deps, event, sweepId), method);
    return respond(renderMessage(405, 'Method not allowed', 'Open the link from your email.'), method, { allow: 'GET, HEAD, POST' });
  } catch (error) {
    if (error instanceof RetryableAwsError || isTransient(error)) {
      // Throttling or a brief outage of KMS, S3 or Step Functions: the approver must know to try again, and where.
      deps.log.warn('approval page answered busy', { error: errorName(error), detail: errorMessage(error) });
      return respond(renderBusy(linkOf(event)), method, { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) });
    }
    deps.log.error('approval page failed', { error: errorName(error), detail: errorMessage(error) });
    return respond(
      renderMessage(
        500,
        'Something went wrong',
        'The page could not be produced. If you had submitted a decision, open the link from your email again: it shows whether the decision was recorded.',
      ),
      method,
    );
  }
}
