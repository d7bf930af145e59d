import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AdaptiveRetryStrategy, DefaultRateLimiter } from '@smithy/core/retry';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { isTransient } from './aws-errors.ts';
import { RetryableAwsError, TargetUnreachableError, errorName, errorMessage } from './errors.ts';
import type { ApiCallCounter } from './api-calls.ts';

/** Where a client should act: an account and region, reached by assuming `roleName` (or with the base credentials when absent). */
export interface TargetRef {
  accountId: string;
  region: string;
  roleName?: string;
  externalId?: string;
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
  /** External id for member roles when a target names none (the hub's secret, src/core/external-id.ts). */
  defaultExternalId?: () => Promise<string>;
}

// Any SDK v3 client constructor: config in, client with a middleware stack out.
type ClientCtor<C> = new (config: Record<string, unknown>) => C;
interface Stackful {
  middlewareStack: {
    add(mw: unknown, options: Record<string, unknown>): void;
  };
}

const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Floor of the adaptive retry's client-side send rate (requests/s). The SDK's default floor is 0.5:
 * a fresh client throttled before it has measured its own traffic drops to one call every two seconds
 * and a throttled scan crawls. Five keeps the back-off adaptive but bounded below.
 */
const ADAPTIVE_MIN_FILL_RATE = 5;

/**
 * The one place SDK clients are built. Clients are cached per (client class, account, region, role),
 * and assumed-role credentials per (account, role, external id), refreshed before they expire.
 */
export class ClientFactory {
  private readonly clients = new Map<string, unknown>();
  private readonly assumed = new Map<string, Promise<AwsCredentialIdentity>>();
  private sts?: STSClient;
  private ownAccount?: Promise<string>;

  constructor(private readonly options: ClientFactoryOptions) {}

  /** A client acting with the base credentials (the hub account, or the CLI user's own account). */
  hub<C>(ctor: ClientCtor<C>, region: string = this.options.hubRegion): C {
    return this.build(ctor, region, this.options.credentials, `hub:${region}`);
  }

  /** A client acting in the target account and region. Assumes the member role unless `roleName` is absent. */
  target<C>(ctor: ClientCtor<C>, target: TargetRef): C {
    if (!target.roleName) return this.hub(ctor, target.region);
    const provider: AwsCredentialIdentityProvider = () => this.credentialsFor(target);
    return this.build(ctor, target.region, provider, `${target.accountId}:${target.region}:${target.roleName}`);
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
    this.ownAccount ??= this.hub(STSClient).send(new GetCallerIdentityCommand({})).then((identity) => identity.Account ?? '');
    let own: string;
    try {
      own = await this.ownAccount;
    } catch (error) {
      this.ownAccount = undefined;
      if (isTransient(error)) throw new RetryableAwsError(`cannot read the caller identity: ${errorName(error)}: ${errorMessage(error)}`, { cause: error });
      throw new TargetUnreachableError(`cannot read the caller identity: ${errorName(error)}: ${errorMessage(error)}`, target.accountId, target.region, { cause: error });
    }
    if (own !== target.accountId) {
      throw new TargetUnreachableError(
        `no role name was given for account ${target.accountId}, and the credentials in use belong to account ${own || 'unknown'}: name the member role to reach another account`,
        target.accountId,
        target.region,
      );
    }
  }

  roleArn(target: TargetRef): string {
    return `arn:${this.options.partition ?? 'aws'}:iam::${target.accountId}:role/${target.roleName}`;
  }

  private credentialsFor(target: TargetRef): Promise<AwsCredentialIdentity> {
    const key = `${target.accountId}:${target.roleName}:${target.externalId ?? ''}`;
    const cached = this.assumed.get(key);
    if (cached) {
      return cached.then((creds) => {
        if (creds.expiration && creds.expiration.getTime() - Date.now() < REFRESH_MARGIN_MS) {
          this.assumed.delete(key);
          return this.credentialsFor(target);
        }
        return creds;
      });
    }
    const pending = this.assumeRole(target);
    this.assumed.set(key, pending);
    pending.catch(() => this.assumed.delete(key));
    return pending;
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
      if (isTransient(error)) throw new RetryableAwsError(`cannot assume ${this.roleArn(target)} now: ${errorName(error)}: ${errorMessage(error)}`, { cause: error });
      throw new TargetUnreachableError(
        `cannot assume ${this.roleArn(target)}: ${errorName(error)}: ${errorMessage(error)}`,
        target.accountId,
        target.region,
        { cause: error },
      );
    }
  }

  private build<C>(ctor: ClientCtor<C>, region: string, credentials: AwsCredentialIdentityProvider | undefined, scope: string): C {
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
    if (credentials) config.credentials = credentials;
    if (this.options.endpoint) config.endpoint = this.options.endpoint;
    if (this.options.s3ForcePathStyle && ctor.name === 'S3Client') config.forcePathStyle = true;
    const client = new ctor(config);
    this.instrument(client as unknown as Stackful);
    this.clients.set(key, client);
    return client;
  }

  private instrument(client: Stackful): void {
    const counter = this.options.counter;
    if (!counter) return;
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => async (args: unknown) => {
        counter.record((context.clientName ?? 'Unknown').replace(/Client$/, ''), (context.commandName ?? 'Unknown').replace(/Command$/, ''));
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
