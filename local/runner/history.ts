import type { LocalAction } from './definition.ts';

/** One event of GetExecutionHistory, in the API's shape (dates as Date; the wire adapter serializes them). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

export interface InterpreterEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

export interface HistoryLimit {
  /** AWS's quota (25,000): the event with this number is the ExecutionFailed that ends the execution. */
  maxEvents: number;
  /** Called once, when the next event would leave no room for ExecutionFailed. */
  onFull(): void;
}

/**
 * Turns the interpreter's event log into Step Functions history events (ExecutionStarted,
 * <Type>StateEntered/Exited, TaskScheduled/Started/Submitted/Succeeded/Failed, MapRun*,
 * MapIteration*, Execution<Outcome>), so `zombie-sweep start --wait` and `status` read the same
 * history locally and on AWS, and the history quota counts what AWS would count. Distributed Map
 * children keep only the count (`keepEvents: false`): nobody reads their history locally.
 */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  private count = 0;
  private full = false;

  constructor(
    private readonly actions: ReadonlyMap<string, LocalAction>,
    private readonly limit?: HistoryLimit,
    private readonly keepEvents = true,
  ) {}

  /** Events so far, as AWS numbers them. */
  get size(): number {
    return this.count;
  }

  started(input: string, roleArn: string): void {
    this.add('ExecutionStarted', { executionStartedEventDetails: { input, inputDetails: { truncated: false }, roleArn } });
  }

  mapRun(event: { type: 'MapRunStarted' | 'MapRunSucceeded' | 'MapRunFailed'; mapRunArn: string; items: number; failed: number }): void {
    if (event.type === 'MapRunStarted') this.add('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn: event.mapRunArn } });
    else if (event.type === 'MapRunSucceeded') this.add('MapRunSucceeded', {});
    else
      this.add('MapRunFailed', {
        mapRunFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold', cause: `${event.failed} of ${event.items} items failed` },
      });
  }

  finished(record: { status: string; output?: string; error?: string; cause?: string }): void {
    if (record.status === 'SUCCEEDED')
      this.add('ExecutionSucceeded', { executionSucceededEventDetails: { output: record.output, outputDetails: { truncated: false } } });
    else if (record.status === 'ABORTED') this.add('ExecutionAborted', { executionAbortedEventDetails: { error: record.error, cause: record.cause } });
    else if (record.status === 'TIMED_OUT') this.add('ExecutionTimedOut', { executionTimedOutEventDetails: { error: record.error, cause: record.cause } });
    else this.add('ExecutionFailed', { executionFailedEventDetails: { error: record.error, cause: record.cause } }, true);
  }

  record(event: InterpreterEvent): void {
    const state = event.state;
    const kind = state ? this.actions.get(state.name)?.kind : undefined;
    const type = kind === 'distributed-map' ? 'Map' : state?.type;
    switch (event.type) {
      case 'StateEntered':
        this.add(`${type}StateEntered`, {
          stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input ?? null), inputDetails: { truncated: false } },
        });
        break;
      case 'StateExited':
        if (type === 'Task')
          this.taskAttempt(kind, { type: 'TaskSucceeded', details: { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke' } } });
        this.add(`${type}StateExited`, {
          stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output ?? null), outputDetails: { truncated: false } },
        });
        break;
      case 'StateFailed':
        if (type === 'Task')
          this.taskAttempt(kind, {
            type: 'TaskFailed',
            details: { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: event.Error, cause: causeText(event.Cause) } },
          });
        else if (type === 'Map') this.add('MapStateFailed', {});
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
        this.add(event.type, { [key]: { name: event.parentState?.name, index: event.index } });
        break;
      }
      default:
        break;
    }
  }

  /** One attempt of a task as AWS records it: scheduled, started, (submitted, for callbacks), then its outcome. */
  private taskAttempt(kind: LocalAction['kind'] | undefined, outcome: { type: string; details: Record<string, unknown> }): void {
    this.add('TaskScheduled', {});
    this.add('TaskStarted', {});
    if (kind === 'callback') this.add('TaskSubmitted', {});
    this.add(outcome.type, outcome.details);
  }

  private add(type: string, details: Record<string, unknown>, final = false): void {
    if (this.full && !final) return;
    if (this.limit && !final && this.count + 1 >= this.limit.maxEvents) {
      this.full = true;
      this.limit.onFull();
      return;
    }
    const id = ++this.count;
    if (this.keepEvents) this.events.push({ id, previousEventId: id - 1, timestamp: new Date(), type, ...details });
  }
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause ?? '');
}
