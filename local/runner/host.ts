import consumers from 'node:stream/consumers';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { approvalWebRoute } from '../../src/cleanup/approval/http.ts';
import { signingScope } from '../sim/auth.ts';
import { SimError, newRequestId, type CallContext, type SimRequest, type SimService } from '../sim/protocol.ts';
import type { Simulator } from '../sim/server.ts';
import { World } from '../sim/world.ts';
import { LocalStepFunctions } from './engine.ts';
import { stepFunctionsService } from './sfn-service.ts';

export type ApprovalHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * Where a local sweep is reachable from outside the process: the Step Functions API (so the approval
 * page's SendTaskSuccess and `zombie-sweep status` work unchanged) and the approval pages, both on
 * loopback HTTP. Either inside a running simulator, or on a small server of its own (`start --local`
 * against real AWS, or against a simulator in another process).
 */
export interface LocalHost {
  readonly engine: LocalStepFunctions;
  /** Base URL of the Step Functions API and of the approval pages (`<url>/approvals/<sweepId>?...`). */
  readonly url: string;
  /** The approval pages' handler; the most recent registration serves every request. */
  serveApprovals(handler: ApprovalHandler): void;
  stop(): Promise<void>;
}

const hosts = new WeakMap<Simulator, LocalHost>();

/** Serves the runner through a simulator (one host per simulator, shared by every sweep it runs). */
export function attachToSimulator(sim: Simulator): LocalHost {
  const existing = hosts.get(sim);
  if (existing) return existing;
  const engine = new LocalStepFunctions({ region: sim.world.homeRegion, accountId: sim.world.managementAccountId });
  let approvals: ApprovalHandler | undefined;
  sim.addService(stepFunctionsService(engine));
  sim.addWebRoute((req, res, url) => (approvals ? approvalWebRoute(approvals)(req, res, url) : Promise.resolve(false)));
  const host: LocalHost = {
    engine,
    url: sim.url,
    serveApprovals: (handler) => {
      approvals = handler;
    },
    stop: async () => undefined,
  };
  hosts.set(sim, host);
  return host;
}

/** A loopback server of the runner's own: signed `states` requests to the API, `/approvals/...` to the pages. */
export async function startLocalHost(options: { region: string; accountId: string; port?: number }): Promise<LocalHost> {
  const engine = new LocalStepFunctions({ region: options.region, accountId: options.accountId });
  const service = stepFunctionsService(engine);
  const world = new World('o-localrunner', options.accountId, 'r-local', options.region);
  let approvals: ApprovalHandler | undefined;
  const server: Server = createServer((req, res) => {
    void dispatch(req, res).catch((error: unknown) => {
      process.stderr.write(`local runner: ${String((error as Error)?.stack ?? error)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    });
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const scope = signingScope(req.headers, url);
    if (!scope) {
      if (approvals && (await approvalWebRoute(approvals)(req, res, url))) return;
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found. This is the zombie-sweep local runner: the Step Functions API and /approvals/<sweep>.\n');
      return;
    }
    await answer(service, req, res, url);
  }

  async function answer(svc: SimService, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = newRequestId();
    let body: Promise<Buffer> | undefined;
    const simReq: SimRequest = { method: req.method ?? 'GET', url, headers: req.headers, stream: req, body: () => (body ??= consumers.buffer(req)) };
    let response;
    let operation = 'Unknown';
    try {
      if (signingScope(req.headers, url)?.service !== 'states')
        throw new SimError('UnknownServiceException', 'The local runner serves only the Step Functions API');
      operation = await svc.operationOf(simReq);
      const ctx: CallContext = {
        world,
        caller: {
          accessKeyId: 'local',
          accountId: options.accountId,
          principalArn: `arn:aws:iam::${options.accountId}:user/local`,
          region: options.region,
          service: 'states',
        },
        operation,
        requestId,
      };
      response = await svc.handle(simReq, ctx);
    } catch (error) {
      const simError = error instanceof SimError ? error : new SimError('InternalFailure', (error as Error)?.message ?? 'internal error', 500);
      response = svc.renderError(simError, { requestId, operation });
    }
    if (!req.readableEnded && !body) req.resume();
    const payload = typeof response.body === 'string' || Buffer.isBuffer(response.body) ? response.body : '';
    res.writeHead(response.status, { ...(response.headers ?? {}), 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    engine,
    url,
    serveApprovals: (handler) => {
      approvals = handler;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
