/**
 * Step Functions and Lambda quotas the local runner enforces, with the error AWS fails the execution
 * with, so a local sweep hits the same walls a deployed one would. Sources:
 * - Step Functions service quotas (payload 256 KiB, history 25,000 events, Express 5 minutes,
 *   Distributed Map 10,000 parallel children, inline Map 40 concurrent iterations):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * - States.DataLimitExceeded is terminal: States.ALL does not catch it:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * - Lambda invocation payload: 6 MB synchronous request and response, 256 KiB asynchronous:
 *   https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
import { StateError } from './task-tokens.ts';

export interface Quotas {
  /** State input/output, Task result, child execution input, SendTaskSuccess output (262,144 bytes UTF-8). */
  payloadBytes: number;
  /** Events in one Standard execution's history; event number 25,000 is ExecutionFailed. */
  historyEvents: number;
  /** Maximum duration of an Express execution (Distributed Map EXPRESS children). */
  expressDurationMs: number;
  /** Lambda RequestResponse invocation: request and response each (6 MB = 6,291,456 bytes; Lambda's own message says 6,291,556). */
  lambdaSyncPayloadBytes: number;
  /** Lambda Event (asynchronous) invocation request. The sweep never invokes asynchronously; kept for completeness. */
  lambdaAsyncPayloadBytes: number;
  /** Parallel child executions of one Distributed Map run. */
  distributedMapConcurrency: number;
  /** Concurrent iterations of an inline Map (MaxConcurrency 0 means "as many as possible", which is 40). */
  inlineMapConcurrency: number;
  /** ItemBatcher MaxInputBytesPerBatch ceiling. */
  batchInputBytes: number;
}

export const AWS_QUOTAS: Readonly<Quotas> = {
  payloadBytes: 262_144,
  historyEvents: 25_000,
  expressDurationMs: 300_000,
  lambdaSyncPayloadBytes: 6_291_556,
  lambdaAsyncPayloadBytes: 262_144,
  distributedMapConcurrency: 10_000,
  inlineMapConcurrency: 40,
  batchInputBytes: 262_144,
};

export function resolveQuotas(overrides: Partial<Quotas> | undefined): Quotas {
  return { ...AWS_QUOTAS, ...overrides };
}

/** UTF-8 size of a value as Step Functions measures it: its JSON text. */
export function payloadBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

export function dataLimitExceeded(what: string, bytes: number, quotas: Quotas): StateError {
  return new StateError('States.DataLimitExceeded', `${what} has ${bytes} bytes, over the Step Functions payload quota of ${quotas.payloadBytes} bytes`);
}

export function historyLimitReached(quotas: Quotas): StateError {
  // The message AWS puts in ExecutionFailed (error States.Runtime) when the history is full.
  return new StateError('States.Runtime', `The execution reached the maximum number of history events (${quotas.historyEvents}).`);
}

export function expressTimedOut(quotas: Quotas): StateError {
  return new StateError('States.Timeout', `The Express execution exceeded its maximum duration of ${quotas.expressDurationMs / 1000} seconds.`);
}

/**
 * What one execution (with all its Distributed Map children) used, in the units AWS bills and
 * limits: Standard state transitions (every state entered, every retry), Express requests and
 * GB-seconds, Lambda requests and GB-seconds, the largest payload and the longest history.
 */
export interface ExecutionUsage {
  transitions: number;
  standardExecutions: number;
  expressRequests: number;
  /** Express duration rounded up to 100 ms, times 64 MB (the smallest billed memory chunk). */
  expressGbSeconds: number;
  lambdaRequests: number;
  /** Duration rounded up to 1 ms, times the function's memory. */
  lambdaGbSeconds: number;
  lambdaGbSecondsByFunction: Record<string, number>;
  maxPayloadBytes: number;
  /** Where the largest payload was seen (state name and what). */
  maxPayloadAt: string;
  /** The longest history among the execution and its Standard children, in AWS's event count. */
  maxHistoryEvents: number;
}

export function emptyUsage(): ExecutionUsage {
  return {
    transitions: 0,
    standardExecutions: 1,
    expressRequests: 0,
    expressGbSeconds: 0,
    lambdaRequests: 0,
    lambdaGbSeconds: 0,
    lambdaGbSecondsByFunction: {},
    maxPayloadBytes: 0,
    maxPayloadAt: '',
    maxHistoryEvents: 0,
  };
}

/** Meters one execution tree and checks payloads against the quota. */
export class UsageMeter {
  readonly usage: ExecutionUsage = emptyUsage();

  constructor(readonly quotas: Quotas) {}

  /** Records a payload's size; returns the error AWS would fail with when it is over the quota. */
  payload(value: unknown, where: string): StateError | undefined {
    const bytes = payloadBytes(value);
    if (bytes > this.usage.maxPayloadBytes) {
      this.usage.maxPayloadBytes = bytes;
      this.usage.maxPayloadAt = where;
    }
    return bytes > this.quotas.payloadBytes ? dataLimitExceeded(where, bytes, this.quotas) : undefined;
  }

  lambda(functionName: string, durationMs: number, memoryMb: number): void {
    const gbSeconds = (Math.max(1, Math.ceil(durationMs)) / 1000) * (memoryMb / 1024);
    this.usage.lambdaRequests++;
    this.usage.lambdaGbSeconds += gbSeconds;
    this.usage.lambdaGbSecondsByFunction[functionName] = (this.usage.lambdaGbSecondsByFunction[functionName] ?? 0) + gbSeconds;
  }

  express(durationMs: number): void {
    this.usage.expressRequests++;
    this.usage.expressGbSeconds += (Math.ceil(Math.max(1, durationMs) / 100) / 10) * (64 / 1024);
  }

  history(events: number): void {
    if (events > this.usage.maxHistoryEvents) this.usage.maxHistoryEvents = events;
  }
}
