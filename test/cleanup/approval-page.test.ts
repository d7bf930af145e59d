import { describe, expect, it } from 'vitest';
import { crossSiteReason, formBody, toApiGatewayEvent } from '../../src/cleanup/approval/http.ts';
import { renderAlreadyDecided, renderApprovalPage, renderConfirmDeletion, renderMessage, totalMonthly } from '../../src/cleanup/approval/page.ts';
import { EMAIL_ENDPOINT_LIMIT, approvalMessage } from '../../src/cleanup/approval/request.ts';
import type { ApprovalCandidate, ApprovalRecord, DecisionRecord } from '../../src/cleanup/approval/store.ts';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';

function candidate(accountId: string, name: string, cost: number | null, extra: Partial<ApprovalCandidate> = {}): ApprovalCandidate {
  return {
    sweepId: 'sweep-1',
    accountId,
    region: 'us-east-1',
    endpointName: name,
    endpointArn: `arn:aws:sagemaker:us-east-1:${accountId}:endpoint/${name}`,
    endpointType: 'real-time',
    instanceType: 'ml.g4dn.xlarge',
    instanceCount: 1,
    monthlyCostUsd: cost,
    idleSince: '2026-01-02',
    detectedAt: '2026-03-01T00:00:00.000Z',
    manifestUri: `s3://archive/manifests/${accountId}/us-east-1/${name}/sweep-1.json`,
    ...extra,
  };
}

const record: ApprovalRecord = {
  version: 1,
  sweepId: 'sweep-1',
  taskToken: 'SECRET-TASK-TOKEN',
  requestedAt: '2026-03-01T10:00:00.000Z',
  requestedBy: 'arn:aws:iam::111111111111:user/platform',
  expiresAt: '2026-03-04T10:00:00.000Z',
  approvers: ['alice@example.com'],
  rejectExemptDays: 90,
  candidates: [
    candidate('222222222222', 'fraud-v1', 532.9, {
      lastInvokedAt: '2026-01-01T00:00:00.000Z',
      createdAt: '2025-06-01T00:00:00.000Z',
      ownerTags: { owner: 'maria@example.com', team: 'fraud' },
    }),
    candidate('333333333333', 'demo-<script>alert(1)</script>', 100, { idleSince: 'never', lastInvokedAt: null }),
    candidate('222222222222', 'churn-old', null, { endpointType: 'serverless', instanceType: null, instanceCount: 0 }),
  ],
};
const link = { approver: 'alice@example.com', expires: 1772618400, sig: 'x'.repeat(43) };

describe('approval page', () => {
  const { html, statusCode } = renderApprovalPage(record, link);

  it('is a self-contained, script-free document with a language', () => {
    expect(statusCode).toBe(200);
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i);
  });

  it('groups candidates by account in captioned tables with header cells, every box ticked and labelled', () => {
    const captions = [...html.matchAll(/<caption>([^<]*)<\/caption>/g)].map((m) => m[1]);
    expect(captions).toEqual(['Account 222222222222: 2 endpoints, $532.90 per month', 'Account 333333333333: 1 endpoint, $100.00 per month']);
    expect(html.match(/<th scope="col">/g)).toHaveLength(18);
    const boxes = [...html.matchAll(/<input type="checkbox" id="(ep-\d+)" name="endpoint" value="([^"]+)" checked>/g)];
    expect(boxes).toHaveLength(3);
    for (const [, id] of boxes) expect(html).toContain(`<label for="${id}">`);
  });

  it('shows the total, last invoked, age, owner, snapshot and expiry, and posts the signed fields back', () => {
    expect(html).toContain('$632.90 per month (plus 1 endpoint of unknown cost)');
    expect(html).toContain('<td data-label="Last invoked">2026-01-01</td>');
    expect(html).toContain('<td data-label="Last invoked">never</td>');
    // A candidate recorded before lastInvokedAt was carried: known idle since 2026-01-02, last invoked before it.
    expect(html).toContain('<td data-label="Last invoked">before 2026-01-02</td>');
    expect(html).toContain('<td data-label="Age">273 days (created 2025-06-01)</td>');
    expect(html).toContain('<td data-label="Owner">owner=maria@example.com, team=fraud</td>');
    expect(html).toContain('<details><summary>manifest</summary><code>s3://archive/manifests/222222222222/us-east-1/fraud-v1/sweep-1.json</code></details>');
    expect(html).toContain('2026-03-04 10:00:00 UTC');
    expect(html).toMatch(/<form method="post">/);
    expect(html).toContain('<input type="hidden" name="sig" value="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx">');
    // Deleting goes through a confirmation page; keeping everything is one click.
    expect(html).toContain('<button type="submit" class="danger" name="action" value="review">');
    expect(html).not.toContain('value="approve"');
    expect(html).toContain('name="action" value="reject-all"');
  });

  it('asks to confirm a deletion with its count and monthly cost, carrying the ticked endpoints and nothing else', () => {
    const chosen = [record.candidates[0]!.endpointArn, record.candidates[2]!.endpointArn];
    const confirm = renderConfirmDeletion(record, link, chosen).html;
    expect(confirm).toContain('<title>Confirm: delete 2 endpoints · zombie-sweep</title>');
    expect(confirm).toContain('Delete 2 endpoints, $532.90 per month (plus 1 endpoint of unknown cost)?');
    expect(confirm).toContain('The other 1 endpoint is kept and left alone for 90 days.');
    const carried = [...confirm.matchAll(/<input type="hidden" name="endpoint" value="([^"]+)">/g)].map((m) => m[1]);
    expect(carried).toEqual(chosen);
    expect(confirm).toContain('<button type="submit" class="danger" name="action" value="approve">Yes, delete 2 endpoints ($532.90/month)</button>');
    // Going back is a GET of the signed link: it cannot decide anything.
    expect(confirm).toContain(
      '<a class="button" href="?approver=alice%40example.com&amp;expires=1772618400&amp;sig=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx">',
    );
  });

  it('escapes every value and never shows the task token', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('demo-&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('SECRET-TASK-TOKEN');
  });

  it('sums cost with unknowns counted apart', () => {
    expect(totalMonthly(record.candidates)).toEqual({ total: 632.9, unknown: 1 });
  });

  it('says who decided and when', () => {
    const decision: DecisionRecord = {
      version: 1,
      sweepId: 'sweep-1',
      approver: 'bob@example.com',
      decidedAt: '2026-03-02T08:30:00.000Z',
      action: 'approve',
      approved: [record.candidates[0]!.endpointArn],
      rejected: [record.candidates[1]!.endpointArn, record.candidates[2]!.endpointArn],
      status: 'delivered',
      source: 'approval-page',
    };
    const page = renderAlreadyDecided(record, decision, 409);
    expect(page.statusCode).toBe(409);
    expect(page.html).toContain('bob@example.com decided at 2026-03-02 08:30:00 UTC');
    expect(page.html).toContain('fraud-v1 (222222222222, us-east-1)');
    expect(renderMessage(403, 'This link has expired', 'x').html).toContain('role="alert"');
  });
});

describe('approval email', () => {
  it('lists every endpoint with its cost, last invocation and owner, most expensive first per account', () => {
    const { subject, message } = approvalMessage(record, 'https://approve.example.com/approvals/sweep-1?x=1');
    expect(subject).toBe('zombie-sweep: 3 idle SageMaker endpoints, $632.90/month: decision needed');
    const lines = message.split('\n');
    const list = lines.slice(lines.indexOf('Endpoints, most expensive first:') + 1);
    expect(list).toEqual([
      'Account 222222222222: 2 endpoints, $532.90/month',
      '  - fraud-v1 (us-east-1, ml.g4dn.xlarge × 1): $532.90/month, last invoked 2026-01-01, owner=maria@example.com, team=fraud',
      '  - churn-old (us-east-1, serverless): unknown/month, last invoked before 2026-01-02',
      'Account 333333333333: 1 endpoint, $100.00/month',
      '  - demo-<script>alert(1)</script> (us-east-1, ml.g4dn.xlarge × 1): $100.00/month, last invoked never',
    ]);
  });

  it('stays small for a sweep of thousands: the page lists what the mail leaves out', () => {
    const many = { ...record, candidates: Array.from({ length: 3000 }, (_, i) => candidate('222222222222', `ep-${i}`, i)) };
    const { message } = approvalMessage(many, 'https://approve.example.com/x');
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(EMAIL_ENDPOINT_LIMIT);
    expect(message).toContain('  - ep-2999 ');
    expect(message).toContain('... and 2,900 more endpoints: the page lists every one.');
    expect(Buffer.byteLength(message)).toBeLessThan(64 * 1024);
  });
});

describe('approval HTTP helpers', () => {
  const event = (headers: Record<string, string>) => ({ headers });

  it('lets same-origin posts and header-less clients through, refuses cross-site ones', () => {
    expect(crossSiteReason(event({ Host: 'abc.example.com', Origin: 'https://abc.example.com', 'Sec-Fetch-Site': 'same-origin' }))).toBeUndefined();
    expect(crossSiteReason(event({ host: 'abc.example.com' }))).toBeUndefined();
    expect(crossSiteReason(event({ host: 'abc.example.com', 'sec-fetch-site': 'cross-site' }))).toMatch(/cross-site/);
    expect(crossSiteReason(event({ host: 'abc.example.com', 'sec-fetch-site': 'same-site' }))).toMatch(/same-site/);
    expect(crossSiteReason(event({ host: 'abc.example.com', origin: 'https://evil.example.net' }))).toMatch(/not this site/);
    expect(crossSiteReason(event({ host: 'abc.example.com', origin: 'null' }))).toMatch(/null/);
  });

  it('decodes base64 form bodies with repeated fields', () => {
    const body = Buffer.from('endpoint=a&endpoint=b&action=approve').toString('base64');
    const form = formBody({ body, isBase64Encoded: true });
    expect(form.getAll('endpoint')).toEqual(['a', 'b']);
    expect(form.get('action')).toBe('approve');
  });

  it('turns a Node request into the REST proxy event the Lambda gets', async () => {
    const req = Object.assign(Readable.from([Buffer.from('a=1')]), {
      method: 'POST',
      headers: { host: '127.0.0.1:1', 'content-type': 'application/x-www-form-urlencoded' },
    }) as unknown as IncomingMessage;
    const e = await toApiGatewayEvent(req, new URL('http://127.0.0.1:1/approvals/sweep-1?approver=a%40b.c&expires=1'));
    expect(e.httpMethod).toBe('POST');
    expect(e.pathParameters).toEqual({ sweepId: 'sweep-1' });
    expect(e.queryStringParameters).toEqual({ approver: 'a@b.c', expires: '1' });
    expect(formBody(e).get('a')).toBe('1');
  });
});

describe('scale to zero on the approval page', () => {
  const mixed: ApprovalRecord = {
    ...record,
    candidates: [
      candidate('222222222222', 'queue-worker', 400, { endpointType: 'async' }),
      candidate('222222222222', 'llm-host', 900, { endpointType: 'inference-components' }),
      candidate('222222222222', 'fraud-v1', 532.9),
    ],
  };
  const arn = (name: string) => mixed.candidates.find((c) => c.endpointName === name)!.endpointArn;

  it('offers scale to zero beside delete for asynchronous and inference-component endpoints, and says why not for a real-time one', () => {
    const { html } = renderApprovalPage(mixed, link);
    const offered = [...html.matchAll(/<input type="checkbox" id="ep-\d+-zero" name="scaleToZero" value="([^"]+)">/g)].map((m) => m[1]);
    expect(offered).toEqual([arn('queue-worker'), arn('llm-host')]);
    expect(html).toContain('No scale to zero: SageMaker keeps at least one instance per variant of a real-time endpoint');
  });

  it('confirms deletions and scale-to-zero choices apart, and posts both lists back', () => {
    const { html } = renderConfirmDeletion(mixed, link, [arn('queue-worker'), arn('fraud-v1')], [arn('queue-worker')]);
    expect(html).toContain('<h2>Delete</h2>');
    expect(html).toContain('<h2>Scale to zero</h2>');
    expect(html).toContain(`<input type="hidden" name="scaleToZero" value="${arn('queue-worker')}">`);
    expect(html).not.toContain(`<input type="hidden" name="scaleToZero" value="${arn('fraud-v1')}">`);
    expect(html).toMatch(/Yes, delete 1 endpoint and scale 1 endpoint to zero/);
  });

  it('lists endpoints approved for scale to zero apart from deletions once decided', () => {
    const decision: DecisionRecord = {
      version: 1,
      sweepId: 'sweep-1',
      approver: 'alice@example.com',
      decidedAt: '2026-03-02T00:00:00.000Z',
      action: 'approve',
      approved: [arn('queue-worker'), arn('fraud-v1')],
      rejected: [arn('llm-host')],
      scaleToZero: [arn('queue-worker')],
      status: 'delivered',
      source: 'approval-page',
    };
    const { html } = renderAlreadyDecided(mixed, decision, 200);
    const deletion = html.slice(html.indexOf('Approved for deletion'), html.indexOf('Approved for scale to zero'));
    expect(deletion).toContain('fraud-v1');
    expect(deletion).not.toContain('queue-worker');
    expect(html.slice(html.indexOf('Approved for scale to zero'))).toContain('queue-worker');
  });
});
