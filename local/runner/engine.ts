import '../../src/core/polyfills.ts';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { S3Client } from '@aws-sdk/client-s3';
import { StateMachine } from 'aws-local-stepfunctions';
import { parseDefinition, prepareDefinition, type LocalAction, type MachineDef, type PreparedDefinition, type StateDef } from './definition.ts';
import { runDistributedMap, type ChildResult } from './distributed-map.ts';
import { HistoryRecorder, type HistoryEvent, type InterpreterEvent } from './history.ts';
import { invokeLocally, type LambdaFunction } from './lambda.ts';
import { expressTimedOut, historyLimitReached, resolveQuotas, UsageMeter, type ExecutionUsage, type Quotas } from './quotas.ts';
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
  /** What the execution and its Distributed Map children used (transitions, GB-seconds, largest payload, longest history). */
  usage: ExecutionUsage;
  /** Settles when the execution ends (never rejects). */
  done: Promise<ExecutionRecord>;
}

export interface LocalStepFunctionsOptions {
  region: string;
  accountId: string;
  /** Distributed Map children in parallel when MaxConcurrency is 0 (AWS: up to 10,000). */
  unboundedConcurrency?: number;
  /**
   * Step Functions and Lambda quotas (default: AWS's, local/runner/quotas.ts). Tests of the runner
   * itself may lower one (an Express limit of 50 ms instead of waiting 5 minutes); sweeps never do.
   */
  quotas?: Partial<Quotas>;
}

/** How one state machine's tasks run locally. */
export interface LocalMachineOptions {
  /** Hub S3 client for Distributed Map ItemReader/ResultWriter (the state machine role's access in AWS). */
  s3: S3Client;
  /** Handlers by Lambda function name (the last part of the function ARN). */
  functions: Record<string, LambdaFunction>;
  /** Lambda timeout the handlers see through getRemainingTimeInMillis (default 900 s, the Lambda maximum). */
  lambdaTimeoutMs?: number | ((functionName: string) => number);
  /** Memory of each function in MB, for Lambda GB-seconds (default 1024; the bench passes infra's sizes). */
  lambdaMemoryMb?: (functionName: string) => number;
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
  /** Standard executions (the sweep and STANDARD children); Express children have no history quota. */
  history?: HistoryRecorder;
  /** Shared by an execution and all its children. */
  meter: UsageMeter;
  /** Set when a quota ended this execution: the error it fails with, whatever Catch says. */
  fatal?: Error;
  /** Ends this execution at once with `error` (States.DataLimitExceeded, the history quota, the Express duration). */
  fail(error: Error): void;
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
  private readonly quotas: Quotas;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.quotas = resolveQuotas(options.quotas);
  }

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
    const abort = new AbortController();
    const context: ContextObject = {
      Execution: { Id: executionArn, Name: name, RoleArn: machine.roleArn, StartTime: startDate.toISOString(), Input: parsedInput },
      StateMachine: { Id: machine.arn, Name: machine.name },
    };
    const scope = this.scope(machine, context, executionArn, abort, new UsageMeter(this.quotas), 'kept');
    const history = scope.history!;
    const inputTooLarge = scope.meter.payload(parsedInput, 'the execution input');
    if (inputTooLarge) throw inputTooLarge;
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
      usage: scope.meter.usage,
      done: undefined as unknown as Promise<ExecutionRecord>,
    };
    history.started(input, machine.roleArn);
    const consumeEvents = this.observe(run.eventLogs, scope);
    record.done = run.result
      .then(
        (output) => {
          record.status = 'SUCCEEDED';
          record.output = JSON.stringify(output);
        },
        (error: unknown) => {
          const failure = scope.fatal ?? (abort.signal.aborted ? undefined : (unwrap(error) as { name?: string; message?: string }));
          if (!failure) {
            record.status = 'ABORTED';
            return;
          }
          record.status = 'FAILED';
          record.error = failure?.name ?? 'States.Runtime';
          record.cause = failure?.message ?? String(error);
        },
      )
      .then(async () => {
        await consumeEvents;
        if (record.status === 'SUCCEEDED' && scope.fatal) {
          // The last state's output was over a quota: AWS fails the execution instead of returning it.
          record.status = 'FAILED';
          record.error = scope.fatal.name;
          record.cause = scope.fatal.message;
          delete record.output;
        }
        record.stopDate = new Date();
        history.finished(record);
        scope.meter.history(history.size);
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

  /** A run scope whose quota failures abort `abort` (the execution's own controller). */
  private scope(
    machine: StateMachineRecord,
    context: ContextObject,
    executionArn: string,
    abort: AbortController,
    meter: UsageMeter,
    history: 'kept' | 'counted' | 'none',
  ): RunScope {
    // Every running Distributed Map child listens on its parent's signal (up to 10,000 of them).
    setMaxListeners(0, abort.signal);
    const scope: RunScope = {
      machine,
      context,
      executionArn,
      signal: abort.signal,
      meter,
      fail: (error) => {
        scope.fatal ??= error;
        abort.abort();
      },
    };
    if (history !== 'none') {
      scope.history = new HistoryRecorder(
        machine.prepared.actions,
        { maxEvents: this.quotas.historyEvents, onFull: () => scope.fail(historyLimitReached(this.quotas)) },
        history === 'kept',
      );
    }
    return scope;
  }

  /**
   * Follows an execution's event log: counts Standard state transitions (every state entered and
   * every retry, as AWS bills them), checks each state's input and output against the payload
   * quota, and writes the history.
   */
  private async observe(log: AsyncGenerator<unknown>, scope: RunScope): Promise<void> {
    for await (const raw of log) {
      const event = raw as InterpreterEvent;
      const name = event.state?.name ?? '';
      if (scope.history && (event.type === 'StateEntered' || event.type === 'StateRetried')) scope.meter.usage.transitions++;
      const over =
        event.type === 'StateEntered'
          ? scope.meter.payload(event.state?.input, `the input of state ${name}`)
          : event.type === 'StateExited'
            ? scope.meter.payload(event.state?.output, `the output of state ${name}`)
            : undefined;
      if (over) scope.fail(over);
      scope.history?.record(event);
    }
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

  /**
   * A replaced state's work, between two quota checks: its effective input (after Parameters) before
   * anything runs, its result before the interpreter applies ResultSelector/ResultPath. The event
   * log is drained first, so a state that already broke a quota stops the execution before the next
   * task (a delete, say) can start.
   */
  private async perform(stateName: string, action: LocalAction, input: Json, scope: RunScope): Promise<Json> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (scope.fatal) throw scope.fatal;
    this.enforce(scope, scope.meter.payload(input, `the effective input of state ${stateName}`));
    const result = await this.performAction(stateName, action, input, scope);
    this.enforce(scope, scope.meter.payload(result, `the result of state ${stateName}`));
    return result;
  }

  private enforce(scope: RunScope, error: Error | undefined): void {
    if (!error) return;
    scope.fail(error);
    throw error;
  }

  private async performAction(stateName: string, action: LocalAction, input: Json, scope: RunScope): Promise<Json> {
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
          quotas: this.quotas,
          runChild: (processor, childInput, arn, name, type) => this.runChild(scope, processor, childInput, arn, name, type),
          onMapRun: (event) => scope.history?.mapRun(event),
        });
    }
  }

  private async invoke(scope: RunScope, functionName: string, event: Json): Promise<Json> {
    const { functions, lambdaTimeoutMs, lambdaMemoryMb, afterHandlerReturned } = scope.machine.options;
    const timeoutMs = typeof lambdaTimeoutMs === 'function' ? lambdaTimeoutMs(functionName) : (lambdaTimeoutMs ?? 900_000);
    const memoryMb = lambdaMemoryMb?.(functionName) ?? 1024;
    const started = performance.now();
    try {
      const result = await invokeLocally(functions[functionName], functionName, this.options.region, this.options.accountId, event, {
        timeoutMs,
        memoryMb,
        quotas: this.quotas,
      });
      await afterHandlerReturned?.(functionName, event);
      return result;
    } finally {
      scope.meter.lambda(functionName, performance.now() - started, memoryMb);
    }
  }

  /**
   * `.waitForTaskToken`: a fresh token per attempt in `$$.Task.Token`, the Parameters and
   * TimeoutSecondsPath evaluated against the state input (as AWS does), the task invoked, then the
   * token awaited until SendTaskSuccess/SendTaskFailure or the timeout (States.Timeout).
   */
  private async callback(stateName: string, state: StateDef, input: Json, scope: RunScope): Promise<Json> {
    const resource = String(state.Resource);
    if (!resource.startsWith('arn:aws:states:::lambda:invoke'))
      throw new StateError('States.Runtime', `${stateName}: the local runner only supports lambda:invoke.waitForTaskToken`);
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
      const params = (await evaluateTemplate((state.Parameters ?? {}) as Json, input, { ...scope.context, Task: { Token: token } })) as {
        FunctionName?: string;
        Payload?: Json;
      };
      if (!params.FunctionName) throw new StateError('States.Runtime', `${stateName}: Parameters.FunctionName is required`);
      const hooks = scope.machine.options.callbacks;
      const info: CallbackInfo = {
        stateName,
        executionArn: scope.executionArn,
        executionInput: (scope.context.Execution as { Input: Json }).Input,
        token,
        payload: params.Payload ?? {},
      };
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

  /**
   * One Distributed Map child: its own interpreter run, metered into the parent's usage. A STANDARD
   * child has its own history (and its quota) and bills transitions; an EXPRESS child bills a
   * request and its duration, and is stopped with States.Timeout at the Express maximum duration.
   */
  private async runChild(
    parent: RunScope,
    processor: MachineDef,
    input: Json,
    executionArn: string,
    name: string,
    type: 'EXPRESS' | 'STANDARD',
  ): Promise<ChildResult> {
    const tooLarge = parent.meter.payload(input, 'a child execution input');
    if (tooLarge) return { status: 'FAILED', error: tooLarge.name, cause: tooLarge.message };
    const context: ContextObject = {
      Execution: { Id: executionArn, Name: name, RoleArn: parent.machine.roleArn, StartTime: new Date().toISOString(), Input: input },
      StateMachine: { Id: `${parent.machine.arn}/${name}`, Name: parent.machine.name },
    };
    const abort = new AbortController();
    const scope = this.scope(parent.machine, context, executionArn, abort, parent.meter, type === 'STANDARD' ? 'counted' : 'none');
    if (scope.history) parent.meter.usage.standardExecutions++;
    const onParentAbort = () => abort.abort();
    parent.signal.addEventListener('abort', onParentAbort, { once: true });
    const started = performance.now();
    const expressLimit = type === 'EXPRESS' ? setTimeout(() => scope.fail(expressTimedOut(this.quotas)), this.quotas.expressDurationMs) : undefined;
    let result: ChildResult;
    try {
      const run = new StateMachine(processor as never, { validationOptions: { noValidate: true } }).run(input as never, {
        overrides: this.overrides(scope),
        context: context as never,
      });
      abort.signal.addEventListener('abort', () => run.abort(), { once: true });
      const observed = this.observe(run.eventLogs, scope);
      scope.history?.started(JSON.stringify(input), parent.machine.roleArn);
      try {
        result = { status: 'SUCCEEDED', output: (await run.result) as Json };
      } finally {
        await observed;
      }
      if (scope.fatal) result = { status: 'FAILED', error: scope.fatal.name, cause: scope.fatal.message };
    } catch (error) {
      const cause = (scope.fatal ?? unwrap(error)) as { name?: string; message?: string };
      result = { status: 'FAILED', error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? String(error) };
    } finally {
      clearTimeout(expressLimit);
      parent.signal.removeEventListener('abort', onParentAbort);
    }
    if (type === 'EXPRESS') parent.meter.express(performance.now() - started);
    if (scope.history) {
      scope.history.finished(
        result.status === 'SUCCEEDED'
          ? { status: 'SUCCEEDED', output: JSON.stringify(result.output) }
          : { status: 'FAILED', error: result.error, cause: result.cause },
      );
      parent.meter.history(scope.history.size);
    }
    return result;
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
