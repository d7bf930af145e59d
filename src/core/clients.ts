import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AdaptiveRetryStrategy, DefaultRateLimiter } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { isTransient } from './aws-errors.ts';
import { RetryableAwsError, TargetUnreachableError, errorName, errorMessage } from './errors.ts';
import type { ApiCallCounter } from './api-calls.ts';
import { systemClock, type Clock } from './clock.ts';
import { capabilityRoleName, type MemberCapability } from './capabilities.ts';

/** Where a client should act: an account and region, reached by assuming `roleName` (or with the base credentials when absent). */
export interface TargetRef {
  accountId: string;
  region: string;
  /** The configured member role name; with `capability`, the capability's role derived from it is assumed. */
  roleName?: string;
  externalId?: string;
  /** Which member capability role to assume (src/core/capabilities.ts). Absent: `roleName` itself. */
  capability?: MemberCapability;
  /** AssumeRole session tags; part of the credential cache key, so differently tagged sessions never share credentials. */
  sessionTags?: Record<string, string>;
}

/** The role a target is reached through: the capability's role when one is named. */
export function assumedRoleName(target: TargetRef): string | undefined {
  if (!target.roleName) return undefined;
  return target.capability ? capabilityRoleName(target.roleName, target.capability) : target.roleName;
}

export interface ClientFactoryOptions {
  /** Base credentials (the hub's Lambda role, or the CLI user's profile). Default: the SDK's default chain. */
  credentials?: AwsCredentialIdentityProvider;
  /** Region for hub-side clients and STS. */
  hubRegion: string;
  /** Session name recorded in CloudTrail of the member accounts. */
  sessionName: string;
  /** SDK attempts per call; throttling is retried with jittered backoff by the adaptive retry strategy. */
  maxAttempts?: number;
  /** Path-style S3 addressing, needed behind AWS_ENDPOINT_URL (the simulator and most S3-compatible endpoints). */
  s3ForcePathStyle?: boolean;
  /** Counts every call made by clients built here. */
  counter?: ApiCallCounter;
  /** AWS partition of role ARNs. */
  partition?: string;
  /** Endpoint for every client built here (tests and the local runner reach the simulator without touching process.env). */
  endpoint?: string;
  /**
   * Endpoints of single services by SDK service id (`SFN` for SFNClient), over `endpoint`: a local
   * sweep's Step Functions calls go to the runner that executes it, as AWS_ENDPOINT_URL_SFN would send them.
   */
  serviceEndpoints?: Readonly<Record<string, string>>;
  /** HTTP connections for every client built here. Default: the process-wide pool (sharedHttpHandler()). */
  httpHandler?: NodeHttpHandler;
  /**
   * Assumed-role credentials. Default: a cache of this factory's own. A Lambda passes one cache that
   * outlives its invocations, so a warm container assumes each member role once per sweep.
   */
  credentialCache?: CredentialCache;
  /** External id for member roles when a target names none (the hub's secret, src/core/external-id.ts). */
  defaultExternalId?: () => Promise<string>;
}

/**
 * At most this many sockets per process, across every client, account, region and service. Enough
 * for the scan's concurrency at 30-50 ms round trips; far under Lambda's 1,024 file descriptors.
 */
export const DEFAULT_MAX_SOCKETS = 128;

/** Assumed-role credentials are renewed this long before they expire, so no call carries expired ones. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * One HTTP handler shared by every client: SDK clients otherwise get a keep-alive agent each (up to
 * 50 sockets per host each), and a scan over thousands of account-regions ran out of file descriptors.
 * `destroy` is a no-op so that destroying one client never closes the connections of the others;
 * `closeAll` ends them (process exit, tests).
 */
export class SharedHttpHandler extends NodeHttpHandler {
  private readonly agents: { http: HttpAgent; https: HttpsAgent };

  constructor(maxSockets: number = DEFAULT_MAX_SOCKETS) {
    const agentOptions = { keepAlive: true, maxSockets, maxTotalSockets: maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
    const http = new HttpAgent(agentOptions);
    const https = new HttpsAgent(agentOptions);
    super({ httpAgent: http, httpsAgent: https, logger: quietAtCapacity });
    this.agents = { http, https };
  }

  override destroy(): void {}

  /** Sockets open now (in use and idle), for the benchmark and the tests. */
  openSockets(): number {
    const count = (group: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(group).reduce((sum, list) => sum + (list?.length ?? 0), 0);
    return [this.agents.http, this.agents.https].reduce((sum, agent) => sum + count(agent.sockets) + count(agent.freeSockets), 0);
  }

  closeAll(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/**
 * A full pool with requests waiting is this pool doing its job (the scan runs more calls at once than
 * it keeps sockets), not the misconfiguration the SDK warns about; every other warning goes through.
 */
const quietAtCapacity = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (...content: unknown[]) => {
    // eslint-disable-next-line no-console -- the SDK's own default logger for its other warnings
    if (!String(content[0]).includes('socket usage at capacity')) console.warn(...content);
  },
  // eslint-disable-next-line no-console -- as above
  error: (...content: unknown[]) => console.error(...content),
};

let processHandler: SharedHttpHandler | undefined;

/** The process-wide connection pool every ClientFactory uses unless given another. */
export function sharedHttpHandler(): SharedHttpHandler {
  processHandler ??= new SharedHttpHandler();
  return processHandler;
}

/**
 * Assumed-role credentials by (account, role, external id, session tags, session name): one AssumeRole per
 * account per sweep (the session name carries the sweep), refreshed five minutes before expiry.
 * Expired entries are dropped as new ones arrive, so a long-lived Lambda container does not grow.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Promise<AwsCredentialIdentity>>();
  private readonly expiries = new Map<string, number>();

  constructor(private readonly clock: Clock = systemClock) {}

  get(key: string, assume: () => Promise<AwsCredentialIdentity>, now: () => number = () => this.clock.now().getTime()): Promise<AwsCredentialIdentity> {
    const cached = this.entries.get(key);
    const expiry = this.expiries.get(key);
    if (cached && (expiry === undefined || expiry - now() >= REFRESH_MARGIN_MS)) return cached;
    this.prune(now());
    const pending = assume();
    this.entries.set(key, pending);
    this.expiries.delete(key);
    pending.then(
      (creds) => {
        if (this.entries.get(key) === pending && creds.expiration) this.expiries.set(key, creds.expiration.getTime());
      },
      () => {
        if (this.entries.get(key) === pending) this.entries.delete(key);
      },
    );
    return pending;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    for (const [key, expiry] of this.expiries) {
      if (expiry - now < REFRESH_MARGIN_MS) {
        this.entries.delete(key);
        this.expiries.delete(key);
      }
    }
  }
}

export function credentialKey(target: TargetRef, sessionName: string): string {
  const tags = Object.entries(target.sessionTags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([target.accountId, assumedRoleName(target) ?? '', target.externalId ?? '', tags, sessionName]);
}

// Any SDK v3 client constructor: config in, client with a middleware stack out.
type ClientCtor<C> = new (config: Record<string, unknown>) => C;
interface Stackful {
  middlewareStack: {
    add(mw: unknown, options: Record<string, unknown>): void;
  };
}

/**
 * Floor of the adaptive retry's client-side send rate (requests/s). The SDK's default floor is 0.5:
 * a fresh client throttled before it has measured its own traffic drops to one call every two seconds
 * and a throttled scan crawls. Five keeps the back-off adaptive but bounded below.
 */
const ADAPTIVE_MIN_FILL_RATE = 5;

/**
 * The one place SDK clients are built. Clients are cached per (client class, account, region, role)
 * until `release` drops a target's; assumed-role credentials per account (credentialKey), refreshed
 * before they expire. Every client sends through one shared, bounded connection pool.
 */
export class ClientFactory {
  private readonly clients = new Map<string, unknown>();
  private readonly credentials: CredentialCache;
  private sts?: STSClient;
  private ownAccount?: Promise<string>;

  constructor(private readonly options: ClientFactoryOptions) {
    this.credentials = options.credentialCache ?? new CredentialCache();
  }

  /** A client acting with the base credentials (the hub account, or the CLI user's own account). */
  hub<C>(ctor: ClientCtor<C>, region: string = this.options.hubRegion): C {
    return this.build(ctor, region, this.options.credentials, `hub:${region}`);
  }

  /** A client acting in the target account and region. Assumes the member role unless `roleName` is absent. */
  target<C>(ctor: ClientCtor<C>, target: TargetRef): C {
    if (!target.roleName) return this.hub(ctor, target.region);
    const provider: AwsCredentialIdentityProvider = () => this.credentialsFor(target);
    return this.build(ctor, target.region, provider, this.targetScope(target), target);
  }

  private targetScope(target: TargetRef): string {
    if (!target.roleName) return `hub:${target.region}`;
    return `${target.region}:${credentialKey(target, '')}`;
  }

  /**
   * Assumes the member role now, so an unreachable target is known before any work starts.
   * Throws TargetUnreachableError (AccessDenied, missing role, bad external id).
   */
  async assume(target: TargetRef): Promise<AwsCredentialIdentity> {
    return this.credentialsFor(target);
  }

  /**
   * Proves the target can be acted on before any work starts: assumes the member role, or, without a
   * role name, checks that the base credentials belong to the target account (so one account's
   * resources can never be reported or acted on under another account's id).
   * Throws TargetUnreachableError.
   */
  async verifyReachable(target: TargetRef): Promise<void> {
    if (target.roleName) {
      await this.credentialsFor(target);
      return;
    }
    this.ownAccount ??= this.hub(STSClient)
      .send(new GetCallerIdentityCommand({}))
      .then((identity) => identity.Account ?? '');
    let own: string;
    try {
      own = await this.ownAccount;
    } catch (error) {
      this.ownAccount = undefined;
      if (isTransient(error)) throw new RetryableAwsError(`cannot read the caller identity: ${errorName(error)}: ${errorMessage(error)}`, { cause: error });
      throw new TargetUnreachableError(`cannot read the caller identity: ${errorName(error)}: ${errorMessage(error)}`, target.accountId, target.region, {
        cause: error,
      });
    }
    if (own !== target.accountId) {
      throw new TargetUnreachableError(
        `no role name was given for account ${target.accountId}, and the credentials in use belong to account ${own || 'unknown'}: name the member role to reach another account`,
        target.accountId,
        target.region,
      );
    }
  }

  /**
   * Drops the target's clients (its credentials stay cached for the account's other regions). Their
   * connections belong to the shared pool, so nothing else needs closing.
   */
  release(target: TargetRef): void {
    const suffix = `:${this.targetScope(target)}`;
    for (const key of this.clients.keys()) if (key.endsWith(suffix)) this.clients.delete(key);
  }

  /** Clients held now (the benchmark and the tests check that releasing keeps this bounded). */
  get clientCount(): number {
    return this.clients.size;
  }

  roleArn(target: TargetRef): string {
    return `arn:${this.options.partition ?? 'aws'}:iam::${target.accountId}:role/${assumedRoleName(target)}`;
  }

  private credentialsFor(target: TargetRef): Promise<AwsCredentialIdentity> {
    return this.credentials.get(credentialKey(target, this.options.sessionName), () => this.assumeRole(target));
  }

  private async assumeRole(target: TargetRef): Promise<AwsCredentialIdentity> {
    this.sts ??= this.hub(STSClient);
    // Outside the try below: an unreadable secret is a deployment fault, not an unreachable target.
    const externalId = target.externalId ?? (await this.options.defaultExternalId?.());
    try {
      const result = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: this.roleArn(target),
          RoleSessionName: this.options.sessionName.slice(0, 64),
          ExternalId: externalId,
          DurationSeconds: 3600,
          ...(target.sessionTags ? { Tags: Object.entries(target.sessionTags).map(([Key, Value]) => ({ Key, Value })) } : {}),
        }),
      );
      const creds = result.Credentials;
      if (!creds?.AccessKeyId || !creds.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
      return {
        accessKeyId: creds.AccessKeyId,
        secretAccessKey: creds.SecretAccessKey,
        sessionToken: creds.SessionToken,
        expiration: creds.Expiration,
      };
    } catch (error) {
      // Throttling or a 5xx from STS says nothing about the target: retry the step rather than drop the account from the sweep.
      if (isTransient(error))
        throw new RetryableAwsError(`cannot assume ${this.roleArn(target)} now: ${errorName(error)}: ${errorMessage(error)}`, { cause: error });
      throw new TargetUnreachableError(`cannot assume ${this.roleArn(target)}: ${errorName(error)}: ${errorMessage(error)}`, target.accountId, target.region, {
        cause: error,
      });
    }
  }

  private build<C>(ctor: ClientCtor<C>, region: string, credentials: AwsCredentialIdentityProvider | undefined, scope: string, target?: TargetRef): C {
    const key = `${ctor.name}:${scope}`;
    const existing = this.clients.get(key);
    if (existing) return existing as C;
    const maxAttempts = this.options.maxAttempts ?? 8;
    const config: Record<string, unknown> = {
      region,
      maxAttempts,
      // One strategy per client: the adaptive rate limiter then tracks one account-region-service.
      // Pass a number: with options, the strategy ignores a provider function and uses 3 attempts.
      retryStrategy: new AdaptiveRetryStrategy(maxAttempts, {
        rateLimiter: new DefaultRateLimiter({ minFillRate: ADAPTIVE_MIN_FILL_RATE }),
      }),
    };
    config.requestHandler = this.options.httpHandler ?? sharedHttpHandler();
    if (credentials) config.credentials = credentials;
    const endpoint = this.options.serviceEndpoints?.[ctor.name.replace(/Client$/, '')] ?? this.options.endpoint;
    if (endpoint) config.endpoint = endpoint;
    if (this.options.s3ForcePathStyle && ctor.name === 'S3Client') config.forcePathStyle = true;
    const client = new ctor(config);
    this.instrument(client as unknown as Stackful, target);
    this.clients.set(key, client);
    return client;
  }

  private instrument(client: Stackful, target: TargetRef | undefined): void {
    const counter = this.options.counter;
    if (!counter) return;
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => async (args: unknown) => {
        const call = { input: (args as { input?: unknown }).input, ...(target ? { target } : {}) };
        counter.record((context.clientName ?? 'Unknown').replace(/Client$/, ''), (context.commandName ?? 'Unknown').replace(/Command$/, ''), call);
        return next(args);
      },
      { step: 'initialize', name: 'zombieSweepCallCounter', override: true },
    );
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        counter.recordAttempt();
        return next(args);
      },
      { step: 'deserialize', name: 'zombieSweepAttemptCounter', override: true },
    );
  }
}
