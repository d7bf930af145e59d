/**
 * Prepares an ASL definition for aws-local-stepfunctions. The interpreter runs inline Maps, Choice,
 * Pass, Fail and Lambda Tasks faithfully, but has no Distributed Map (ItemReader, ResultWriter,
 * tolerated failures), no `.waitForTaskToken`, and a 60 s default Task timeout where AWS has none.
 * Each such state is replaced by a Task the runner handles itself; everything the interpreter does
 * support (InputPath, ResultSelector, ResultPath, OutputPath, Retry, Catch, Next/End) stays on the
 * state, so those semantics remain the interpreter's.
 */
import type { Json } from './templates.ts';

export type StateDef = Record<string, unknown> & { Type: string };
export interface MachineDef {
  StartAt: string;
  States: Record<string, StateDef>;
  Comment?: string;
  TimeoutSeconds?: number;
}

/** What the runner must do itself when the interpreter enters a replaced state. */
export type LocalAction =
  | { kind: 'distributed-map'; state: StateDef; processor: MachineDef }
  | { kind: 'callback'; state: StateDef }
  | { kind: 'lambda'; functionName: string }
  | { kind: 'lambda-invoke'; state: StateDef };

export interface PreparedDefinition {
  /** The definition the interpreter runs. */
  definition: MachineDef;
  /** Per state name (unique across the whole machine, as AWS requires, children included): what the runner does there. */
  actions: Map<string, LocalAction>;
}

/**
 * Node caps timers at 2^31-1 ms; a larger delay fires after 1 ms. AWS's default Task timeout
 * (99999999 s) would therefore time out at once, so "no timeout" is this many seconds locally.
 */
export const LOCAL_NO_TIMEOUT_SECONDS = 2_147_483;

// Fields a replacement Task keeps from the original state (the interpreter applies them).
const KEPT_FIELDS = ['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End'];

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(:[A-Za-z0-9_$-]+)?$/;

export function prepareDefinition(source: MachineDef): PreparedDefinition {
  const actions = new Map<string, LocalAction>();
  const definition = prepareMachine(source, actions, new Set());
  return { definition, actions };
}

function prepareMachine(machine: MachineDef, actions: Map<string, LocalAction>, seen: Set<string>): MachineDef {
  const states: Record<string, StateDef> = {};
  for (const [name, state] of Object.entries(machine.States)) {
    if (seen.has(name)) throw new Error(`state name ${JSON.stringify(name)} is used twice; AWS requires unique state names`);
    seen.add(name);
    states[name] = prepareState(name, state, actions, seen);
  }
  return { ...machine, States: states };
}

function prepareState(name: string, state: StateDef, actions: Map<string, LocalAction>, seen: Set<string>): StateDef {
  if (state.Type === 'Map') return prepareMap(name, state, actions, seen);
  if (state.Type === 'Parallel') {
    const branches = (state.Branches as MachineDef[]).map((branch) => prepareMachine(branch, actions, seen));
    return { ...state, Branches: branches };
  }
  if (state.Type !== 'Task') return state;
  const resource = String(state.Resource);
  if (resource.endsWith('.waitForTaskToken')) {
    actions.set(name, { kind: 'callback', state });
    return replacement(state);
  }
  if (resource === 'arn:aws:states:::lambda:invoke') {
    actions.set(name, { kind: 'lambda-invoke', state });
    return replacement(state);
  }
  const lambda = LAMBDA_ARN.exec(resource);
  if (!lambda) throw new Error(`state ${name}: resource ${resource} is not supported by the local runner`);
  actions.set(name, { kind: 'lambda', functionName: lambda[1]! });
  if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) return { ...state, TimeoutSeconds: LOCAL_NO_TIMEOUT_SECONDS };
  return state;
}

function prepareMap(name: string, state: StateDef, actions: Map<string, LocalAction>, seen: Set<string>): StateDef {
  const processorSource = (state.ItemProcessor ?? state.Iterator) as (MachineDef & { ProcessorConfig?: { Mode?: string } }) | undefined;
  if (!processorSource) throw new Error(`state ${name}: Map without ItemProcessor`);
  const { ProcessorConfig: config, ...processorMachine } = processorSource;
  const distributed = config?.Mode === 'DISTRIBUTED' || state.ItemReader !== undefined || state.ResultWriter !== undefined;
  if (!distributed) {
    const processor = prepareMachine(processorMachine, actions, seen);
    return { ...state, ...inlineConcurrency(state), ItemProcessor: config ? { ...processor, ProcessorConfig: config } : processor };
  }
  // Child executions run the processor as their own machine; their states share the unique name space.
  const processor = prepareMachine(processorMachine, actions, seen);
  actions.set(name, { kind: 'distributed-map', state, processor });
  return replacement(state);
}

/**
 * An inline Map runs at most 40 iterations at a time on AWS, whatever MaxConcurrency asks (0 means
 * "as many as possible"): https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
 */
const INLINE_MAP_CONCURRENCY = 40;

function inlineConcurrency(state: StateDef): { MaxConcurrency?: number } {
  if (state.MaxConcurrencyPath !== undefined) return {};
  const asked = typeof state.MaxConcurrency === 'number' ? state.MaxConcurrency : 0;
  return { MaxConcurrency: asked > 0 ? Math.min(asked, INLINE_MAP_CONCURRENCY) : INLINE_MAP_CONCURRENCY };
}

/** A Task in place of the original state: the runner's handler does the work, the interpreter the rest. */
function replacement(state: StateDef): StateDef {
  const task: StateDef = { Type: 'Task', Resource: 'arn:aws:states:::local:runner', TimeoutSeconds: LOCAL_NO_TIMEOUT_SECONDS };
  for (const field of KEPT_FIELDS) if (state[field] !== undefined) task[field] = state[field];
  return task;
}

/** Parses an ASL text (after placeholder substitution) into the shape the runner works with. */
export function parseDefinition(text: string): MachineDef {
  const parsed = JSON.parse(text) as Json;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || typeof parsed.StartAt !== 'string' || typeof parsed.States !== 'object') {
    throw new Error('not an ASL definition: StartAt and States are required');
  }
  return parsed as unknown as MachineDef;
}
