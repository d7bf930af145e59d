import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidExecutionInput,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachToSimulator, startLocalHost, type LocalHost } from '../../local/runner/host.ts';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { World } from '../../local/sim/world.ts';
import { fakeS3 } from './fake-s3.ts';

/** A machine that waits on a token, then passes the answer on, catching a timeout. */
const WAITER = JSON.stringify({
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:111111111111:function:ask', Payload: { 'token.$': '$$.Task.Token', 'who.$': '$.who' } },
      TimeoutSecondsPath: '$.timeout',
      ResultPath: '$.answer',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'TimedOut' }],
      End: true,
    },
    TimedOut: { Type: 'Pass', End: true },
  },
});

let sim: Simulator;
let host: LocalHost;
let sfn: SFNClient;
let machineArn: string;
const tokens = new Map<string, string>();

async function tokenFor(who: string): Promise<string> {
  const deadline = Date.now() + 5000;
  while (!tokens.has(who)) {
    if (Date.now() > deadline) throw new Error(`no token for ${who}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return tokens.get(who)!;
}

async function finished(executionArn: string) {
  await host.engine.describe(executionArn)!.done;
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

beforeAll(async () => {
  sim = await startSimulator({ world: new World('o-abcdefghij', '111111111111', 'r-ab12') });
  host = attachToSimulator(sim);
  sfn = new SFNClient({ ...sim.clientConfig(), maxAttempts: 1 });
  machineArn = host.engine.createStateMachine('api-test', WAITER, {
    s3: fakeS3().client,
    functions: {
      ask: async (event) => {
        const e = event as { token: string; who: string };
        tokens.set(e.who, e.token);
        return {};
      },
    },
    taskTimeoutOverridesMs: {},
  });
});

afterAll(async () => {
  await sim.stop();
});

describe('the Step Functions API served by the simulator', () => {
  it('starts an execution, delivers SendTaskSuccess output to the waiting task, and describes the result', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, name: 'approve-1', input: JSON.stringify({ who: 'a', timeout: 60 }) }),
    );
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:111111111111:execution:api-test:approve-1');
    expect(started.startDate).toBeInstanceOf(Date);
    const token = await tokenFor('a');
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: ['x'] }) }));
    const described = await finished(started.executionArn!);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual({ who: 'a', timeout: 60, answer: { approved: ['x'] } });
    // A token is answered once; afterwards it is closed, as AWS reports it.
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('fails the task with SendTaskFailure (error and cause reach the execution)', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, name: 'fail-1', input: JSON.stringify({ who: 'b', timeout: 60 }) }),
    );
    await sfn.send(new SendTaskFailureCommand({ taskToken: await tokenFor('b'), error: 'Rejected', cause: 'said no' }));
    const described = await finished(executionArn!);
    expect(described).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'said no' });
  });

  it('times the wait out (States.Timeout, caught) and then answers TaskTimedOut to a late decision', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, name: 'timeout-1', input: JSON.stringify({ who: 'c', timeout: 1 }) }),
    );
    const token = await tokenFor('c');
    const described = await finished(executionArn!);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!).timedOut.Error).toBe('States.Timeout');
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('answers unknown and malformed tokens, bad input and unknown machines with the API errors', async () => {
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'A'.repeat(100), output: '{}' }))).rejects.toBeInstanceOf(TaskDoesNotExist);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'not a token!', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{oops' }))).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: `${machineArn}-nope`, input: '{}' }))).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: `${machineArn.replace(':stateMachine:', ':execution:')}:missing` })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('keeps execution names unique: same name and input is idempotent while running, other input is a conflict', async () => {
    const input = JSON.stringify({ who: 'd', timeout: 60 });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'dup', input }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'dup', input }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'dup', input: '{"who":"e","timeout":60}' }))).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
    await tokenFor('d');
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Stopped', cause: 'test' }));
    const described = await finished(first.executionArn!);
    expect(described.status).toBe('ABORTED');
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: tokens.get('d')!, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('pages GetExecutionHistory and ListExecutions', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, name: 'history-1', input: JSON.stringify({ who: 'f', timeout: 60 }) }),
    );
    await sfn.send(new SendTaskSuccessCommand({ taskToken: await tokenFor('f'), output: '{"ok":true}' }));
    await finished(executionArn!);
    const types: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 2, nextToken }));
      expect(page.events!.length).toBeLessThanOrEqual(2);
      types.push(...page.events!.map((e) => e.type!));
      nextToken = page.nextToken;
    } while (nextToken);
    // A callback task's attempt is recorded as AWS records it (and counts towards the history quota).
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, includeExecutionData: false }));
    expect(reversed.events![0]!.type).toBe('ExecutionSucceeded');
    expect(reversed.events![0]!.executionSucceededEventDetails?.output).toBeUndefined();
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'SUCCEEDED' }));
    expect(listed.executions!.map((e) => e.name)).toContain('history-1');
  });

  it('fails the waiting task at once when the task itself fails, and closes its token', async () => {
    let seen = '';
    const arn = host.engine.createStateMachine('api-broken', WAITER, {
      s3: fakeS3().client,
      functions: {
        ask: async (event) => {
          seen = (event as { token: string }).token;
          throw Object.assign(new Error('no approvers configured'), { name: 'InputValidationError' });
        },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ who: 'g', timeout: 3600 }) }));
    const described = await finished(executionArn!);
    expect(described).toMatchObject({ status: 'FAILED', error: 'InputValidationError' });
    expect(JSON.parse(described.cause!)).toMatchObject({ errorMessage: 'no approvers configured' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: seen, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('is also served by a standalone loopback host for runs outside a simulator', async () => {
    const own = await startLocalHost({ region: 'eu-west-1', accountId: '222222222222' });
    try {
      const arn = own.engine.createStateMachine('own', JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }), {
        s3: fakeS3().client,
        functions: {},
      });
      const client = new SFNClient({ endpoint: own.url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
      const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"k":1}' }));
      await own.engine.describe(executionArn!)!.done;
      expect((await client.send(new DescribeExecutionCommand({ executionArn }))).output).toBe('{"k":1}');
      const page = await fetch(`${own.url}/approvals/none`);
      expect(page.status).toBe(404);
    } finally {
      await own.stop();
    }
  });
});
