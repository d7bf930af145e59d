import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { payloadBytes, type Quotas } from './quotas.ts';
import { StateError } from './task-tokens.ts';
import type { Json } from './templates.ts';

/** A Lambda handler as the runner calls it: the event, and a Lambda context. */
export type LambdaFunction = (event: unknown, context: Context) => Promise<unknown>;

/** The function name inside a local ARN; the runner uses the same naming as infra (`zombie-sweep-<name>`). */
export function localFunctionArn(region: string, accountId: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}

export interface InvokeLimits {
  timeoutMs: number;
  memoryMb: number;
  quotas: Pick<Quotas, 'lambdaSyncPayloadBytes'>;
}

/**
 * Invokes a handler in-process the way Lambda + Step Functions would: the event and the result go
 * through JSON (Dates become strings, undefined disappears), a thrown error reaches the state
 * machine with `Error` = its name and `Cause` = Lambda's JSON error document, and the synchronous
 * invocation payload quota (6 MB each way) applies. A request over it is refused by the Invoke API
 * (RequestTooLargeException, which Step Functions names `Lambda.RequestTooLargeException`); a
 * response over it fails the invocation with `Function.ResponseSizeTooLarge`.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export async function invokeLocally(
  fn: LambdaFunction | undefined,
  functionName: string,
  region: string,
  accountId: string,
  event: Json,
  limits: InvokeLimits,
): Promise<Json> {
  if (!fn) throw new StateError('Lambda.ResourceNotFoundException', `Function not found: ${localFunctionArn(region, accountId, functionName)}`);
  const { timeoutMs, memoryMb, quotas } = limits;
  const requestBytes = payloadBytes(event);
  if (requestBytes > quotas.lambdaSyncPayloadBytes) {
    throw new StateError(
      'Lambda.RequestTooLargeException',
      `${requestBytes} byte payload is too large for the RequestResponse invocation type (limit ${quotas.lambdaSyncPayloadBytes} bytes)`,
    );
  }
  const deadline = Date.now() + timeoutMs;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(region, accountId, functionName),
    memoryLimitInMB: String(memoryMb),
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
  if (Date.now() > deadline)
    throw new StateError('Sandbox.Timedout', JSON.stringify({ errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` }));
  if (result === undefined) return null;
  const text = JSON.stringify(result);
  if (Buffer.byteLength(text, 'utf8') > quotas.lambdaSyncPayloadBytes) {
    const errorMessage = `Response payload size exceeded maximum allowed payload size (${quotas.lambdaSyncPayloadBytes} bytes).`;
    throw new StateError('Function.ResponseSizeTooLarge', JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage, trace: [] }));
  }
  return JSON.parse(text) as Json;
}
