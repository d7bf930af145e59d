import { randomBytes } from 'node:crypto';
import type { Json } from './templates.ts';

/** An error the way a state sees it: `name` is what Retry/Catch match, `message` becomes the Cause. */
export class StateError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** Why SendTask* was refused, named as the Step Functions API names it (the SFN service maps these to errors). */
export class TaskTokenError extends Error {
  constructor(
    readonly code: 'InvalidToken' | 'TaskDoesNotExist' | 'TaskTimedOut' | 'InvalidOutput',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

type Outcome = { ok: true; output: Json } | { ok: false; error: string; cause: string };

interface Pending {
  executionArn: string;
  stateName: string;
  /** Set once SendTaskSuccess/Failure arrived (possibly before anyone waits). */
  outcome?: Outcome;
  settle?: (outcome: Outcome) => void;
  closed?: 'completed' | 'timed-out' | 'execution-ended';
  lastHeartbeat: number;
  /** Ends a wait early (its timer too): the task failed before anyone could answer. */
  cancel?: (error: Error) => void;
}

/** SendTaskSuccess/SendTaskFailure limits (API reference: taskToken 1-2048 chars, output up to 256 KiB). */
const MAX_TOKEN_LENGTH = 2048;
const MAX_OUTPUT_BYTES = 262_144;

/**
 * Task tokens of `.waitForTaskToken` states. A token is created per attempt, handed to the task
 * (the approval request), and settled by SendTaskSuccess/SendTaskFailure through the Step Functions
 * API; a token that timed out or whose execution ended answers TaskTimedOut, as AWS does.
 */
export class TaskTokens {
  private readonly tokens = new Map<string, Pending>();
  private readonly listeners = new Set<(token: string, info: { executionArn: string; stateName: string }) => void>();

  create(executionArn: string, stateName: string): string {
    const token = `AQ${randomBytes(96).toString('base64url')}`;
    this.tokens.set(token, { executionArn, stateName, lastHeartbeat: Date.now() });
    for (const listener of this.listeners) listener(token, { executionArn, stateName });
    return token;
  }

  /** Called with every new token (the local runner's auto-approver and tests use it). */
  onCreated(listener: (token: string, info: { executionArn: string; stateName: string }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tokens still waiting for a decision, for an execution. */
  open(executionArn: string): string[] {
    return [...this.tokens].filter(([, p]) => p.executionArn === executionArn && !p.closed && !p.outcome).map(([token]) => token);
  }

  /**
   * Waits for the outcome. Rejects with a StateError named by SendTaskFailure's error (default
   * `States.TaskFailed`), or `States.Timeout` after `timeoutMs`, after which the token is dead.
   */
  wait(token: string, timeoutMs: number, signal?: AbortSignal): Promise<Json> {
    const pending = this.tokens.get(token);
    if (!pending) return Promise.reject(new Error('unknown task token'));
    return new Promise<Json>((resolve, reject) => {
      const finish = (outcome: Outcome) => {
        cancelTimer();
        signal?.removeEventListener('abort', onAbort);
        if (outcome.ok) resolve(outcome.output);
        else reject(new StateError(outcome.error, outcome.cause));
      };
      const cancelTimer = longTimeout(timeoutMs, () => {
        pending.closed = 'timed-out';
        pending.settle = undefined;
        signal?.removeEventListener('abort', onAbort);
        reject(new StateError('States.Timeout', 'The task timed out waiting for SendTaskSuccess or SendTaskFailure.'));
      });
      const onAbort = () => {
        cancelTimer();
        pending.closed = 'execution-ended';
        reject(new StateError('States.Aborted', 'execution stopped'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.cancel = (error) => {
        cancelTimer();
        signal?.removeEventListener('abort', onAbort);
        pending.closed = 'execution-ended';
        pending.settle = undefined;
        reject(error);
      };
      if (pending.outcome) finish(pending.outcome);
      else pending.settle = finish;
    });
  }

  /** The task failed on its own (its invoke threw): stop waiting, and answer TaskTimedOut from now on. */
  cancel(token: string, error: Error): void {
    this.tokens.get(token)?.cancel?.(error);
  }

  succeed(token: string, output: string): void {
    const pending = this.accept(token);
    if (Buffer.byteLength(output, 'utf8') > MAX_OUTPUT_BYTES) throw new TaskTokenError('InvalidOutput', 'Output exceeds the 262144 byte limit');
    let parsed: Json;
    try {
      parsed = JSON.parse(output) as Json;
    } catch {
      throw new TaskTokenError('InvalidOutput', 'Invalid JSON output for the task');
    }
    this.settle(pending, { ok: true, output: parsed });
  }

  fail(token: string, error: string | undefined, cause: string | undefined): void {
    this.settle(this.accept(token), { ok: false, error: error ?? 'States.TaskFailed', cause: cause ?? '' });
  }

  heartbeat(token: string): void {
    this.accept(token).lastHeartbeat = Date.now();
  }

  /** The execution ended (succeeded, failed, stopped): its tokens answer TaskTimedOut from now on. */
  closeExecution(executionArn: string): void {
    for (const pending of this.tokens.values()) if (pending.executionArn === executionArn && !pending.closed) pending.closed = 'execution-ended';
  }

  private accept(token: string): Pending {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_=+/-]+$/.test(token)) {
      throw new TaskTokenError('InvalidToken', 'Invalid Token');
    }
    const pending = this.tokens.get(token);
    if (!pending) throw new TaskTokenError('TaskDoesNotExist', 'Task does not exist anymore');
    if (pending.closed || pending.outcome) throw new TaskTokenError('TaskTimedOut', 'Task Timed Out');
    return pending;
  }

  private settle(pending: Pending, outcome: Outcome): void {
    pending.outcome = outcome;
    pending.closed = 'completed';
    pending.settle?.(outcome);
  }
}

/** setTimeout for delays beyond Node's 2^31-1 ms cap (approval timeouts may be up to a year). */
export function longTimeout(ms: number, fn: () => void): () => void {
  const MAX = 2_147_483_647;
  let timer: NodeJS.Timeout;
  const arm = (remaining: number) => {
    timer = setTimeout(() => (remaining > MAX ? arm(remaining - MAX) : fn()), Math.min(Math.max(remaining, 0), MAX));
  };
  arm(ms);
  return () => clearTimeout(timer);
}
