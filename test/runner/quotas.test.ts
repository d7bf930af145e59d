import { describe, expect, it } from 'vitest';
import { LocalStepFunctions, type LocalMachineOptions } from '../../local/runner/engine.ts';
import type { LambdaFunction } from '../../local/runner/lambda.ts';
import { AWS_QUOTAS, type Quotas } from '../../local/runner/quotas.ts';
import { fakeS3 } from './fake-s3.ts';

const FN = (name: string) => `arn:aws:lambda:us-east-1:111111111111:function:${name}`;
const KIB = 1024;

function engineWith(
  definition: unknown,
  functions: Record<string, LambdaFunction>,
  options: { quotas?: Partial<Quotas>; items?: unknown[]; machine?: Partial<LocalMachineOptions> } = {},
) {
  const s3 = fakeS3({ 'bucket/items.json': options.items ?? [] });
  const engine = new LocalStepFunctions({ region: 'us-east-1', accountId: '111111111111', quotas: options.quotas });
  const arn = engine.createStateMachine('quotas', JSON.stringify(definition), { s3: s3.client, functions, retryIntervalMs: 0, ...options.machine });
  return { engine, arn, s3 };
}

async function runOnce(definition: unknown, functions: Record<string, LambdaFunction>, input: unknown = {}, options: Parameters<typeof engineWith>[2] = {}) {
  const { engine, arn, s3 } = engineWith(definition, functions, options);
  const record = await engine.start(arn, JSON.stringify(input)).record.done;
  return { record, s3, output: record.output ? JSON.parse(record.output) : undefined };
}

/** A big result, then a destructive step: the quota must stop the execution before the second runs. */
function bigThenDestroy(extra: Record<string, unknown> = {}) {
  return {
    StartAt: 'Big',
    States: {
      Big: {
        Type: 'Task',
        Resource: FN('big'),
        ResultPath: '$.big',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Destroy' }],
        Next: 'Destroy',
        ...extra,
      },
      Destroy: { Type: 'Task', Resource: FN('destroy'), ResultPath: '$.destroyed', End: true },
    },
  };
}

describe('Step Functions quotas in the local runner', () => {
  it('fails the execution with States.DataLimitExceeded when a task result passes 256 KiB, and Catch States.ALL does not save it', async () => {
    let destroyed = 0;
    const { record } = await runOnce(bigThenDestroy(), {
      big: async () => ({ blob: 'x'.repeat(257 * KIB) }),
      destroy: async () => {
        destroyed++;
        return {};
      },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.DataLimitExceeded');
    expect(record.cause).toMatch(/the result of state Big has \d+ bytes, over the Step Functions payload quota of 262144 bytes/);
    expect(destroyed).toBe(0);
    expect(record.history.at(-1)!.type).toBe('ExecutionFailed');
    expect(record.usage.maxPayloadBytes).toBeGreaterThan(AWS_QUOTAS.payloadBytes);
  });

  it('fails when a Pass state builds an output over 256 KiB from smaller pieces, before the next task starts', async () => {
    let destroyed = 0;
    const definition = {
      StartAt: 'Half',
      States: {
        Half: { Type: 'Task', Resource: FN('half'), Next: 'Double' },
        Double: { Type: 'Pass', Parameters: { 'a.$': '$.blob', 'b.$': '$.blob' }, Next: 'Destroy' },
        Destroy: { Type: 'Task', Resource: FN('destroy'), Parameters: { small: true }, End: true },
      },
    };
    const { record } = await runOnce(definition, {
      half: async () => ({ blob: 'x'.repeat(150 * KIB) }),
      destroy: async () => {
        destroyed++;
        return {};
      },
    });
    expect(record).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(record.cause).toContain('the output of state Double');
    expect(destroyed).toBe(0);
  });

  it('accepts a payload of exactly 256 KiB', async () => {
    // {"b":"xxx..."} is 8 bytes of JSON around the string.
    const { record } = await runOnce(
      { StartAt: 'Big', States: { Big: { Type: 'Task', Resource: FN('big'), End: true } } },
      { big: async () => ({ b: 'x'.repeat(AWS_QUOTAS.payloadBytes - 8) }) },
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(record.usage.maxPayloadBytes).toBe(AWS_QUOTAS.payloadBytes);
  });

  it('fails with States.Runtime when the history reaches 25,000 events, the last of which is ExecutionFailed', async () => {
    const definition = {
      StartAt: 'Count',
      States: {
        Count: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'Again' },
        Again: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThanEquals: 0, Next: 'Count' }], Default: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const { record } = await runOnce(definition, {}, { n: 0 });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.Runtime');
    expect(record.cause).toBe('The execution reached the maximum number of history events (25000).');
    expect(record.history).toHaveLength(25_000);
    expect(record.history.at(-1)).toMatchObject({ id: 25_000, type: 'ExecutionFailed' });
    expect(record.usage.maxHistoryEvents).toBe(25_000);
  });

  it('times out an Express child at the Express maximum duration with States.Timeout', async () => {
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'bucket', Key: 'items.json' } },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
            StartAt: 'Slow',
            States: { Slow: { Type: 'Task', Resource: FN('slow'), End: true } },
          },
          ResultPath: '$.results',
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    };
    // The handler never answers: only the Express limit (lowered here so the test does not wait 5 minutes) ends the child.
    const { record, output } = await runOnce(
      definition,
      { slow: () => new Promise(() => undefined) },
      {},
      { items: [{ n: 1 }], quotas: { expressDurationMs: 50 } },
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(output.error.Error).toBe('States.ExceedToleratedFailureThreshold');
    expect(output.results).toBeUndefined();
    expect(record.usage.expressRequests).toBe(1);
  });

  it('batches Distributed Map items with ItemBatcher, and counts a failed batch as all of its items', async () => {
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'bucket', Key: 'items.json' } },
          ItemBatcher: { MaxItemsPerBatch: 10, BatchInput: { 'label.$': '$.label' } },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Work',
            States: { Work: { Type: 'Task', Resource: FN('work'), End: true } },
          },
          ToleratedFailureCount: 5,
          ResultPath: '$.results',
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    };
    const seen: { label: string; size: number }[] = [];
    const work: LambdaFunction = async (event) => {
      const batch = event as { BatchInput: { label: string }; Items: { n: number }[] };
      seen.push({ label: batch.BatchInput.label, size: batch.Items.length });
      if (batch.Items.some((item) => item.n === 24)) throw Object.assign(new Error('bad batch'), { name: 'BadBatch' });
      return batch.Items.map((item) => item.n);
    };
    const items = Array.from({ length: 25 }, (_, n) => ({ n }));
    const { record, output } = await runOnce(definition, { work }, { label: 'L' }, { items });
    expect(seen.map((s) => s.size).sort((a, b) => a - b)).toEqual([5, 10, 10]);
    expect(seen.every((s) => s.label === 'L')).toBe(true);
    // The last batch (5 items) failed: 5 failed items are tolerated (ToleratedFailureCount 5).
    expect(record.status).toBe('SUCCEEDED');
    expect(output.error).toBeUndefined();
    expect(record.usage.standardExecutions).toBe(1 + 3);
  });

  it('counts state transitions (retries included) and Lambda GB-seconds at each function memory size', async () => {
    let attempts = 0;
    const definition = {
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: FN('flaky'), Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 2 }], Next: 'Between' },
        Between: { Type: 'Pass', Next: 'Second' },
        Second: { Type: 'Task', Resource: FN('steady'), End: true },
      },
    };
    const { record } = await runOnce(
      definition,
      {
        flaky: async () => {
          if (attempts++ === 0) throw Object.assign(new Error('once'), { name: 'Flaky' });
          return {};
        },
        steady: async () => ({}),
      },
      {},
      { machine: { lambdaMemoryMb: (name) => (name === 'flaky' ? 512 : 2048) } },
    );
    expect(record.status).toBe('SUCCEEDED');
    // First (entered once, retried once), Between, Second.
    expect(record.usage.transitions).toBe(4);
    expect(record.usage.lambdaRequests).toBe(3);
    expect(record.usage.lambdaGbSecondsByFunction.flaky).toBeGreaterThanOrEqual(2 * 0.001 * 0.5);
    expect(record.usage.lambdaGbSecondsByFunction.steady).toBeGreaterThanOrEqual(0.001 * 2);
  });

  it('fails a Lambda response over 6 MB with Function.ResponseSizeTooLarge, which Catch can handle', async () => {
    const { record, output } = await runOnce(bigThenDestroy(), { big: async () => 'x'.repeat(7 * 1024 * KIB), destroy: async () => ({ destroyed: true }) });
    expect(record.status).toBe('SUCCEEDED');
    expect(output.error.Error).toBe('Function.ResponseSizeTooLarge');
  });
});
