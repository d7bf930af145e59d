/**
 * The Step Functions API (JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`, signing name
 * `states`) over a LocalStepFunctions, so unmodified SFN SDK clients (the CLI's `start`/`status`,
 * the approval page's SendTaskSuccess) reach the local runner. Shapes and errors follow the API
 * reference: https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 */
import { jsonService, SimError, encodeToken, decodeToken, type SimService } from '../sim/protocol.ts';
import type { ExecutionRecord, LocalStepFunctions } from './engine.ts';
import { TaskTokenError } from './task-tokens.ts';

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
// Execution names: 1-80 characters, no whitespace, brackets, wildcards, or control characters (API_StartExecution).
const EXECUTION_NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const validExecutionName = (name: string) =>
  name.length >= 1 &&
  name.length <= 80 &&
  !EXECUTION_NAME_FORBIDDEN.test(name) &&
  ![...name].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
const MAX_INPUT_BYTES = 262_144;

function str(input: Record<string, unknown>, field: string, required: true): string;
function str(input: Record<string, unknown>, field: string, required?: false): string | undefined;
function str(input: Record<string, unknown>, field: string, required = false): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    if (required)
      throw new SimError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'string') throw new SimError('ValidationException', `Value at '${field}' must be a string`);
  return value;
}

function pageSize(input: Record<string, unknown>): number {
  const value = input.maxResults;
  if (value === undefined || value === 0) return 100;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000) {
    throw new SimError(
      'ValidationException',
      "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
  }
  return value;
}

function executionOf(engine: LocalStepFunctions, input: Record<string, unknown>): ExecutionRecord {
  const arn = str(input, 'executionArn', true);
  if (!EXECUTION_ARN.test(arn)) throw new SimError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  const record = engine.describe(arn);
  if (!record) throw new SimError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return record;
}

function tokenCall(fn: () => void): Record<string, never> {
  try {
    fn();
    return {};
  } catch (error) {
    if (error instanceof TaskTokenError) throw new SimError(error.code, error.message);
    throw error;
  }
}

export function stepFunctionsService(engine: LocalStepFunctions): SimService {
  return jsonService({
    signingName: 'states',
    targetPrefix: 'AWSStepFunctions',
    version: '1.0',
    throttlingCode: 'ThrottlingException',
    operations: {
      StartExecution: (input) => {
        const stateMachineArn = str(input, 'stateMachineArn', true);
        if (!STATE_MACHINE_ARN.test(stateMachineArn)) throw new SimError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
        if (!engine.hasStateMachine(stateMachineArn)) throw new SimError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
        const name = str(input, 'name');
        if (name !== undefined && !validExecutionName(name)) throw new SimError('InvalidName', `Invalid Name: '${name}'`);
        const executionInput = str(input, 'input') ?? '{}';
        if (Buffer.byteLength(executionInput) > MAX_INPUT_BYTES) throw new SimError('InvalidExecutionInput', 'Input exceeds the 262144 byte limit');
        try {
          JSON.parse(executionInput);
        } catch {
          throw new SimError('InvalidExecutionInput', `Invalid State Machine Execution Input: 'Unexpected input'`);
        }
        const { record, existed } = engine.start(stateMachineArn, executionInput, name);
        // Same name and input while RUNNING is idempotent for Standard workflows; anything else is a conflict.
        if (existed && (record.status !== 'RUNNING' || record.input !== executionInput)) {
          throw new SimError('ExecutionAlreadyExists', `Execution Already Exists: '${record.executionArn}'`);
        }
        return { executionArn: record.executionArn, startDate: record.startDate };
      },
      DescribeExecution: (input) => {
        const r = executionOf(engine, input);
        return {
          executionArn: r.executionArn,
          stateMachineArn: r.stateMachineArn,
          name: r.name,
          status: r.status,
          startDate: r.startDate,
          stopDate: r.stopDate,
          input: r.input,
          inputDetails: { included: true },
          output: r.output,
          outputDetails: r.output === undefined ? undefined : { included: true },
          error: r.error,
          cause: r.cause,
          redriveCount: 0,
          redriveStatus: 'NOT_REDRIVABLE',
        };
      },
      ListExecutions: (input) => {
        const stateMachineArn = str(input, 'stateMachineArn', true);
        if (!engine.hasStateMachine(stateMachineArn)) throw new SimError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
        const status = str(input, 'statusFilter');
        const all = engine.list(stateMachineArn).filter((e) => status === undefined || e.status === status);
        const start = decodeToken<{ offset: number }>(input.nextToken, 'InvalidToken')?.offset ?? 0;
        const size = pageSize(input);
        const page = all.slice(start, start + size);
        return {
          executions: page.map((e) => ({
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: e.startDate,
            stopDate: e.stopDate,
          })),
          nextToken: start + size < all.length ? encodeToken({ offset: start + size }) : undefined,
        };
      },
      GetExecutionHistory: (input) => {
        const record = executionOf(engine, input);
        const includeData = input.includeExecutionData !== false;
        const events = input.reverseOrder === true ? [...record.history].reverse() : [...record.history];
        const start = decodeToken<{ offset: number }>(input.nextToken, 'InvalidToken')?.offset ?? 0;
        const size = pageSize(input);
        const page = events.slice(start, start + size).map((e) => (includeData ? e : withoutData(e)));
        return { events: page, nextToken: start + size < events.length ? encodeToken({ offset: start + size }) : undefined };
      },
      StopExecution: (input) => {
        const record = executionOf(engine, input);
        engine.stop(record.executionArn, str(input, 'error'), str(input, 'cause'));
        return { stopDate: new Date() };
      },
      SendTaskSuccess: (input) => {
        const token = str(input, 'taskToken', true);
        const output = str(input, 'output', true);
        return tokenCall(() => engine.tokens.succeed(token, output));
      },
      SendTaskFailure: (input) => {
        const token = str(input, 'taskToken', true);
        return tokenCall(() => engine.tokens.fail(token, str(input, 'error'), str(input, 'cause')));
      },
      SendTaskHeartbeat: (input) => {
        const token = str(input, 'taskToken', true);
        return tokenCall(() => engine.tokens.heartbeat(token));
      },
    },
  });
}

/** includeExecutionData=false omits inputs and outputs from the details, as the API does. */
function withoutData(event: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      const { input: _i, output: _o, ...rest } = value as Record<string, unknown>;
      out[key] = rest;
    } else out[key] = value;
  }
  return out;
}
