import '../../src/core/polyfills.ts';
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { StateMachine } from 'aws-local-stepfunctions';
import { parseDefinition, prepareDefinition, type LocalAction, type MachineDef, type PreparedDefinition, type StateDef } from './definition.ts';
import { runDistributedMap, type ChildResult } from './distributed-map.ts';
import { HistoryRecorder, type HistoryEvent } from './history.ts';
import { invokeLocally, type LambdaFunction } from './lambda.ts';
import { StateError, TaskTokens } from './task-tokens.ts';
import { evaluatePath, evaluateTemplate, unwrap, type ContextObject, type Json } from './templates.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  history: HistoryEvent[];
  /** Settles when the execution ends (never rejects). */
  done: Promise<ExecutionRecord>;
}

export interface LocalStepFunctionsOptions {
  region: string;
  accountId: string;
  /** Distributed Map children in parallel when MaxConcurrency is 0 (AWS: up to 10,000). */
  unboundedConcurrency?: number;
}

/** How one state machine's tasks run locally. */
export interface LocalMachineOptions {
  /** Hub S3 client for Distributed Map ItemReader/ResultWriter (the state machine role's access in AWS). */
  s3: S3Client;
  /** Handlers by Lambda function name (the last part of the function ARN). */
  functions: Record<string, LambdaFunction>;
  /** Lambda timeout the handlers see through getRemainingTimeInMillis (default 900 s, the Lambda maximum). */
  lambdaTimeoutMs?: number | ((functionName: string) => number);
  /** Per state name, a shorter wait for `.waitForTaskToken` states (tests: an approval timeout of 300 ms). */
  taskTimeoutOverridesMs?: Record<string, number>;
  /** Every Retry interval, in ms (tests: skip backoff sleeps). Default: the definition's own backoff with jitter. */
  retryIntervalMs?: number;
  /** Per Wait state name, how long it waits in ms instead of its Seconds (tests: DeleteRecheckWait). */
  waitTimeOverridesMs?: Record<string, number>;
  /** The execution role recorded in `$$.Execution.RoleArn`. */
  roleArn?: string;
  /** Hooks around `.waitForTaskToken` tasks (auto-approve, printing the approval links). */
  callbacks?: CallbackHooks;
  /**
   * Called after a handler returned and before its result reaches the state machine. Throwing here
   * fails the invocation although its side effects happened: a Lambda that dies (or whose response
   * is lost) after doing its work, which Step Functions then retries with the same input.
   */
  afterHandlerReturned?: (functionName: string, event: Json) => void | Promise<void>;
}

export interface CallbackInfo {
  stateName: string;
  executionArn: string;
  executionInput: Json;
  token: string;
  /** The evaluated Payload the task is invoked with. */
  payload: Json;
}

export interface CallbackHooks {
  /** Before the task is invoked; `true` means do not invoke it (the hook answers the token itself). */
  before?(info: CallbackInfo): Promise<boolean>;
  /** After the task was invoked, while the token waits for its answer. */
  after?(info: CallbackInfo): Promise<void>;
}

interface StateMachineRecord {
  arn: string;
  name: string;
  roleArn: string;
  prepared: PreparedDefinition;
  retryStates: string[];
  options: LocalMachineOptions;
}

/** Where a handler runs: the execution (or Distributed Map child) it belongs to. */
interface RunScope {
  machine: StateMachineRecord;
  context: ContextObject;
  executionArn: string;
  signal: AbortSignal;
  history?: HistoryRecorder;
}

/**
 * A local Step Functions: state machines are ASL texts run by aws-local-stepfunctions, each Lambda
 * Task dispatched to an in-process handler, Distributed Maps and task tokens supplied by this runner.
 * The Step Functions API service (sfn-service.ts) is a thin wire adapter over this class.
 */
export class LocalStepFunctions {
  readonly tokens = new TaskTokens();
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly aborts = new Map<string, AbortController>();

  constructor(private readonly options: LocalStepFunctionsOptions) {}

  /**
   * Creates (or, unlike AWS, replaces) a state machine. Running executions keep the definition and
   * options they started with; new executions get these.
   */
  createStateMachine(name: string, definitionText: string, options: LocalMachineOptions): string {
    const arn = `arn:aws:states:${this.options.region}:${this.options.accountId}:stateMachine:${name}`;
    const source = parseDefinition(definitionText);
    const prepared = prepareDefinition(source);
    const retryStates = [...collectStates(source)].filter(([, s]) => Array.isArray(s.Retry)).map(([n]) => n);
    const roleArn = options.roleArn ?? `arn:aws:iam::${this.options.accountId}:role/zombie-sweep-local`;
    this.machines.set(arn, { arn, name, roleArn, prepared, retryStates, options });
    return arn;
  }

  hasStateMachine(arn: string): boolean {
    return this.machines.has(arn);
  }

  stateMachineArns(): string[] {
    return [...this.machines.keys()];
  }

  describe(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  list(stateMachineArn: string): ExecutionRecord[] {
    return [...this.executions.values()].filter((e) => e.stateMachineArn === stateMachineArn).sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  /** Starts an execution. A name already used returns that execution with `existed` (the API decides what that means). */
  start(stateMachineArn: string, input: string, name: string = randomUUID()): { record: ExecutionRecord; existed: boolean } {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new Error(`state machine ${stateMachineArn} does not exist`);
    const executionArn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) return { record: existing, existed: true };
    const parsedInput = JSON.parse(input) as Json;
    const startDate = new Date();
    const history = new HistoryRecorder(machine.prepared.actions);
    const abort = new AbortController();
    const context: ContextObject = {
      Execution: { Id: executionArn, Name: name, RoleArn: machine.roleArn, StartTime: startDate.toISOString(), Input: parsedInput },
      StateMachine: { Id: machine.arn, Name: machine.name },
    };
    const scope: RunScope = { machine, context, executionArn, signal: abort.signal, history };
    const run = new StateMachine(machine.prepared.definition as never, { validationOptions: { noValidate: true } }).run(parsedInput as never, {
      overrides: this.overrides(scope),
      context: context as never,
    });
    this.aborts.set(executionArn, abort);
    abort.signal.addEventListener('abort', () => run.abort(), { once: true });
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      input,
      startDate,
      history: history.events,
      done: undefined as unknown as Promise<ExecutionRecord>,
    };
    history.started(input, machine.roleArn);
    const consumeEvents = history.consume(run.eventLogs);
    record.done = run.result.then(
      (output) => {
        record.status = 'SUCCEEDED';
        record.output = JSON.stringify(output);
      },
      (error: unknown) => {
        if (abort.signal.aborted) {
          record.status = 'ABORTED';
          return;
        }
        const cause = unwrap(error) as { name?: string; message?: string };
        record.status = 'FAILED';
        record.error = cause?.name ?? 'States.Runtime';
        record.cause = cause?.message ?? String(error);
      },
    ).then(async () => {
      await consumeEvents;
      record.stopDate = new Date();
      history.finished(record);
      this.tokens.closeExecution(executionArn);
      this.aborts.delete(executionArn);
      return record;
    });
    this.executions.set(executionArn, record);
    return { record, existed: false };
  }

  stop(executionArn: string, error?: string, cause?: string): ExecutionRecord | undefined {
    const record = this.executions.get(executionArn);
    if (!record || record.status !== 'RUNNING') return record;
    if (error !== undefined) record.error = error;
    if (cause !== undefined) record.cause = cause;
    this.aborts.get(executionArn)?.abort();
    return record;
  }

  private overrides(scope: RunScope) {
    const taskResourceLocalHandlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [stateName, action] of scope.machine.prepared.actions) {
      taskResourceLocalHandlers[stateName] = (input) => this.perform(stateName, action, input, scope);
    }
    const retryIntervalOverrides: Record<string, number> = {};
    const retryMs = scope.machine.options.retryIntervalMs;
    if (retryMs !== undefined) for (const name of scope.machine.retryStates) retryIntervalOverrides[name] = retryMs;
    const waitTimeOverrides = { ...scope.machine.options.waitTimeOverridesMs };
    return { taskResourceLocalHandlers, retryIntervalOverrides, waitTimeOverrides } as never;
  }

  private async perform(stateName: string, action: LocalAction, input: Json, scope: RunScope): Promise<Json> {
    switch (action.kind) {
      case 'lambda':
        return this.invoke(scope, action.functionName, input);
      case 'lambda-invoke': {
        const params = (await evaluateTemplate(action.state.Parameters as Json, input, scope.context)) as { FunctionName: string; Payload?: Json };
        const payload = await this.invoke(scope, functionNameOf(params.FunctionName), params.Payload ?? {});
        return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
      }
      case 'callback':
        return this.callback(stateName, action.state, input, scope);
      case 'distributed-map':
        return runDistributedMap(stateName, action.state, action.processor, input, {
          s3: scope.machine.options.s3,
          context: scope.context,
          region: this.options.region,
          accountId: this.options.accountId,
          stateMachineName: scope.machine.name,
          unboundedConcurrency: this.options.unboundedConcurrency,
          runChild: (processor, childInput, arn, name) => this.runChild(scope, processor, childInput, arn, name),
          onMapRun: (event) => scope.history?.mapRun(event),
        });
    }
  }

  private async invoke(scope: RunScope, functionName: string, event: Json): Promise<Json> {
    const { functions, lambdaTimeoutMs, afterHandlerReturned } = scope.machine.options;
    const timeoutMs = typeof lambdaTimeoutMs === 'function' ? lambdaTimeoutMs(functionName) : (lambdaTimeoutMs ?? 900_000);
    const result = await invokeLocally(functions[functionName], functionName, this.options.region, this.options.accountId, event, timeoutMs);
    await afterHandlerReturned?.(functionName, event);
    return result;
  }

  /**
   * `.waitForTaskToken`: a fresh token per attempt in `$$.Task.Token`, the Parameters and
   * TimeoutSecondsPath evaluated against the state input (as AWS does), the task invoked, then the
   * token awaited until SendTaskSuccess/SendTaskFailure or the timeout (States.Timeout).
   */
  private async callback(stateName: string, state: StateDef, input: Json, scope: RunScope): Promise<Json> {
    const resource = String(state.Resource);
    if (!resource.startsWith('arn:aws:states:::lambda:invoke')) throw new StateError('States.Runtime', `${stateName}: the local runner only supports lambda:invoke.waitForTaskToken`);
    const timeoutSeconds =
      typeof state.TimeoutSeconds === 'number'
        ? state.TimeoutSeconds
        : typeof state.TimeoutSecondsPath === 'string'
          ? Number(await evaluatePath(state.TimeoutSecondsPath, input, scope.context))
          : 99_999_999;
    const timeoutMs = scope.machine.options.taskTimeoutOverridesMs?.[stateName] ?? timeoutSeconds * 1000;
    const token = this.tokens.create(scope.executionArn, stateName);
    // The wait starts before the invoke so an answer racing the invoke's return is never lost.
    const waiting = this.tokens.wait(token, timeoutMs, scope.signal);
    waiting.catch(() => undefined);
    try {
      const params = (await evaluateTemplate((state.Parameters ?? {}) as Json, input, { ...scope.context, Task: { Token: token } })) as { FunctionName?: string; Payload?: Json };
      if (!params.FunctionName) throw new StateError('States.Runtime', `${stateName}: Parameters.FunctionName is required`);
      const hooks = scope.machine.options.callbacks;
      const info: CallbackInfo = { stateName, executionArn: scope.executionArn, executionInput: (scope.context.Execution as { Input: Json }).Input, token, payload: params.Payload ?? {} };
      if (!(await hooks?.before?.(info))) {
        await this.invoke(scope, functionNameOf(params.FunctionName), params.Payload ?? {});
        await hooks?.after?.(info);
      }
    } catch (error) {
      // The task failed before anyone could answer: its token must not keep a timer (up to a year) alive.
      this.tokens.cancel(token, error as Error);
      throw error;
    }
    return waiting;
  }

  private async runChild(parent: RunScope, processor: MachineDef, input: Json, executionArn: string, name: string): Promise<ChildResult> {
    const context: ContextObject = {
      Execution: { Id: executionArn, Name: name, RoleArn: parent.machine.roleArn, StartTime: new Date().toISOString(), Input: input },
      StateMachine: { Id: `${parent.machine.arn}/${name}`, Name: parent.machine.name },
    };
    const scope: RunScope = { machine: parent.machine, context, executionArn, signal: parent.signal };
    try {
      const run = new StateMachine(processor as never, { validationOptions: { noValidate: true } }).run(input as never, {
        overrides: this.overrides(scope),
        context: context as never,
      });
      const onAbort = () => run.abort();
      parent.signal.addEventListener('abort', onAbort, { once: true });
      try {
        return { status: 'SUCCEEDED', output: (await run.result) as Json };
      } finally {
        parent.signal.removeEventListener('abort', onAbort);
      }
    } catch (error) {
      const cause = unwrap(error) as { name?: string; message?: string };
      return { status: 'FAILED', error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? String(error) };
    }
  }
}

function functionNameOf(nameOrArn: string): string {
  const match = /:function:([^:]+)/.exec(nameOrArn);
  return match ? match[1]! : nameOrArn;
}

function* collectStates(machine: MachineDef): Generator<[string, StateDef]> {
  for (const [name, state] of Object.entries(machine.States)) {
    yield [name, state];
    const processor = (state.ItemProcessor ?? state.Iterator) as MachineDef | undefined;
    if (processor) yield* collectStates(processor);
    for (const branch of (state.Branches as MachineDef[] | undefined) ?? []) yield* collectStates(branch);
  }
}
