import type { LocalAction } from './definition.ts';

/** One event of GetExecutionHistory, in the API's shape (dates as Date; the wire adapter serializes them). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

interface InterpreterEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

/**
 * Turns the interpreter's event log into Step Functions history events (ExecutionStarted,
 * <Type>StateEntered/Exited, TaskFailed, MapRun*, MapIteration*, Execution<Outcome>), so
 * `zombie-sweep start --wait` and `status` read the same history locally and on AWS.
 */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];

  constructor(private readonly actions: ReadonlyMap<string, LocalAction>) {}

  started(input: string, roleArn: string): void {
    this.add('ExecutionStarted', { executionStartedEventDetails: { input, inputDetails: { truncated: false }, roleArn } });
  }

  async consume(log: AsyncGenerator<unknown>): Promise<void> {
    for await (const raw of log) this.record(raw as InterpreterEvent);
  }

  mapRun(event: { type: 'MapRunStarted' | 'MapRunSucceeded' | 'MapRunFailed'; mapRunArn: string; items: number; failed: number }): void {
    if (event.type === 'MapRunStarted') this.add('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn: event.mapRunArn } });
    else if (event.type === 'MapRunSucceeded') this.add('MapRunSucceeded', {});
    else this.add('MapRunFailed', { mapRunFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold', cause: `${event.failed} of ${event.items} items failed` } });
  }

  finished(record: { status: string; output?: string; error?: string; cause?: string }): void {
    if (record.status === 'SUCCEEDED') this.add('ExecutionSucceeded', { executionSucceededEventDetails: { output: record.output, outputDetails: { truncated: false } } });
    else if (record.status === 'ABORTED') this.add('ExecutionAborted', { executionAbortedEventDetails: { error: record.error, cause: record.cause } });
    else if (record.status === 'TIMED_OUT') this.add('ExecutionTimedOut', { executionTimedOutEventDetails: { error: record.error, cause: record.cause } });
    else this.add('ExecutionFailed', { executionFailedEventDetails: { error: record.error, cause: record.cause } });
  }

  private record(event: InterpreterEvent): void {
    const state = event.state;
    const type = state ? (this.actions.get(state.name)?.kind === 'distributed-map' ? 'Map' : state.type) : undefined;
    switch (event.type) {
      case 'StateEntered':
        this.add(`${type}StateEntered`, { stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input ?? null), inputDetails: { truncated: false } } });
        break;
      case 'StateExited':
        this.add(`${type}StateExited`, { stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output ?? null), outputDetails: { truncated: false } } });
        break;
      case 'StateFailed':
        if (type === 'Task') this.add('TaskFailed', { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: event.Error, cause: causeText(event.Cause) } });
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

  private add(type: string, details: Record<string, unknown>): void {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, timestamp: new Date(), type, ...details });
  }
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause ?? '');
}
