import '../../src/core/polyfills.ts';
import { StateMachine, ExecutionError } from 'aws-local-stepfunctions';

/** A JSON value as the interpreter sees it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The Context Object (`$$`) a template is evaluated against. */
export type ContextObject = Record<string, unknown>;

/**
 * Evaluates a JSONPath payload template (`"key.$": "$.path"`, intrinsic functions) exactly as the
 * interpreter does, by running it as the Parameters of a one-state machine. Reusing the interpreter
 * keeps one implementation of ASL paths for the whole local runner.
 */
export async function evaluateTemplate(template: Json, input: Json, context: ContextObject): Promise<Json> {
  const machine = new StateMachine(
    { StartAt: 'Evaluate', States: { Evaluate: { Type: 'Pass', Parameters: template as Record<string, unknown>, End: true } } } as never,
    { validationOptions: { noValidate: true } },
  );
  try {
    return (await machine.run(input as never, { context: context as never }).result) as Json;
  } catch (error) {
    throw unwrap(error);
  }
}

/** Evaluates one reference path (`$.a.b`, `$$.Map.Item.Value`) against the input and context. */
export async function evaluatePath(path: string, input: Json, context: ContextObject): Promise<Json> {
  const result = (await evaluateTemplate({ 'value.$': path }, input, context)) as { value: Json };
  return result.value;
}

/** The interpreter wraps state errors in ExecutionError; callers want the original (States.Runtime...). */
export function unwrap(error: unknown): unknown {
  return error instanceof ExecutionError && error.cause !== undefined ? error.cause : error;
}
