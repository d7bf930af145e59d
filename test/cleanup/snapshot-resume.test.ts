import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layout } from '../../src/core/layout.ts';
import { RetryableAwsError, SnapshotFailedError } from '../../src/core/errors.ts';
import { ManifestSchema } from '../../src/cleanup/snapshot/manifest.ts';
import { snapshotEndpoint, type SnapshotDeps } from '../../src/cleanup/snapshot/snapshot.ts';
import type { SnapshotResult } from '../../src/cleanup/snapshot/manifest.ts';
import type { Candidate } from '../../src/core/schemas.ts';
import { createHandler } from '../../functions/snapshot/handler.ts';
import { ARCHIVE, candidateFor, deploy, IMAGE, MEMBER, MODELS, REGION, startSnapshotEnv, SWEEP, tree, type SnapshotEnv } from './snapshot-fixtures.ts';

let env: SnapshotEnv;

beforeAll(async () => {
  env = await startSnapshotEnv();
});
afterAll(async () => env?.stop());

const GIB = 1024 ** 3;

function deployTree(name: string, prefix: string, count: number): void {
  deploy(
    env,
    name,
    [
      {
        ModelName: `${name}-model`,
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataSource: { S3DataSource: { S3Uri: tree(env, prefix, count), S3DataType: 'S3Prefix', CompressionType: 'None' } },
        },
      },
    ],
    {
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `${name}-model`, InstanceType: 'ml.g5.2xlarge', InitialInstanceCount: 1 }],
    },
  );
}

function deployBig(name: string, key: string, size: number, seed: number): void {
  env.store.putObject(MODELS, key, { synthetic: { size, seed } });
  deploy(env, name, [{ ModelName: `${name}-model`, PrimaryContainer: { Image: IMAGE, ModelDataUrl: `s3://${MODELS}/${key}` } }], {
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `${name}-model`, InstanceType: 'ml.p3.2xlarge', InitialInstanceCount: 1 }],
  });
}

/** Drives the snapshot like the state machine: call again with the continuation until complete. */
async function untilComplete(
  candidate: Candidate,
  deps: SnapshotDeps,
  maxRuns: number,
): Promise<{ result: Extract<SnapshotResult, { status: 'complete' }>; runs: number }> {
  let result = await snapshotEndpoint({ candidate }, deps);
  let runs = 1;
  while (result.status === 'continue') {
    if (runs >= maxRuns) throw new Error(`not complete after ${runs} runs`);
    result = await snapshotEndpoint({ candidate, continuation: result.continuation }, deps);
    runs++;
  }
  return { result, runs };
}

function manifestOf(name: string) {
  return ManifestSchema.parse(JSON.parse(env.store.readBytes(ARCHIVE, layout.manifest(MEMBER, REGION, name, SWEEP)).toString('utf8')));
}

describe('large and many artifacts', () => {
  it('copies a >5 GB artifact by parts (UploadPartCopy) and verifies size and CRC64NVME', async () => {
    deployBig('llm-70b', 'llm/70b/model.tar.gz', 6 * GIB + 12345, 42);
    env.sim.ledger.reset();
    const { result } = await untilComplete(candidateFor('llm-70b'), env.deps(), 1);
    expect(result).toMatchObject({ status: 'complete', artifactCount: 1, bytes: 6 * GIB + 12345 });
    const counts = env.sim.ledger.byOperation({ service: 's3' });
    expect(counts['s3:CopyObject']).toBeUndefined();
    expect(counts['s3:CreateMultipartUpload']).toBe(1);
    expect(counts['s3:UploadPartCopy']).toBe(13); // 512 MiB parts
    expect(counts['s3:CompleteMultipartUpload']).toBe(1);
    const source = env.store.head(MODELS, 'llm/70b/model.tar.gz')!;
    const entry = manifestOf('llm-70b').artifacts[0]!;
    const copy = env.store.head(ARCHIVE, `${layout.artifactPrefix(MEMBER, REGION, 'llm-70b', SWEEP)}${MODELS}/llm/70b/model.tar.gz`)!;
    expect(copy.size).toBe(source.size);
    expect(copy.crc64nvme).toBe(source.crc64nvme);
    expect(entry).toMatchObject({ verification: 'checksum', checksum: { algorithm: 'CRC64NVME', value: source.crc64nvme }, copiedBy: 'UploadPartCopy' });
  });

  it('archives an S3Prefix tree of 1,000 objects with bounded concurrency', async () => {
    deployTree('vision-tree', 'vision/shards/', 1000);
    const { result } = await untilComplete(candidateFor('vision-tree'), env.deps(), 1);
    expect(result.artifactCount).toBe(1000);
    const archived = env.store.listKeys(ARCHIVE, `${layout.artifactPrefix(MEMBER, REGION, 'vision-tree', SWEEP)}${MODELS}/vision/shards/`);
    expect(archived).toHaveLength(1000);
    const manifest = manifestOf('vision-tree');
    expect(manifest.sources[0]).toMatchObject({ kind: 'prefix', objectCount: 1000 });
    expect(new Set(manifest.artifacts.map((a) => a.sourceUri)).size).toBe(1000);
  });
});

describe('interrupted snapshots resume', () => {
  it('a copy failure is retryable, and the retried snapshot skips copies already verified', async () => {
    deployTree('shards-fault', 'fault/shards/', 20);
    let copies = 0;
    const fault = env.sim.traffic.inject({
      service: 's3',
      operation: 'CopyObject',
      when: () => ++copies > 8,
      times: 3,
      error: { code: 'InternalError', message: 'We encountered an internal error. Please try again.', status: 500 },
    });
    const deps = env.deps({ options: { objectConcurrency: 1 } });
    env.sim.ledger.reset();
    await expect(snapshotEndpoint({ candidate: candidateFor('shards-fault') }, deps)).rejects.toThrow(RetryableAwsError);
    env.sim.traffic.remove(fault);
    expect(env.store.head(ARCHIVE, layout.manifest(MEMBER, REGION, 'shards-fault', SWEEP))).toBeUndefined();
    const firstRunCopies = env.sim.ledger.count({ service: 's3', operation: 'CopyObject', errors: false });
    expect(firstRunCopies).toBe(8);

    env.sim.ledger.reset();
    const { result } = await untilComplete(candidateFor('shards-fault'), deps, 1);
    expect(result.artifactCount).toBe(20);
    // Only the 12 objects never copied are copied now; the 8 verified copies are skipped.
    expect(env.sim.ledger.count({ service: 's3', operation: 'CopyObject' })).toBe(12);
    expect(manifestOf('shards-fault').artifacts.filter((a) => a.copiedBy === 'existing-copy')).toHaveLength(8);
  });

  it('never overwrites an object already at an archive key: a copy that does not match fails the snapshot and stays byte-identical', async () => {
    deployTree('planted', 'planted/shards/', 3);
    const learned = await untilComplete(candidateFor('planted'), env.deps(), 1);
    expect(learned.result.artifactCount).toBe(3);
    // The same endpoint in a later sweep, where someone already wrote other bytes at one of the copy keys.
    const later = 'sweep-20260302-000000-b';
    const relative = manifestOf('planted').artifacts[1]!.archiveUri!.replace(`s3://${ARCHIVE}/${layout.artifactPrefix(MEMBER, REGION, 'planted', SWEEP)}`, '');
    const planted = `${layout.artifactPrefix(MEMBER, REGION, 'planted', later)}${relative}`;
    env.store.putObject(ARCHIVE, planted, 'not the model');
    await expect(snapshotEndpoint({ candidate: candidateFor('planted', { sweepId: later }) }, env.deps({ options: { objectConcurrency: 1 } }))).rejects.toThrow(
      /never overwritten/,
    );
    expect(env.store.readBytes(ARCHIVE, planted).toString('utf8')).toBe('not the model');
    expect(env.store.head(ARCHIVE, layout.manifest(MEMBER, REGION, 'planted', later))).toBeUndefined();
  });

  it('an object written at the archive key between the look and the copy is not overwritten either (If-None-Match)', async () => {
    deployTree('raced', 'raced/shards/', 1);
    await untilComplete(candidateFor('raced'), env.deps(), 1);
    const later = 'sweep-20260303-000000-c';
    const relative = manifestOf('raced').artifacts[0]!.archiveUri!.replace(`s3://${ARCHIVE}/${layout.artifactPrefix(MEMBER, REGION, 'raced', SWEEP)}`, '');
    const key = `${layout.artifactPrefix(MEMBER, REGION, 'raced', later)}${relative}`;
    // Someone writes the key after the snapshot looked and before its copy lands.
    const race = env.sim.traffic.inject({
      service: 's3',
      operation: 'CopyObject',
      times: 1,
      before: () => void env.store.putObject(ARCHIVE, key, 'a racing writer'),
    });
    env.sim.ledger.reset();
    await expect(snapshotEndpoint({ candidate: candidateFor('raced', { sweepId: later }) }, env.deps())).rejects.toThrow(SnapshotFailedError);
    env.sim.traffic.remove(race);
    expect(env.sim.ledger.count({ service: 's3', operation: 'CopyObject', errors: true })).toBe(1);
    expect(env.store.readBytes(ARCHIVE, key).toString('utf8')).toBe('a racing writer');
  });

  it('where S3 answers a conditional CopyObject NotImplemented, copies by parts with a conditional completion instead', async () => {
    deployTree('no-conditional-copy', 'ncc/shards/', 3);
    const refuse = env.sim.traffic.inject({
      service: 's3',
      operation: 'CopyObject',
      error: { code: 'NotImplemented', message: 'A header you provided implies functionality that is not implemented', status: 501 },
    });
    env.sim.ledger.reset();
    const { result } = await untilComplete(candidateFor('no-conditional-copy'), env.deps({ options: { objectConcurrency: 1 } }), 1);
    env.sim.traffic.remove(refuse);
    expect(result.artifactCount).toBe(3);
    expect(env.sim.ledger.count({ service: 's3', operation: 'CopyObject' })).toBe(1);
    expect(env.sim.ledger.count({ service: 's3', operation: 'CompleteMultipartUpload', errors: false })).toBe(3);
    expect(manifestOf('no-conditional-copy').artifacts.every((a) => a.copiedBy === 'UploadPartCopy')).toBe(true);
  });

  it('a run out of time returns a continuation; the loop finishes without copying anything twice', async () => {
    deployTree('shards-budget', 'budget/shards/', 12);
    env.sim.ledger.reset();
    const deps = env.deps({ remainingTimeMs: () => 0 });
    const { result, runs } = await untilComplete(candidateFor('shards-budget'), deps, 40);
    expect(runs).toBeGreaterThan(2);
    expect(result.artifactCount).toBe(12);
    expect(env.sim.ledger.count({ service: 's3', operation: 'CopyObject' })).toBe(12);
  });

  it('a multipart copy suspended between runs (or retried after a crash) continues the same upload', async () => {
    deployBig('llm-resume', 'llm/resume/model.tar.gz', 5 * GIB + 1, 7);
    env.sim.ledger.reset();
    const candidate = candidateFor('llm-resume');
    const starved = env.deps({ remainingTimeMs: () => 0 });
    let result = await snapshotEndpoint({ candidate }, starved);
    expect(result).toMatchObject({ status: 'continue', continuation: { runs: 1, itemIndex: 0 } });
    for (let run = 2; run <= 3; run++) {
      if (result.status !== 'continue') throw new Error('expected a continuation');
      result = await snapshotEndpoint({ candidate, continuation: result.continuation }, starved);
      expect(result).toMatchObject({ status: 'continue', continuation: { runs: run } });
    }
    expect(env.sim.ledger.count({ service: 's3', operation: 'UploadPartCopy' })).toBe(3);
    // A fresh run (the state machine retrying after a crash) finds the suspended upload by its archive key.
    const { result: done } = await untilComplete(candidate, env.deps(), 1);
    expect(done.bytes).toBe(5 * GIB + 1);
    const counts = env.sim.ledger.byOperation({ service: 's3' });
    expect(counts['s3:CreateMultipartUpload']).toBe(1);
    expect(counts['s3:UploadPartCopy']).toBe(11);
    expect(counts['s3:CompleteMultipartUpload']).toBe(1);
    expect(env.store.head(ARCHIVE, `${layout.artifactPrefix(MEMBER, REGION, 'llm-resume', SWEEP)}${MODELS}/llm/resume/model.tar.gz`)!.crc64nvme).toBe(
      env.store.head(MODELS, 'llm/resume/model.tar.gz')!.crc64nvme,
    );
  });

  it('the Lambda handler takes its budget from the context and resumes from a continuation passed through the state', async () => {
    deployTree('shards-handler', 'handler/shards/', 3);
    const handler = createHandler(env.deps());
    const context = { getRemainingTimeInMillis: () => 1_000 }; // below the 60 s safety margin
    const candidate = candidateFor('shards-handler');
    let result = await handler({ candidate }, context);
    expect(result.status).toBe('continue');
    for (let runs = 1; result.status === 'continue'; runs++) {
      if (runs > 10) throw new Error('no progress');
      // What Step Functions carries between states is JSON.
      result = await handler(JSON.parse(JSON.stringify({ candidate, continuation: result.continuation })), context);
    }
    expect(result).toMatchObject({ status: 'complete', artifactCount: 3 });
    await expect(handler({ candidate, continuation: { runId: 'not-hex!', itemIndex: 0, chunkSeq: 0, runs: 1 } })).rejects.toThrow(/continuation\.runId/);
  });
});
