import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateError } from './task-tokens.ts';
import type { Json } from './templates.ts';

/** A Lambda handler as the runner calls it: the event, and a Lambda context. */
export type LambdaFunction = (event: unknown, context: Context) => Promise<unknown>;

/** The function name inside a local ARN; the runner uses the same naming as infra (`zombie-sweep-<name>`). */
export function localFunctionArn(region: string, accountId: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}

/**
 * Invokes a handler in-process the way Lambda + Step Functions would: the event and the result go
 * through JSON (Dates become strings, undefined disappears), and a thrown error reaches the state
 * machine with `Error` = its name and `Cause` = Lambda's JSON error document.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export async function invokeLocally(fn: LambdaFunction | undefined, functionName: string, region: string, accountId: string, event: Json, timeoutMs: number): Promise<Json> {
  if (!fn) throw new StateError('Lambda.ResourceNotFoundException', `Function not found: ${localFunctionArn(region, accountId, functionName)}`);
  const deadline = Date.now() + timeoutMs;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(region, accountId, functionName),
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let result: unknown;
  try {
    result = await fn(JSON.parse(JSON.stringify(event)) as unknown, context);
  } catch (error) {
    const errorType = error instanceof Error ? error.name : 'Error';
    const errorMessage = error instanceof Error ? error.message : String(error);
    throw new StateError(errorType, JSON.stringify({ errorType, errorMessage, trace: [] }));
  }
  if (Date.now() > deadline) throw new StateError('Sandbox.Timedout', JSON.stringify({ errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` }));
  return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as Json);
}
