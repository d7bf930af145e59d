import { describe, expect, it } from 'vitest';
import { exceedsTolerance } from '../../local/runner/distributed-map.ts';
import { LocalStepFunctions, type LocalMachineOptions } from '../../local/runner/engine.ts';
import type { LambdaFunction } from '../../local/runner/lambda.ts';
import { fakeS3 } from './fake-s3.ts';

const FN = (name: string) => `arn:aws:lambda:us-east-1:111111111111:function:${name}`;

/** A tiny parent machine around one Distributed Map, caught errors kept in `$.error`. */
function fanOut(map: Record<string, unknown>) {
  return JSON.stringify({
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'bucket', 'Key.$': '$.itemsKey' } },
        ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index', 'label.$': '$.label' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
          StartAt: 'Work',
          States: { Work: { Type: 'Task', Resource: FN('work'), End: true } },
        },
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'bucket', 'Prefix.$': '$.prefix' } },
        ResultPath: '$.results',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
        End: true,
        ...map,
      },
      Failed: { Type: 'Pass', End: true },
    },
  });
}

async function run(definition: string, input: unknown, items: unknown[], work: LambdaFunction, extra: Partial<LocalMachineOptions> = {}) {
  const s3 = fakeS3({ 'bucket/items.json': items });
  const engine = new LocalStepFunctions({ region: 'us-east-1', accountId: '111111111111' });
  const arn = engine.createStateMachine('unit', definition, { s3: s3.client, functions: { work }, retryIntervalMs: 0, ...extra });
  const record = await engine.start(arn, JSON.stringify(input)).record.done;
  const json = (key: string) => JSON.parse(s3.objects.get(`bucket/${key}`) ?? 'null');
  return { record, output: record.output ? JSON.parse(record.output) : undefined, json, s3 };
}

describe('local Distributed Map', () => {
  it('reads items from S3, applies ItemSelector with $$.Map.Item, and writes results in the ResultWriter layout', async () => {
    const { record, output, json } = await run(
      fanOut({ MaxConcurrency: 2 }),
      { itemsKey: 'items.json', label: 'L', prefix: 'out' },
      [{ n: 1 }, { n: 2 }, { n: 3 }],
      async (event) => {
        const e = event as { value: { n: number }; index: number; label: string };
        return { doubled: e.value.n * 2, index: e.index, label: e.label };
      },
    );
    expect(record.status).toBe('SUCCEEDED');
    const details = output.results.ResultWriterDetails;
    expect(details.Bucket).toBe('bucket');
    expect(details.Key).toMatch(/^out\/[0-9a-f-]{36}\/manifest\.json$/);
    expect(output.results.MapRunArn).toMatch(/^arn:aws:states:us-east-1:111111111111:mapRun:unit\/Fan:/);
    const manifest = json(details.Key);
    expect(manifest).toMatchObject({ DestinationBucket: 'bucket', MapRunArn: output.results.MapRunArn, ResultFiles: { FAILED: [], PENDING: [] } });
    const succeeded = json(manifest.ResultFiles.SUCCEEDED[0].Key) as { Output: string; Input: string; Status: string; ExecutionArn: string }[];
    expect(succeeded.map((e) => JSON.parse(e.Output)).sort((a, b) => a.index - b.index)).toEqual([
      { doubled: 2, index: 0, label: 'L' },
      { doubled: 4, index: 1, label: 'L' },
      { doubled: 6, index: 2, label: 'L' },
    ]);
    expect(succeeded.every((e) => e.Status === 'SUCCEEDED' && e.ExecutionArn.includes(':express:unit/Fan:'))).toBe(true);
    expect(record.history.map((e) => e.type)).toEqual(expect.arrayContaining(['MapStateEntered', 'MapRunStarted', 'MapRunSucceeded', 'MapStateExited']));
  });

  it('never runs more children at once than MaxConcurrencyPath allows', async () => {
    let inFlight = 0;
    let peak = 0;
    const { record } = await run(
      fanOut({ MaxConcurrencyPath: '$.limit' }),
      { itemsKey: 'items.json', label: 'L', prefix: 'p', limit: 3 },
      Array.from({ length: 12 }, (_, n) => ({ n })),
      async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return {};
      },
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(peak).toBe(3);
  });

  it('tolerates failures up to ToleratedFailurePercentage and reports them in FAILED_0.json with the Lambda error', async () => {
    const failOdd: LambdaFunction = async (event) => {
      const n = (event as { value: { n: number } }).value.n;
      if (n % 4 === 1) throw Object.assign(new Error(`item ${n} broke`), { name: 'ItemBrokeError' });
      return { n };
    };
    const items = Array.from({ length: 8 }, (_, n) => ({ n }));
    const ok = await run(fanOut({ ToleratedFailurePercentage: 25 }), { itemsKey: 'items.json', label: 'L', prefix: 'p' }, items, failOdd);
    expect(ok.record.status).toBe('SUCCEEDED');
    const manifest = ok.json(ok.output.results.ResultWriterDetails.Key);
    const failed = ok.json(manifest.ResultFiles.FAILED[0].Key) as { Error: string; Cause: string; Input: string }[];
    expect(failed).toHaveLength(2);
    expect(failed[0]!.Error).toBe('ItemBrokeError');
    expect(JSON.parse(failed[0]!.Cause)).toMatchObject({ errorType: 'ItemBrokeError', errorMessage: expect.stringMatching(/^item \d broke$/) });

    const strict = await run(fanOut({ ToleratedFailurePercentage: 20 }), { itemsKey: 'items.json', label: 'L', prefix: 'p' }, items, failOdd);
    expect(strict.output.error.Error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('fails the map on any failure without a threshold, and with States.ItemReaderFailed when the items are missing', async () => {
    const broken = await run(fanOut({}), { itemsKey: 'items.json', label: 'L', prefix: 'p' }, [{ n: 1 }], async () => {
      throw new Error('nope');
    });
    expect(broken.output.error.Error).toBe('States.ExceedToleratedFailureThreshold');
    const missing = await run(fanOut({}), { itemsKey: 'absent.json', label: 'L', prefix: 'p' }, [], async () => ({}));
    expect(missing.output.error).toMatchObject({ Error: 'States.ItemReaderFailed' });
  });

  it('computes the thresholds like AWS: a count, a percentage, either one crossed fails', () => {
    expect(exceedsTolerance(0, 10, {})).toBe(false);
    expect(exceedsTolerance(1, 10, {})).toBe(true);
    expect(exceedsTolerance(2, 10, { count: 2 })).toBe(false);
    expect(exceedsTolerance(3, 10, { count: 2 })).toBe(true);
    expect(exceedsTolerance(1, 10, { percentage: 10 })).toBe(false);
    expect(exceedsTolerance(2, 10, { percentage: 10 })).toBe(true);
    expect(exceedsTolerance(2, 10, { percentage: 50, count: 1 })).toBe(true);
  });

  it('runs inline Maps and Choice with the interpreter, and retries by error name with the interval override', async () => {
    let attempts = 0;
    const engine = new LocalStepFunctions({ region: 'us-east-1', accountId: '111111111111' });
    const arn = engine.createStateMachine(
      'inline',
      JSON.stringify({
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              StartAt: 'Flaky',
              States: {
                Flaky: { Type: 'Task', Resource: FN('flaky'), Retry: [{ ErrorEquals: ['RetryableAwsError'], IntervalSeconds: 30, MaxAttempts: 3 }], End: true },
              },
            },
            End: true,
          },
        },
      }),
      {
        s3: fakeS3().client,
        retryIntervalMs: 1,
        functions: {
          flaky: async (event) => {
            if (attempts++ < 2) throw Object.assign(new Error('slow down'), { name: 'RetryableAwsError' });
            return event;
          },
        },
      },
    );
    const record = await engine.start(arn, JSON.stringify({ items: [1, 2] })).record.done;
    expect(record.status).toBe('SUCCEEDED');
    expect(JSON.parse(record.output!)).toEqual([1, 2]);
    expect(attempts).toBe(4);
  });
});
