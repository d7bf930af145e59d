import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_FUNCTIONS, functionArnPlaceholder } from '../../src/core/functions.ts';
import { STATE_MACHINE_PLACEHOLDERS, SWEEP_ASL_PATH, placeholdersIn, readSweepAsl, substitutePlaceholders } from '../../statemachine/placeholders.ts';
import { prepareDefinition, parseDefinition, type MachineDef, type StateDef } from '../../local/runner/definition.ts';

const text = readSweepAsl();
const definition = JSON.parse(text) as MachineDef;
const LAMBDA_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

function* allStates(machine: MachineDef): Generator<[string, StateDef]> {
  for (const [name, state] of Object.entries(machine.States)) {
    yield [name, state];
    const processor = state.ItemProcessor as MachineDef | undefined;
    if (processor) yield* allStates(processor);
  }
}

describe('statemachine/sweep.asl.json', () => {
  it('passes asl-validator (ARNs and paths checked)', () => {
    // asl-validator fills in defaults on the object it is given: pass a copy.
    const result = aslValidator(structuredClone(definition), { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses exactly the placeholders statemachine/placeholders.ts lists (what infra substitutes)', () => {
    expect(placeholdersIn(text)).toEqual([...STATE_MACHINE_PLACEHOLDERS].sort());
    for (const name of WORKFLOW_FUNCTIONS) expect(text).toContain(`\${${functionArnPlaceholder(name)}}`);
  });

  it('is the only definition file and is JSONPath (the local interpreter cannot run JSONata)', () => {
    const dir = fileURLToPath(new URL('../../statemachine/', import.meta.url));
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toEqual(['sweep.asl.json']);
    expect(SWEEP_ASL_PATH.endsWith('sweep.asl.json')).toBe(true);
    expect(text).not.toContain('JSONata');
    for (const [, state] of allStates(definition)) expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('validates the input first and routes every top-level failure to RecordFailure', () => {
    expect(definition.StartAt).toBe('ValidateInput');
    for (const [name, state] of Object.entries(definition.States)) {
      if (!['Task', 'Map'].includes(state.Type) || name === 'RecordFailure') continue;
      const catches = state.Catch as { ErrorEquals: string[]; Next: string }[];
      expect(catches.at(-1), name).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'RecordFailure' });
    }
    expect(definition.States.RecordFailure!.Next).toBe('SweepFailed');
    expect(definition.States.SweepFailed!.Type).toBe('Fail');
  });

  it('retries Lambda service errors and RetryableAwsError with capped, jittered backoff on every task', () => {
    for (const [name, state] of allStates(definition)) {
      if (state.Type !== 'Task') continue;
      const retry = state.Retry as { ErrorEquals: string[]; MaxDelaySeconds?: number; JitterStrategy?: string; BackoffRate?: number }[];
      const errors = retry.flatMap((r) => r.ErrorEquals);
      for (const error of [...LAMBDA_ERRORS, 'RetryableAwsError']) expect(errors, `${name} retries ${error}`).toContain(error);
      for (const r of retry) expect(r, name).toMatchObject({ JitterStrategy: 'FULL', MaxDelaySeconds: expect.any(Number), BackoffRate: expect.any(Number) });
      // Never retry everything: input errors and failed snapshots must fail fast.
      expect(errors).not.toContain('States.ALL');
    }
  });

  it('runs three Distributed Maps reading items from S3 and writing results to the archive bucket', () => {
    const maps = [...allStates(definition)].filter(([, s]) => s.Type === 'Map');
    expect(maps.map(([n]) => n).sort()).toEqual(['DeleteApproved', 'ScanTargets', 'SnapshotAndTag']);
    for (const [, map] of maps) {
      expect(map.ItemReader).toMatchObject({
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { Bucket: '${ArchiveBucket}' },
      });
      expect(map.ResultWriter).toMatchObject({ Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: '${ArchiveBucket}' } });
      expect(map.MaxConcurrencyPath).toMatch(/^\$\.sweep\.settings\./);
    }
    const scan = definition.States.ScanTargets!;
    expect(scan.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } });
    expect(scan.ToleratedFailurePercentagePath).toBe('$.sweep.settings.scanToleratedFailurePercentage');
    // Most account-regions hold few endpoints: several targets share one child.
    expect(scan.ItemBatcher).toMatchObject({ MaxItemsPerBatch: expect.any(Number) });
  });

  it('gives every task a timeout its execution type can honour', () => {
    // Express executions end at 5 minutes (retries included); a Lambda runs at most 900 s.
    // https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
    const EXPRESS_SECONDS = 300;
    const LAMBDA_SECONDS = 900;
    const check = (machine: MachineDef, express: boolean) => {
      for (const [name, state] of Object.entries(machine.States)) {
        if (state.Type === 'Task' && state.Resource !== 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
          expect(state.TimeoutSeconds, `${name} has a timeout`).toEqual(expect.any(Number));
          expect(state.TimeoutSeconds as number, name).toBeLessThanOrEqual(express ? EXPRESS_SECONDS : LAMBDA_SECONDS);
        }
        const processor = state.ItemProcessor as (MachineDef & { ProcessorConfig?: { ExecutionType?: string } }) | undefined;
        if (processor) check(processor, express || processor.ProcessorConfig?.ExecutionType === 'EXPRESS');
      }
    };
    check(definition, false);
  });

  it('catches a failed snapshot per endpoint, and tags only after a complete snapshot', () => {
    const processor = definition.States.SnapshotAndTag!.ItemProcessor as MachineDef;
    const snapshot = processor.States.Snapshot!;
    expect((snapshot.Catch as { ErrorEquals: string[]; Next: string }[])[0]).toMatchObject({ ErrorEquals: ['SnapshotFailedError'], Next: 'SnapshotFailed' });
    const progress = processor.States.SnapshotProgress!;
    expect(progress.Choices).toContainEqual({ Variable: '$.snapshot.status', StringEquals: 'complete', Next: 'Tag' });
    expect(progress.Default).toBe('SnapshotIncomplete');
    // Nothing but a complete snapshot leads to Tag.
    const toTag = [...allStates(processor)].filter(([, s]) => s.Next === 'Tag' || JSON.stringify(s.Choices ?? []).includes('"Next":"Tag"'));
    expect(toTag.map(([n]) => n)).toEqual(['SnapshotProgress']);
  });

  it('waits for the approval with a task token, times out from the input, and a timeout deletes nothing', () => {
    const approval = definition.States.RequestApproval!;
    expect(approval.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(approval.Parameters).toMatchObject({ FunctionName: '${RequestApprovalFunctionArn}', Payload: { 'taskToken.$': '$$.Task.Token' } });
    expect(approval.TimeoutSecondsPath).toBe('$.sweep.approval.timeoutSeconds');
    const timeout = (approval.Catch as { ErrorEquals: string[]; Next: string }[])[0]!;
    expect(timeout).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: 'ApprovalExpired' });
    expect(definition.States.ApprovalExpired).toMatchObject({ Parameters: { expired: true }, Next: 'FinalReport' });
  });

  it('substitutes placeholders as JSON strings and refuses a partial substitution', () => {
    const values = Object.fromEntries(STATE_MACHINE_PLACEHOLDERS.map((p) => [p, `v-${p}"`]));
    const substituted = substitutePlaceholders(text, values);
    expect(placeholdersIn(substituted)).toEqual([]);
    expect(JSON.parse(substituted).States.ValidateInput.Resource).toBe('v-ValidateInputFunctionArn"');
    expect(() => substitutePlaceholders(text, { ArchiveBucket: 'b' })).toThrow(/no value for state machine placeholder/);
  });

  it('prepares for the local interpreter: Distributed Maps and the callback become runner tasks, names stay unique', () => {
    const values = Object.fromEntries(
      STATE_MACHINE_PLACEHOLDERS.map((p) => [p, p.endsWith('FunctionArn') ? `arn:aws:lambda:us-east-1:111111111111:function:f-${p}` : '1']),
    );
    const prepared = prepareDefinition(parseDefinition(substitutePlaceholders(text, values)));
    expect(prepared.actions.get('ScanTargets')?.kind).toBe('distributed-map');
    expect(prepared.actions.get('RequestApproval')?.kind).toBe('callback');
    expect(prepared.actions.get('Tag')?.kind).toBe('lambda');
    expect(prepared.definition.States.ScanTargets).toMatchObject({ Type: 'Task', ResultPath: '$.scan', Next: 'Collect' });
    expect(readFileSync(SWEEP_ASL_PATH, 'utf8')).toBe(text);
  });
});
