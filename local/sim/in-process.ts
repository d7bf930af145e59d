import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import consumers from 'node:stream/consumers';
import { buildQueryString, HttpResponse } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions, HttpRequest } from '@smithy/types';
import type { SimRequest } from './protocol.ts';
import type { Simulator } from './server.ts';

/**
 * An SDK request handler that hands each signed request straight to a simulator in the same
 * process instead of sending it over a loopback socket. Everything the simulator does per call
 * (ledger, latency, throttling, faults, the services) is the same; what is saved is the HTTP
 * framing on both sides, which dominated the CPU of large local sweeps (test/workflow/
 * organization-scale.test.ts). Requests are signed and serialized by the SDK exactly as on the wire.
 * It extends NodeHttpHandler only so that ClientFactoryOptions.httpHandler accepts it.
 */
export class InProcessSimHandler extends NodeHttpHandler {
  constructor(private readonly sim: Simulator) {
    super();
  }

  override async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    if (options.abortSignal?.aborted) throw abortError();
    const query = request.query ? buildQueryString(request.query) : '';
    const rawUrl = `${request.path}${query ? `?${query}` : ''}`;
    const headers = lowerCased(request.headers);
    headers.host ??= request.hostname;
    const stream = bodyStream(request.body);
    let body: Promise<Buffer> | undefined;
    const simReq: SimRequest = {
      method: request.method,
      url: new URL(rawUrl, `http://${headers.host}`),
      headers,
      stream,
      rawUrl,
      body: () => (body ??= consumers.buffer(stream)),
    };
    const answering = this.sim.answer(simReq);
    if (!answering) throw new Error(`in-process simulator: ${request.method} ${rawUrl} is not a signed API request`);
    const answer = await answering;
    if (!body && !stream.readableEnded) stream.resume();
    const responseHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers ?? {})) responseHeaders[name.toLowerCase()] = String(value);
    const payload =
      answer.body instanceof Readable
        ? answer.body
        : Readable.from(answer.body === undefined ? [] : [Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body, 'utf8')]);
    return { response: new HttpResponse({ statusCode: answer.status, headers: responseHeaders, body: payload }) };
  }

  override destroy(): void {}
}

function lowerCased(headers: Record<string, string>): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function bodyStream(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body === undefined || body === null) return Readable.from([]);
  if (typeof body === 'string') return Readable.from([Buffer.from(body, 'utf8')]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  throw new Error(`in-process simulator: unsupported request body ${Object.prototype.toString.call(body)}`);
}

function abortError(): Error {
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  return error;
}
