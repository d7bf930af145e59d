import { describe, expect, it } from 'vitest';
import { SnapshotFailedError } from '../../src/core/errors.ts';
import { choosePartSize, comparableAlgorithm, MAX_PARTS, partRanges, verifyCopy, type ObjectInfo } from '../../src/cleanup/snapshot/verify.ts';
import { archiveKeyOf, copySourceOf, isAwsOwnedBucket, parseArtifactUri } from '../../src/cleanup/snapshot/locations.ts';
import { discoverArtifacts, type EndpointDescriptions } from '../../src/cleanup/snapshot/discover.ts';
import { completedPrefix, RunBudget, runBounded } from '../../src/cleanup/snapshot/budget.ts';
import { assembleManifest } from '../../src/cleanup/snapshot/assemble.ts';
import type { SnapshotPlan } from '../../src/cleanup/snapshot/state.ts';
import { candidateFor } from './snapshot-fixtures.ts';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const info = (over: Partial<ObjectInfo> = {}): ObjectInfo => ({
  size: 10,
  etag: '"0123456789abcdef0123456789abcdef"',
  checksums: { CRC64NVME: 'AAAAAAAAAAE=' },
  checksumType: 'FULL_OBJECT',
  ...over,
});

describe('verifyCopy', () => {
  it('accepts equal size and full-object CRC64NVME', () => {
    expect(verifyCopy(info(), info({ etag: '"ffffffffffffffffffffffffffffffff"' }), false)).toEqual({
      ok: true,
      verification: 'checksum',
      algorithm: 'CRC64NVME',
      checksum: 'AAAAAAAAAAE=',
    });
  });
  it('rejects a size or checksum difference, naming it', () => {
    expect(verifyCopy(info(), info({ size: 11 }), true)).toEqual({ ok: false, reason: 'size differs: source 10 bytes, copy 11 bytes' });
    expect(verifyCopy(info(), info({ checksums: { CRC64NVME: 'AAAAAAAAAAI=' } }), true)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('CRC64NVME differs'),
    });
  });
  it('compares the source algorithm when the source carries another full-object checksum', () => {
    const source = info({ checksums: { CRC32: 'abcd' } });
    expect(comparableAlgorithm(source)).toBe('CRC32');
    expect(verifyCopy(source, info({ checksums: { CRC32: 'abcd', CRC64NVME: 'x' } }), true)).toMatchObject({ ok: true, algorithm: 'CRC32' });
  });
  it('never compares composite (per-part) checksums', () => {
    const composite = info({ checksums: { SHA256: 'abc-12' }, checksumType: 'COMPOSITE', etag: '"abc-12"' });
    expect(comparableAlgorithm(composite)).toBe('CRC64NVME');
    expect(verifyCopy(composite, info({ checksums: { SHA256: 'abc-12' }, checksumType: 'COMPOSITE', etag: '"abc-12"' }), false)).toMatchObject({ ok: false });
  });
  it('falls back to MD5 ETags for legacy single-part objects without checksums', () => {
    const legacy = info({ checksums: {}, checksumType: undefined });
    expect(verifyCopy(legacy, legacy, false)).toMatchObject({ ok: true, verification: 'etag-md5' });
    expect(verifyCopy(legacy, info({ checksums: {}, checksumType: undefined, etag: '"ffffffffffffffffffffffffffffffff"' }), true)).toMatchObject({ ok: false });
  });
  it('accepts a legacy SSE-KMS object only for a copy just made with the source pinned, and records the weaker level', () => {
    const kms = info({ checksums: {}, checksumType: undefined, serverSideEncryption: 'aws:kms', kmsKeyId: 'k' });
    const copy = info({ serverSideEncryption: 'aws:kms', etag: '"1111"' });
    expect(verifyCopy(kms, copy, true)).toEqual({ ok: true, verification: 'size-and-pinned-source', algorithm: 'CRC64NVME', checksum: 'AAAAAAAAAAE=' });
    expect(verifyCopy(kms, copy, false)).toMatchObject({ ok: false });
  });
});

describe('multipart sizing', () => {
  it('keeps the preferred part size when it fits, grows it to stay within 10,000 parts', () => {
    expect(choosePartSize(6 * GIB, 512 * MIB)).toBe(512 * MIB);
    const huge = choosePartSize(5 * 1024 * GIB, 512 * MIB);
    expect(Math.ceil((5 * 1024 * GIB) / huge)).toBeLessThanOrEqual(MAX_PARTS);
    expect(huge % MIB).toBe(0);
    expect(choosePartSize(100 * MIB, 1)).toBe(5 * MIB);
  });
  it('covers every byte once with inclusive ranges', () => {
    const parts = partRanges(12 * MIB + 1, 5 * MIB);
    expect(parts.map((p) => p.range)).toEqual([`bytes=0-${5 * MIB - 1}`, `bytes=${5 * MIB}-${10 * MIB - 1}`, `bytes=${10 * MIB}-${12 * MIB}`]);
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
  });
});

describe('artifact locations', () => {
  it('parses s3:// and both HTTPS forms', () => {
    expect(parseArtifactUri('s3://my-bucket/a/b.tar.gz')).toEqual({ bucket: 'my-bucket', key: 'a/b.tar.gz' });
    expect(parseArtifactUri('https://my-bucket.s3.us-east-1.amazonaws.com/a/b%20c.tar.gz')).toEqual({ bucket: 'my-bucket', key: 'a/b c.tar.gz' });
    expect(parseArtifactUri('https://s3-eu-west-1.amazonaws.com/my-bucket/x')).toEqual({ bucket: 'my-bucket', key: 'x' });
    expect(parseArtifactUri('https://example.com/model.tar.gz')).toBeUndefined();
  });
  it('records JumpStart buckets by reference, copies private hub buckets', () => {
    expect(isAwsOwnedBucket('jumpstart-cache-prod-us-east-1')).toBe(true);
    expect(isAwsOwnedBucket('jumpstart-private-cache-prod-eu-west-1')).toBe(true);
    expect(isAwsOwnedBucket('sagemaker-hubs-us-east-1-123456789012')).toBe(false);
    expect(isAwsOwnedBucket('team-models', [/^team-/])).toBe(true);
  });
  it('derives collision-free archive keys and encodes copy sources', () => {
    expect(archiveKeyOf('artifacts/1/r/e/s/', { bucket: 'b', key: 'k/x.tar.gz' })).toBe('artifacts/1/r/e/s/b/k/x.tar.gz');
    expect(copySourceOf({ bucket: 'b', key: 'dir/a b+c.tar.gz' })).toBe('b/dir/a%20b%2Bc.tar.gz');
  });
});

function descriptions(models: object[], components: object[] = []): EndpointDescriptions {
  return {
    endpoint: {} as never,
    endpointConfig: {} as never,
    models: models as never,
    modelPackages: [],
    inferenceComponents: components as never,
    tags: {},
    scalableTargets: [],
    scalingPolicies: [],
    notes: [],
  };
}

describe('discoverArtifacts', () => {
  it('treats a multi-model ModelDataUrl as a prefix, deduplicates shared artifacts and keeps every user', () => {
    const sources = discoverArtifacts(
      descriptions([
        { ModelName: 'mme', PrimaryContainer: { Image: 'i', Mode: 'MultiModel', ModelDataUrl: 's3://bkt/mme/' } },
        {
          ModelName: 'a',
          Containers: [
            { Image: 'i', ModelDataUrl: 's3://bkt/shared.tar.gz' },
            { Image: 'i', ModelDataUrl: 's3://bkt/shared.tar.gz' },
          ],
        },
      ]),
      'artifacts/p/',
    );
    expect(sources).toEqual([
      {
        kind: 'prefix',
        uri: 's3://bkt/mme/',
        location: { bucket: 'bkt', key: 'mme/' },
        archiveKey: 'artifacts/p/bkt/mme/',
        usedBy: ['model/mme/PrimaryContainer/ModelDataUrl'],
        allowEmpty: true,
      },
      {
        kind: 'object',
        uri: 's3://bkt/shared.tar.gz',
        location: { bucket: 'bkt', key: 'shared.tar.gz' },
        archiveKey: 'artifacts/p/bkt/shared.tar.gz',
        usedBy: ['model/a/Containers[0]/ModelDataUrl', 'model/a/Containers[1]/ModelDataUrl'],
      },
    ]);
  });
  it('finds inference component artifacts and fails on a location it cannot archive', () => {
    const sources = discoverArtifacts(
      descriptions([], [{ InferenceComponentName: 'ic', Specification: { Container: { ArtifactUrl: 's3://bkt/ic.tar.gz' } } }]),
      'p/',
    );
    expect(sources[0]).toMatchObject({ kind: 'object', usedBy: ['inference-component/ic/Specification/Container/ArtifactUrl'] });
    expect(() =>
      discoverArtifacts(descriptions([{ ModelName: 'x', PrimaryContainer: { Image: 'i', ModelDataUrl: 'https://example.com/m.tar.gz' } }]), 'p/'),
    ).toThrow(SnapshotFailedError);
  });
});

describe('bounded, budgeted execution', () => {
  it('starts nothing new once the budget is spent, but always one leaf per run', async () => {
    let remaining = 1_000;
    const budget = new RunBudget(() => remaining, 500);
    expect(budget.claimLeaf()).toBe(true);
    remaining = 0;
    expect(budget.allow()).toBe(false);
    expect(budget.claimLeaf()).toBe(false);
    const starved = new RunBudget(() => 0, 500);
    expect(starved.allow()).toBe(true);
    expect(starved.claimLeaf()).toBe(true);
    expect(starved.claimLeaf()).toBe(false);
  });
  it('runBounded keeps at most `limit` in flight and reports the completed prefix', async () => {
    let inFlight = 0;
    let peak = 0;
    let allowed = 7;
    const results = await runBounded(
      [...Array(10).keys()],
      3,
      () => allowed-- > 0,
      async (n) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return n;
      },
    );
    expect(peak).toBe(3);
    expect(results.filter((r) => r !== undefined)).toHaveLength(7);
    expect(completedPrefix(results, () => true)).toBe(7);
  });
  it('runBounded waits for in-flight work, then throws the first error', async () => {
    const finished: number[] = [];
    await expect(
      runBounded(
        [1, 2, 3, 4],
        2,
        () => true,
        async (n) => {
          if (n === 1) throw new Error('boom');
          await new Promise((resolve) => setImmediate(resolve));
          finished.push(n);
          return n;
        },
      ),
    ).rejects.toThrow('boom');
    expect(finished).toEqual([2]);
  });
});

describe('assembleManifest', () => {
  const plan = (sources: SnapshotPlan['sources']): SnapshotPlan => ({
    runId: 'abcdef01',
    createdAt: '',
    fingerprint: '',
    descriptions: descriptions([]),
    sources,
  });
  it('refuses a manifest with an object that has no verified copy', () => {
    const p = plan([{ kind: 'object', uri: 's3://b/k', location: { bucket: 'b', key: 'k' }, archiveKey: 'a/b/k', usedBy: ['x'] }]);
    expect(() => assembleManifest(p, [], candidateFor('e'), 'arch', '2025-01-01T00:00:00Z')).toThrow(/snapshot incomplete/);
  });
  it('refuses an empty tree unless it is a multi-model prefix', () => {
    const tree = { kind: 'prefix' as const, uri: 's3://b/t/', location: { bucket: 'b', key: 't/' }, archiveKey: 'a/b/t/', usedBy: ['x'] };
    expect(() => assembleManifest(plan([tree]), [], candidateFor('e'), 'arch', '2025-01-01T00:00:00Z')).toThrow(/no archived objects/);
    expect(assembleManifest(plan([{ ...tree, allowEmpty: true }]), [], candidateFor('e'), 'arch', '2025-01-01T00:00:00Z').sources[0]).toMatchObject({
      objectCount: 0,
    });
  });
});
