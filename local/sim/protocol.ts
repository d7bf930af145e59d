import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Caller, World } from './world.ts';

/** An AWS error as the service would answer it. `code` is the wire error code (the SDK's exception name). */
export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    /** Query protocol `<Type>`: Sender (client fault) or Receiver (service fault). */
    readonly fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
    /** Extra fields some services put in error bodies (S3's BucketName, Key...). */
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface SimRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** The whole body, read once and memoized. Do not mix with `stream`. */
  body(): Promise<Buffer>;
  /** The raw body stream, for services that must not buffer (S3 uploads of large parts). */
  stream: Readable;
  /** The request-target exactly as sent (`URL` removes dot segments, which S3 keys may contain). */
  rawUrl?: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string | number>;
  /** A Buffer/string, or a stream for large S3 downloads. */
  body?: Buffer | string | Readable;
}

export interface CallContext {
  world: World;
  caller: Caller;
  operation: string;
  requestId: string;
  /** The request itself, for fault rules that pick calls by their input (its body is read once and shared). */
  request?: SimRequest;
}

/** One simulated AWS service, selected by the SigV4 signing name of the request. */
export interface SimService {
  signingName: string;
  /** Operation name for the ledger, throttling and faults. Throws SimError for unknown operations. */
  operationOf(req: SimRequest): Promise<string>;
  handle(req: SimRequest, ctx: CallContext): Promise<SimResponse>;
  renderError(error: SimError, ctx: Pick<CallContext, 'requestId' | 'operation'>): SimResponse;
  /** The error this service answers throttled calls with (AWS differs per service). */
  throttlingError(): SimError;
}

export function newRequestId(): string {
  return randomUUID();
}

export type Operation = (input: Record<string, unknown>, ctx: CallContext) => unknown;

/**
 * AWS JSON 1.0 / 1.1 protocol: POST /, `X-Amz-Target: <prefix>.<Operation>`, JSON in and out.
 * `queryCompatible` services (CloudWatch) also send `x-amzn-query-error: Code;Fault` so the SDK
 * raises the same exception names as the older query protocol.
 */
export function jsonService(options: {
  signingName: string;
  targetPrefix: string;
  version: '1.0' | '1.1';
  operations: Record<string, Operation>;
  queryCompatible?: boolean;
  throttlingCode?: string;
  throttlingMessage?: string;
}): SimService {
  const contentType = `application/x-amz-json-${options.version}`;
  return {
    signingName: options.signingName,
    async operationOf(req) {
      const target = req.headers['x-amz-target'];
      if (typeof target !== 'string' || !target.startsWith(`${options.targetPrefix}.`)) {
        throw new SimError('UnknownOperationException', `missing or foreign X-Amz-Target for ${options.signingName}`);
      }
      const operation = target.slice(options.targetPrefix.length + 1);
      if (!Object.hasOwn(options.operations, operation))
        throw new SimError('UnknownOperationException', `Operation ${operation} is not supported by the simulator`);
      return operation;
    },
    async handle(req, ctx) {
      const raw = (await req.body()).toString('utf8');
      let input: Record<string, unknown>;
      try {
        input = raw.length === 0 ? {} : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        throw new SimError('SerializationException', 'Could not parse the request body as JSON');
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input))
        throw new SimError('SerializationException', 'Request body must be a JSON object');
      const output = await options.operations[ctx.operation]!(input, ctx);
      return {
        status: 200,
        headers: { 'content-type': contentType, 'x-amzn-requestid': ctx.requestId },
        body: JSON.stringify(output ?? {}, jsonReplacer),
      };
    },
    renderError(error, ctx) {
      const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-requestid': ctx.requestId, 'x-amzn-errortype': error.code };
      if (options.queryCompatible) headers['x-amzn-query-error'] = `${error.code};${error.fault}`;
      return { status: error.status, headers, body: JSON.stringify({ __type: error.code, message: error.message, ...error.extra }) };
    },
    throttlingError() {
      return new SimError(options.throttlingCode ?? 'ThrottlingException', options.throttlingMessage ?? 'Rate exceeded', 400);
    },
  };
}

/** JSON protocols send timestamps as epoch seconds. */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const holder = this as Record<string, unknown>;
  const original = holder[key];
  if (original instanceof Date) return original.getTime() / 1000;
  return value;
}

export type QueryOperation = (params: QueryParams, ctx: CallContext) => unknown;

/**
 * AWS Query protocol (STS, SNS): form-encoded POST with `Action`, XML out wrapped in
 * `<{Action}Response><{Action}Result>...</{Action}Result><ResponseMetadata>`.
 */
export function queryService(options: { signingName: string; xmlns: string; operations: Record<string, QueryOperation>; throttlingCode?: string }): SimService {
  return {
    signingName: options.signingName,
    async operationOf(req) {
      const params = await queryParams(req);
      const action = params.get('Action');
      if (!action) throw new SimError('MissingAction', 'The request must contain the parameter Action');
      if (!Object.hasOwn(options.operations, action)) throw new SimError('InvalidAction', `The action ${action} is not valid for this web service`);
      return action;
    },
    async handle(req, ctx) {
      const params = await queryParams(req);
      const result = await options.operations[ctx.operation]!(params, ctx);
      const inner = result === undefined || result === null ? '' : `<${ctx.operation}Result>${toXml(result)}</${ctx.operation}Result>`;
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<${ctx.operation}Response xmlns="${options.xmlns}">${inner}<ResponseMetadata><RequestId>${ctx.requestId}</RequestId></ResponseMetadata></${ctx.operation}Response>`;
      return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': ctx.requestId }, body };
    },
    renderError(error, ctx) {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${options.xmlns}"><Error><Type>${error.fault}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${ctx.requestId}</RequestId></ErrorResponse>`;
      return { status: error.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': ctx.requestId }, body };
    },
    throttlingError() {
      return new SimError(options.throttlingCode ?? 'Throttling', 'Rate exceeded', 400);
    },
  };
}

export class QueryParams {
  constructor(readonly raw: URLSearchParams) {}
  get(name: string): string | undefined {
    return this.raw.get(name) ?? undefined;
  }
  require(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '')
      throw new SimError(
        'ValidationError',
        `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`,
      );
    return value;
  }
  /** Values of a `Name.member.N` list (1-based, contiguous). */
  list(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; ; i++) {
      const value = this.raw.get(`${name}.member.${i}`);
      if (value === null) return out;
      out.push(value);
    }
  }
  /** All params under `prefix.` with the prefix removed. */
  under(prefix: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, value] of this.raw) if (key.startsWith(`${prefix}.`)) out.set(key.slice(prefix.length + 1), value);
    return out;
  }
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

const paramCache = new WeakMap<SimRequest, Promise<QueryParams>>();
export function queryParams(req: SimRequest): Promise<QueryParams> {
  let cached = paramCache.get(req);
  if (!cached) {
    cached = req.body().then((body) => {
      const params = new URLSearchParams(body.toString('utf8'));
      for (const [key, value] of req.url.searchParams) if (!params.has(key)) params.set(key, value);
      return new QueryParams(params);
    });
    paramCache.set(req, cached);
  }
  return cached;
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * Serializes a plain object to XML elements. Arrays become repeated `<member>` children (query protocol
 * lists) unless wrapped with `xmlList(items, 'entry')`. Dates become ISO-8601.
 */
export function toXml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof XmlList) return value.items.map((item) => `<${value.element}>${toXml(item)}</${value.element}>`).join('');
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([key, v]) => `<${key}>${toXml(v)}</${key}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export class XmlList {
  constructor(
    readonly items: unknown[],
    readonly element: string,
  ) {}
}
export const xmlList = (items: unknown[], element: string) => new XmlList(items, element);

/** Opaque, tamper-evident pagination tokens: base64url JSON. Bad tokens get the service's validation error. */
export function encodeToken(state: unknown): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

export function decodeToken<T>(token: unknown, errorCode = 'ValidationException'): T | undefined {
  if (token === undefined || token === null || token === '') return undefined;
  if (typeof token !== 'string') throw new SimError(errorCode, 'Invalid pagination token');
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    throw new SimError(errorCode, 'Invalid pagination token');
  }
}
