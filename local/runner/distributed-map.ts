/**
 * What aws-local-stepfunctions lacks for a Distributed Map, supplied explicitly: ItemReader from an
 * S3 JSON array, ItemSelector with `$$.Map.Item`, MaxConcurrency(Path), ToleratedFailurePercentage /
 * ToleratedFailureCount (and their Paths), and ResultWriter to S3 in the AWS layout
 * (`<Prefix>/<map run id>/manifest.json` + `SUCCEEDED_0.json` / `FAILED_0.json`, state output
 * `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }`), and ItemBatcher (children get
 * `{ BatchInput?, Items: [...] }`). Documented in docs/local.md.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { MachineDef, StateDef } from './definition.ts';
import type { Quotas } from './quotas.ts';
import { StateError } from './task-tokens.ts';
import { evaluatePath, evaluateTemplate, type ContextObject, type Json } from './templates.ts';

export type ChildResult = { status: 'SUCCEEDED'; output: Json } | { status: 'FAILED'; error: string; cause: string };

export interface ChildRun {
  executionArn: string;
  name: string;
  startDate: Date;
  stopDate: Date;
  input: Json;
  result: ChildResult;
}

export interface DistributedMapRuntime {
  /** Hub S3 client (the state machine role's S3 access in AWS). */
  s3: S3Client;
  /** The parent execution's context object (`$$`). */
  context: ContextObject;
  /** ARN prefix pieces for map run and child execution ARNs. */
  region: string;
  accountId: string;
  stateMachineName: string;
  quotas: Pick<Quotas, 'distributedMapConcurrency' | 'batchInputBytes'>;
  /** Runs one child execution of the processor. Never throws: failures come back as results. */
  runChild(processor: MachineDef, input: Json, executionArn: string, name: string, type: 'EXPRESS' | 'STANDARD'): Promise<ChildResult>;
  /** AWS runs up to 10,000 children when MaxConcurrency is 0 or absent; locally this many. */
  unboundedConcurrency?: number;
  /** Told about the map run (history events, progress). */
  onMapRun?(event: { type: 'MapRunStarted' | 'MapRunSucceeded' | 'MapRunFailed'; mapRunArn: string; stateName: string; items: number; failed: number }): void;
}

/** Unset thresholds are absent: with neither set, any failed child fails the map run. */
export interface Tolerance {
  percentage?: number;
  count?: number;
}

export async function runDistributedMap(stateName: string, state: StateDef, processor: MachineDef, input: Json, runtime: DistributedMapRuntime): Promise<Json> {
  unsupported(stateName, state);
  const items = await readItems(stateName, state, input, runtime);
  const maxConcurrency = (await numberSetting(state, 'MaxConcurrency', input, runtime.context)) ?? 0;
  const limit = Math.min(maxConcurrency > 0 ? maxConcurrency : (runtime.unboundedConcurrency ?? 40), runtime.quotas.distributedMapConcurrency);
  const tolerance: Tolerance = {
    percentage: await numberSetting(state, 'ToleratedFailurePercentage', input, runtime.context),
    count: await numberSetting(state, 'ToleratedFailureCount', input, runtime.context),
  };
  const config = (state.ItemProcessor ?? state.Iterator) as { ProcessorConfig?: { ExecutionType?: string } };
  const executionType = config.ProcessorConfig?.ExecutionType === 'STANDARD' ? 'STANDARD' : 'EXPRESS';
  const runId = randomUUID();
  const arnBase = `${runtime.region}:${runtime.accountId}`;
  const mapRunArn = `arn:aws:states:${arnBase}:mapRun:${runtime.stateMachineName}/${stateName}:${runId}`;
  runtime.onMapRun?.({ type: 'MapRunStarted', mapRunArn, stateName, items: items.length, failed: 0 });

  const selected: Json[] = [];
  for (const [index, item] of items.entries()) selected.push(await itemInput(state, input, runtime.context, item, index));
  const children = await batches(stateName, state, input, selected, runtime);
  const runs: (ChildRun | undefined)[] = new Array(children.length);
  let failed = 0;
  let next = 0;
  let exceeded = false;
  const worker = async () => {
    while (!exceeded && next < children.length) {
      const index = next++;
      const { childInput, itemCount } = children[index]!;
      const name = randomUUID();
      const executionArn =
        executionType === 'EXPRESS'
          ? `arn:aws:states:${arnBase}:express:${runtime.stateMachineName}/${stateName}:${runId}:${name}`
          : `arn:aws:states:${arnBase}:execution:${runtime.stateMachineName}/${stateName}:${name}`;
      const startDate = new Date();
      const result = await runtime.runChild(processor, childInput, executionArn, name, executionType);
      runs[index] = { executionArn, name, startDate, stopDate: new Date(), input: childInput, result };
      if (result.status === 'FAILED') {
        // A failed batch fails every item in it, and tolerance counts items.
        failed += itemCount;
        // AWS fails the map run as soon as the threshold is crossed and starts no more children.
        if (exceedsTolerance(failed, items.length, tolerance)) exceeded = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, children.length)) }, worker));

  const completed = runs.filter((r): r is ChildRun => r !== undefined);
  const output = state.ResultWriter
    ? await writeResults(stateName, state, input, completed, mapRunArn, runId, runtime)
    : completed.map((run) => (run.result.status === 'SUCCEEDED' ? run.result.output : { Error: run.result.error, Cause: run.result.cause }));
  runtime.onMapRun?.({ type: exceeded ? 'MapRunFailed' : 'MapRunSucceeded', mapRunArn, stateName, items: items.length, failed });
  if (exceeded) {
    throw new StateError(
      'States.ExceedToleratedFailureThreshold',
      `The specified tolerated failure threshold was exceeded: ${failed} of ${items.length} items failed`,
    );
  }
  return output;
}

/** Either threshold crossed fails the run (each is a maximum: "failed items before the Map Run fails"). */
export function exceedsTolerance(failed: number, total: number, tolerance: Tolerance): boolean {
  if (failed === 0 || total === 0) return false;
  if (tolerance.count === undefined && tolerance.percentage === undefined) return true;
  if (tolerance.count !== undefined && failed > tolerance.count) return true;
  return tolerance.percentage !== undefined && (failed / total) * 100 > tolerance.percentage;
}

interface ChildWork {
  childInput: Json;
  itemCount: number;
}

interface BatcherSettings {
  MaxItemsPerBatch?: number;
  MaxItemsPerBatchPath?: string;
  MaxInputBytesPerBatch?: number;
  MaxInputBytesPerBatchPath?: string;
  BatchInput?: Json;
}

/**
 * One child per item, or with ItemBatcher, consecutive items grouped up to MaxItemsPerBatch and
 * MaxInputBytesPerBatch (at most 256 KiB, AWS's ceiling). A single item too large for a batch on its
 * own still goes alone: its child then meets the payload quota.
 */
async function batches(stateName: string, state: StateDef, input: Json, selected: Json[], runtime: DistributedMapRuntime): Promise<ChildWork[]> {
  const batcher = state.ItemBatcher as BatcherSettings | undefined;
  if (!batcher) return selected.map((childInput) => ({ childInput, itemCount: 1 }));
  const setting = async (value: number | undefined, path: string | undefined) => (path ? Number(await evaluatePath(path, input, runtime.context)) : value);
  const maxItems = await setting(batcher.MaxItemsPerBatch, batcher.MaxItemsPerBatchPath);
  const maxBytes = Math.min(
    (await setting(batcher.MaxInputBytesPerBatch, batcher.MaxInputBytesPerBatchPath)) ?? runtime.quotas.batchInputBytes,
    runtime.quotas.batchInputBytes,
  );
  if (maxItems !== undefined && !(Number.isInteger(maxItems) && maxItems > 0))
    throw new StateError('States.Runtime', `${stateName}: ItemBatcher MaxItemsPerBatch must be a positive integer, got ${maxItems}`);
  const batchInput = batcher.BatchInput === undefined ? undefined : await evaluateTemplate(batcher.BatchInput, input, runtime.context);
  const envelope = (items: Json[]): Json => (batchInput === undefined ? { Items: items } : { BatchInput: batchInput, Items: items });
  const emptyBytes = Buffer.byteLength(JSON.stringify(envelope([])));
  const out: ChildWork[] = [];
  let current: Json[] = [];
  let currentBytes = emptyBytes;
  for (const item of selected) {
    const itemBytes = Buffer.byteLength(JSON.stringify(item)) + 1;
    const full = current.length > 0 && ((maxItems !== undefined && current.length >= maxItems) || currentBytes + itemBytes > maxBytes);
    if (full) {
      out.push({ childInput: envelope(current), itemCount: current.length });
      current = [];
      currentBytes = emptyBytes;
    }
    current.push(item);
    currentBytes += itemBytes;
  }
  if (current.length > 0) out.push({ childInput: envelope(current), itemCount: current.length });
  return out;
}

function unsupported(stateName: string, state: StateDef): void {
  const writer = state.ResultWriter as { WriterConfig?: unknown } | undefined;
  if (writer?.WriterConfig !== undefined)
    throw new StateError('States.Runtime', `${stateName}: ResultWriter.WriterConfig is not supported by the local runner`);
}

async function readItems(stateName: string, state: StateDef, input: Json, runtime: DistributedMapRuntime): Promise<Json[]> {
  const reader = state.ItemReader as
    { Resource: string; Parameters?: Json; ReaderConfig?: { InputType?: string; MaxItems?: number; MaxItemsPath?: string } } | undefined;
  let items: Json;
  if (!reader) {
    items = state.ItemsPath ? await evaluatePath(String(state.ItemsPath), input, runtime.context) : input;
  } else {
    if (reader.Resource !== 'arn:aws:states:::s3:getObject' || reader.ReaderConfig?.InputType !== 'JSON') {
      throw new StateError('States.Runtime', `${stateName}: the local runner reads items only from a JSON array in S3 (s3:getObject, InputType JSON)`);
    }
    const params = (await evaluateTemplate(reader.Parameters ?? {}, input, runtime.context)) as { Bucket?: string; Key?: string };
    if (!params.Bucket || !params.Key) throw new StateError('States.Runtime', `${stateName}: ItemReader Parameters need Bucket and Key`);
    let text: string;
    try {
      const object = await runtime.s3.send(new GetObjectCommand({ Bucket: params.Bucket, Key: params.Key }));
      text = await object.Body!.transformToString('utf8');
    } catch (error) {
      throw new StateError('States.ItemReaderFailed', `cannot read s3://${params.Bucket}/${params.Key}: ${(error as Error).name}: ${(error as Error).message}`);
    }
    try {
      items = JSON.parse(text) as Json;
    } catch {
      throw new StateError('States.ItemReaderFailed', `s3://${params.Bucket}/${params.Key} is not valid JSON`);
    }
    const maxItems = reader.ReaderConfig.MaxItemsPath
      ? Number(await evaluatePath(reader.ReaderConfig.MaxItemsPath, input, runtime.context))
      : reader.ReaderConfig.MaxItems;
    if (Array.isArray(items) && maxItems && maxItems > 0) items = items.slice(0, maxItems);
  }
  if (!Array.isArray(items)) throw new StateError('States.ItemReaderFailed', `${stateName}: the item source is not a JSON array`);
  return items;
}

async function numberSetting(state: StateDef, field: string, input: Json, context: ContextObject): Promise<number | undefined> {
  const literal = state[field];
  if (typeof literal === 'number') return literal;
  const path = state[`${field}Path`];
  if (typeof path !== 'string') return undefined;
  const value = await evaluatePath(path, input, context);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new StateError('States.Runtime', `${field}Path ${path} must select a non-negative number, got ${JSON.stringify(value)}`);
  }
  return value;
}

async function itemInput(state: StateDef, input: Json, context: ContextObject, item: Json, index: number): Promise<Json> {
  const selector = (state.ItemSelector ?? state.Parameters) as Json | undefined;
  if (selector === undefined) return item;
  return evaluateTemplate(selector, input, { ...context, Map: { Item: { Index: index, Value: item } } });
}

async function writeResults(
  stateName: string,
  state: StateDef,
  input: Json,
  runs: ChildRun[],
  mapRunArn: string,
  runId: string,
  runtime: DistributedMapRuntime,
): Promise<Json> {
  const writer = state.ResultWriter as { Resource: string; Parameters?: Json };
  if (writer.Resource !== 'arn:aws:states:::s3:putObject') throw new StateError('States.Runtime', `${stateName}: ResultWriter supports only s3:putObject`);
  const params = (await evaluateTemplate(writer.Parameters ?? {}, input, runtime.context)) as { Bucket?: string; Prefix?: string };
  if (!params.Bucket) throw new StateError('States.ResultWriterFailed', `${stateName}: ResultWriter Parameters need Bucket`);
  const prefix = params.Prefix ? (params.Prefix.endsWith('/') ? params.Prefix : `${params.Prefix}/`) : '';
  const base = `${prefix}${runId}/`;
  const stateMachineArn = `arn:aws:states:${runtime.region}:${runtime.accountId}:stateMachine:${runtime.stateMachineName}/${stateName}`;
  const entry = (run: ChildRun) => ({
    ExecutionArn: run.executionArn,
    Input: JSON.stringify(run.input),
    InputDetails: { Included: true },
    Name: run.name,
    ...(run.result.status === 'SUCCEEDED'
      ? { Output: JSON.stringify(run.result.output), OutputDetails: { Included: true } }
      : { Error: run.result.error, Cause: run.result.cause }),
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    StartDate: run.startDate.toISOString(),
    StateMachineArn: stateMachineArn,
    Status: run.result.status,
    StopDate: run.stopDate.toISOString(),
  });
  const resultFiles: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string; Size: number }[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  const put = async (key: string, body: string) => {
    try {
      await runtime.s3.send(new PutObjectCommand({ Bucket: params.Bucket, Key: key, Body: body, ContentType: 'application/json' }));
    } catch (error) {
      throw new StateError('States.ResultWriterFailed', `cannot write s3://${params.Bucket}/${key}: ${(error as Error).name}: ${(error as Error).message}`);
    }
  };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const entries = runs.filter((run) => run.result.status === status).map(entry);
    if (entries.length === 0) continue;
    const key = `${base}${status}_0.json`;
    const body = JSON.stringify(entries);
    await put(key, body);
    resultFiles[status].push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${base}manifest.json`;
  await put(manifestKey, JSON.stringify({ DestinationBucket: params.Bucket, MapRunArn: mapRunArn, ResultFiles: resultFiles }, null, 2));
  return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: params.Bucket, Key: manifestKey } };
}
