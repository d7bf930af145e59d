import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * HTTP plumbing of the approval pages: header access, form bodies, the cross-site checks, and an
 * adapter that serves the same API Gateway proxy handler from a plain Node HTTP server (the local
 * runner and the simulator's web routes), so one handler runs behind both.
 */

export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted && value !== undefined) return value;
  return undefined;
}

export function formBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): URLSearchParams {
  const raw = event.body ?? '';
  return new URLSearchParams(event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw);
}

/**
 * Defense in depth against cross-site form posts. The real protection is that a POST must carry the
 * approver's signed link fields and there are no cookies, so a forged page cannot ride on anyone's
 * session. Browsers also say where a request comes from: Sec-Fetch-Site must be same-origin (or none,
 * a user-initiated navigation) and Origin, when sent, must be this host. Absent headers (old browsers,
 * curl) are allowed: the signature still applies.
 */
export function crossSiteReason(event: Pick<APIGatewayProxyEvent, 'headers'>): string | undefined {
  const site = header(event, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  const origin = header(event, 'origin');
  if (origin === undefined) return undefined;
  if (origin === 'null') return site === 'same-origin' ? undefined : 'Origin is null';
  const host = header(event, 'x-forwarded-host') ?? header(event, 'host');
  if (host === undefined) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return 'Origin is not a URL';
  }
  return originHost.toLowerCase() === host.toLowerCase() ? undefined : `Origin ${origin} is not this site`;
}

const MAX_BODY_BYTES = 1_000_000;

/** A Node request as the API Gateway REST proxy event (version 1.0) the handler expects. */
export async function toApiGatewayEvent(req: IncomingMessage, url: URL): Promise<APIGatewayProxyEvent> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[key] = values.join(', ');
    multiValueHeaders[key] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = value;
    multiQuery[key] = [...(multiQuery[key] ?? []), value];
  }
  const match = /^\/approvals\/([^/]+)\/?$/.exec(url.pathname);
  const body = Buffer.concat(chunks);
  return {
    resource: match ? '/approvals/{sweepId}' : url.pathname,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: url.searchParams.size > 0 ? query : null,
    multiValueQueryStringParameters: url.searchParams.size > 0 ? multiQuery : null,
    pathParameters: match ? { sweepId: decodeURIComponent(match[1]!) } : null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

export function sendApiGatewayResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}) };
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  headers['content-length'] = body.length;
  res.writeHead(result.statusCode, headers as Record<string, string | number>);
  res.end(body);
}

/**
 * A route for a Node HTTP server (signature-compatible with the simulator's WebRoute): serves
 * `/approvals/...` through the API Gateway handler and declines everything else.
 */
export function approvalWebRoute(handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (!url.pathname.startsWith('/approvals/')) return false;
    let event: APIGatewayProxyEvent;
    try {
      event = await toApiGatewayEvent(req, url);
    } catch {
      res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Request body too large\n');
      return true;
    }
    sendApiGatewayResult(res, await handler(event));
    return true;
  };
}
