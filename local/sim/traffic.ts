import type { CallContext } from './protocol.ts';
import { SimError } from './protocol.ts';

/**
 * Realism and fault injection between the wire and the services: per-call latency, per
 * account-region throttling (token buckets), and injected faults or hooks that fire on chosen calls.
 */
export interface RateLimit {
  /** Sustained requests per second. */
  rate: number;
  /** Bucket size (requests allowed in a burst). */
  burst: number;
}

/**
 * Default limits, keyed `service` or `service:Operation` (most specific wins). They resemble published
 * AWS quotas in order of magnitude; throttling is off unless enabled, because most tests want speed.
 */
export const AWS_LIKE_RATE_LIMITS: Record<string, RateLimit> = {
  sagemaker: { rate: 20, burst: 40 },
  'sagemaker:ListEndpoints': { rate: 10, burst: 20 },
  'sagemaker:DescribeEndpoint': { rate: 20, burst: 40 },
  monitoring: { rate: 50, burst: 100 },
  'monitoring:GetMetricData': { rate: 50, burst: 50 },
  organizations: { rate: 10, burst: 20 },
  sts: { rate: 100, burst: 200 },
  s3: { rate: 3500, burst: 5500 },
  'application-autoscaling': { rate: 20, burst: 40 },
  sns: { rate: 100, burst: 200 },
  states: { rate: 100, burst: 200 },
  kms: { rate: 100, burst: 200 },
  ec2: { rate: 100, burst: 200 },
  // Resource Groups Tagging API: the endpoints-and-quotas page lists no request rate for GetResources
  // (https://docs.aws.amazon.com/general/latest/gr/arg.html), and users report ThrottledException on it at
  // scale; 5 per second is an assumption at the low end, so `--throttle` also exercises detection's
  // GetResources retries and its ListTags fallback (src/detection/tags.ts).
  tagging: { rate: 5, burst: 10 },
};

export interface ThrottlingOptions {
  enabled: boolean;
  limits?: Record<string, RateLimit>;
}

export interface FaultRule {
  service?: string;
  operation?: string;
  accountId?: string;
  region?: string;
  /** Extra predicate over the call (e.g. a specific endpoint name in the input is checked by the hook itself). */
  when?: (ctx: CallContext) => boolean;
  /** How many matching calls it applies to (default: every one). */
  times?: number;
  /** Answer with this error instead of calling the service. */
  error?: SimError | { code: string; message: string; status?: number };
  /** Answer with the service's own throttling error (each service names and shapes it differently). */
  throttle?: boolean;
  /** Run after the service answered successfully (a change that lands between two calls: an artifact overwritten right after its copy). */
  after?: (ctx: CallContext) => void | Promise<void>;
  /** Run before the service handles the call (mutate the world: invoke an endpoint, remove a tag...). */
  before?: (ctx: CallContext) => void | Promise<void>;
  /** Extra latency for matching calls. */
  delayMs?: number;
}

interface ActiveFault extends FaultRule {
  id: number;
  used: number;
}

class TokenBucket {
  private tokens: number;
  private updated = Date.now();
  constructor(private readonly limit: RateLimit) {
    this.tokens = limit.burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.updated) / 1000) * this.limit.rate);
    this.updated = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class Traffic {
  latencyMs = 0;
  throttling: ThrottlingOptions = { enabled: false };
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly faults: ActiveFault[] = [];
  private nextFaultId = 1;
  private readonly pendingAfter = new Map<string, ((ctx: CallContext) => void | Promise<void>)[]>();
  throttledCount = 0;

  inject(rule: FaultRule): number {
    const id = this.nextFaultId++;
    this.faults.push({ ...rule, id, used: 0 });
    return id;
  }

  remove(id: number): void {
    const index = this.faults.findIndex((f) => f.id === id);
    if (index >= 0) this.faults.splice(index, 1);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  setThrottling(options: ThrottlingOptions): void {
    this.throttling = options;
    this.buckets.clear();
  }

  /** True when the call must be answered with the service's throttling error. */
  isThrottled(ctx: CallContext, service: string): boolean {
    if (!this.throttling.enabled) return false;
    const limits = this.throttling.limits ?? AWS_LIKE_RATE_LIMITS;
    const opKey = `${service}:${ctx.operation}`;
    const limitKey = limits[opKey] ? opKey : limits[service] ? service : undefined;
    if (!limitKey) return false;
    const bucketKey = `${ctx.caller.accountId}|${ctx.caller.region}|${limitKey}`;
    let bucket = this.buckets.get(bucketKey);
    if (!bucket) {
      bucket = new TokenBucket(limits[limitKey]!);
      this.buckets.set(bucketKey, bucket);
    }
    const throttled = !bucket.take();
    if (throttled) this.throttledCount++;
    return throttled;
  }

  /** Runs the `after` hooks of the faults that matched this call, if the service answered it successfully. */
  async afterCall(ctx: CallContext, succeeded: boolean): Promise<void> {
    const hooks = this.pendingAfter.get(ctx.requestId);
    if (!hooks) return;
    this.pendingAfter.delete(ctx.requestId);
    if (succeeded) for (const hook of hooks) await hook(ctx);
  }

  /**
   * Applies matching faults in order; returns the error to answer with, if any. The `after` hooks of
   * the matching faults are kept for `afterCall`.
   */
  async applyFaults(ctx: CallContext, service: string, throttlingError?: () => SimError): Promise<SimError | undefined> {
    for (const fault of [...this.faults]) {
      if (fault.service !== undefined && fault.service !== service) continue;
      if (fault.operation !== undefined && fault.operation !== ctx.operation) continue;
      if (fault.accountId !== undefined && fault.accountId !== ctx.caller.accountId) continue;
      if (fault.region !== undefined && fault.region !== ctx.caller.region) continue;
      if (fault.when && !fault.when(ctx)) continue;
      if (fault.times !== undefined && fault.used >= fault.times) continue;
      fault.used++;
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.before) await fault.before(ctx);
      if (fault.after) this.pendingAfter.set(ctx.requestId, [...(this.pendingAfter.get(ctx.requestId) ?? []), fault.after]);
      if (fault.throttle && throttlingError) return throttlingError();
      if (fault.error) {
        const e = fault.error;
        return e instanceof SimError ? e : new SimError(e.code, e.message, e.status ?? 400);
      }
    }
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
