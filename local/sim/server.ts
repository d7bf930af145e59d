import consumers from 'node:stream/consumers';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { signingScope, resolveCaller, ExpiredTokenError, type SigningScope } from './auth.ts';
import { Ledger } from './ledger.ts';
import { SimError, newRequestId, type CallContext, type SimRequest, type SimResponse, type SimService } from './protocol.ts';
import { Traffic, sleep, type ThrottlingOptions } from './traffic.ts';
import { World } from './world.ts';
import { allServices } from './services/index.ts';
import { simWebRoutes } from './web.ts';

/** An HTTP route for unsigned requests (approval pages, the SNS outbox, the index page). Returns false if not handled. */
export type WebRoute = (req: IncomingMessage, res: ServerResponse, url: URL, sim: Simulator) => Promise<boolean>;

export interface SimulatorOptions {
  world: World;
  port?: number;
  host?: string;
  latencyMs?: number;
  throttling?: ThrottlingOptions;
  /** Extra services (e.g. Step Functions backed by the local runner) beyond the built-in ones. */
  services?: SimService[];
  webRoutes?: WebRoute[];
}

/** Credentials of the management account's administrator, as printed by `npm run sim`. */
export const SIM_ADMIN_CREDENTIALS = {
  accessKeyId: 'AKIASIMADMIN00000000',
  secretAccessKey: 'sim-admin-secret-key-not-a-real-secret',
} as const;

export interface Simulator {
  readonly url: string;
  readonly port: number;
  readonly world: World;
  readonly ledger: Ledger;
  readonly traffic: Traffic;
  /** Environment that points SDK clients, the CLI and handlers at this simulator as the management account. */
  env(): Record<string, string>;
  /** SDK client config for tests: endpoint, region, management-account credentials, path-style S3. */
  clientConfig(region?: string): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string }; forcePathStyle: boolean };
  addService(service: SimService): void;
  /**
   * Answers a signed API request without HTTP (local/sim/in-process.ts): the same services, ledger,
   * latency, throttling and faults as a request on the socket. Undefined when it is not signed.
   */
  answer(request: SimRequest): Promise<SimResponse> | undefined;
  addWebRoute(route: WebRoute): void;
  /** SigV4 signing names of the services answering (for the index page and `npm run sim`). */
  serviceNames(): string[];
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const world = options.world;
  const ledger = new Ledger();
  const traffic = new Traffic();
  traffic.latencyMs = options.latencyMs ?? 0;
  if (options.throttling) traffic.setThrottling(options.throttling);
  const services = new Map<string, SimService>();
  for (const service of [...allServices(), ...(options.services ?? [])]) services.set(service.signingName, service);
  // Caller routes first, so they can override the simulator's own pages (local/sim/web.ts).
  const webRoutes: WebRoute[] = [...(options.webRoutes ?? []), ...simWebRoutes()];

  // eslint-disable-next-line prefer-const
  let sim: Simulator;
  const server: Server = createServer((req, res) => {
    void dispatch(req, res).catch((error: unknown) => {
      process.stderr.write(`simulator: unhandled ${String((error as Error)?.stack ?? error)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal simulator error');
    });
  });
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 0;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const scope = signingScope(req.headers, url);
    if (!scope) {
      for (const route of webRoutes) if (await route(req, res, url, sim)) return;
      req.resume();
      const unsigned = unsignedApiError(req, url);
      if (unsigned) {
        res.writeHead(unsigned.status, { 'content-type': unsigned.contentType });
        res.end(unsigned.body);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found. Signed AWS API requests are served here; see docs/simulator.md.\n');
      return;
    }
    let bodyPromise: Promise<Buffer> | undefined;
    const simReq: SimRequest = {
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      stream: req,
      rawUrl: req.url,
      body: () => (bodyPromise ??= consumers.buffer(req)),
    };
    const response = await answerSigned(scope, simReq, (error) => clientHungUp(req, error));
    // An error answered before the body was read: drain it so the connection stays usable.
    if (!req.readableEnded && !bodyPromise) req.resume();
    await send(res, response);
  }

  /** A signed API request, whichever way it arrived (HTTP, or in-process: local/sim/in-process.ts). */
  async function answerSigned(scope: SigningScope, simReq: SimRequest, hungUp: (error: unknown) => boolean = () => false): Promise<SimResponse> {
    const service = services.get(scope.service);
    const requestId = newRequestId();
    if (!service) {
      return {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ __type: 'UnknownServiceException', message: `The simulator does not serve ${scope.service}` }),
      };
    }
    let operation = 'Unknown';
    let accountId = 'unknown';
    let response: SimResponse;
    let errorCode: string | undefined;
    let callCtx: CallContext | undefined;
    try {
      const caller = resolveCaller(world, scope);
      accountId = caller.accountId;
      operation = await service.operationOf(simReq);
      const ctx: CallContext = { world, caller, operation, requestId, request: simReq };
      if (traffic.latencyMs > 0) await sleep(traffic.latencyMs);
      callCtx = ctx;
      const fault = await traffic.applyFaults(ctx, service.signingName, () => service.throttlingError());
      if (fault) throw fault;
      if (traffic.isThrottled(ctx, service.signingName)) throw service.throttlingError();
      response = await service.handle(simReq, ctx);
    } catch (error) {
      const simError =
        error instanceof SimError
          ? error
          : error instanceof ExpiredTokenError
            ? new SimError('ExpiredTokenException', error.message, 400)
            : hungUp(error)
              ? new SimError('RequestAborted', 'The client closed the connection before the request was complete', 400)
              : internalError(error);
      errorCode = simError.code;
      response = service.renderError(simError, { requestId, operation });
    }
    ledger.record({ service: service.signingName, operation, accountId, region: scope.region, status: response.status, errorCode, at: Date.now() });
    if (callCtx) await traffic.afterCall(callCtx, response.status < 300);
    return response;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${address.port}`;

  sim = {
    url,
    port: address.port,
    world,
    ledger,
    traffic,
    env: () => ({
      AWS_ENDPOINT_URL: url,
      AWS_REGION: world.homeRegion,
      AWS_DEFAULT_REGION: world.homeRegion,
      AWS_ACCESS_KEY_ID: SIM_ADMIN_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_ADMIN_CREDENTIALS.secretAccessKey,
    }),
    clientConfig: (region = world.homeRegion) => ({
      endpoint: url,
      region,
      credentials: { ...SIM_ADMIN_CREDENTIALS },
      forcePathStyle: true,
    }),
    addService: (service) => services.set(service.signingName, service),
    answer: (request) => {
      const scope = signingScope(request.headers, request.url);
      return scope ? answerSigned(scope, request) : undefined;
    },
    addWebRoute: (route) => webRoutes.push(route),
    serviceNames: () => [...services.keys()],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return sim;
}

/**
 * An API call that is not (properly) signed gets the error AWS gives before it knows the service:
 * MissingAuthenticationToken, or IncompleteSignature when an Authorization header lacks its Credential.
 * JSON protocols (X-Amz-Target) get a JSON body, query protocols (form POST to /) an XML one.
 */
function unsignedApiError(req: IncomingMessage, url: URL): { status: number; contentType: string; body: string } | undefined {
  const isJson = typeof req.headers['x-amz-target'] === 'string';
  const isQuery =
    url.pathname === '/' && (url.searchParams.has('Action') || String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'));
  if (!isJson && !isQuery) return undefined;
  const incomplete = typeof req.headers.authorization === 'string';
  const message = incomplete
    ? "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter."
    : 'Missing Authentication Token';
  if (isJson) {
    const code = incomplete ? 'IncompleteSignatureException' : 'MissingAuthenticationTokenException';
    return { status: 403, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: code, message }) };
  }
  const code = incomplete ? 'IncompleteSignature' : 'MissingAuthenticationToken';
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message.replace(/'/g, '&apos;')}</Message></Error><RequestId>${newRequestId()}</RequestId></ErrorResponse>`;
  return { status: 403, contentType: 'text/xml', body };
}

/** Reading the body of a request whose client went away fails with `aborted`/ECONNRESET: not a simulator fault. */
function clientHungUp(req: IncomingMessage, error: unknown): boolean {
  const e = error as NodeJS.ErrnoException | undefined;
  return (req.destroyed || req.socket.destroyed) && (e?.code === 'ECONNRESET' || e?.message === 'aborted');
}

function internalError(error: unknown): SimError {
  process.stderr.write(`simulator: internal error: ${String((error as Error)?.stack ?? error)}\n`);
  return new SimError('InternalFailure', 'The simulator failed to process the request', 500);
}

async function send(res: ServerResponse, response: SimResponse): Promise<void> {
  const headers: Record<string, string | number> = { ...(response.headers ?? {}) };
  const body = response.body;
  if (body instanceof Readable) {
    res.writeHead(response.status, headers);
    await new Promise<void>((resolve) => {
      body.on('error', () => res.destroy());
      res.on('close', () => resolve());
      body.pipe(res);
    });
    return;
  }
  const buffer = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  if (headers['content-length'] === undefined) headers['content-length'] = buffer.length;
  res.writeHead(response.status, headers);
  res.end(buffer);
}
