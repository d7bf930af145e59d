import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { layout } from '../../src/core/layout.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { deleteEndpoint } from '../../src/cleanup/delete.ts';
import { BUCKET, MEMBER, REGION, candidateFor, recordApproval, seedEndpoint, startCleanupEnv, type CleanupEnv } from './actions-fixtures.ts';

/**
 * At delete time the archived copies themselves are re-checked against the manifest (size and
 * checksum), not only the manifest's presence: a copy replaced or removed after the snapshot verified
 * it means the endpoint could not be brought back, so it is not deleted.
 */
let env: CleanupEnv;
let counter = 0;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const HOUR = 3_600_000;
const sm = () => sagemakerStore(env.world, MEMBER, REGION);

/** A snapshotted, tagged and approved zombie whose manifest lists one archived copy (as the snapshot step records it). */
async function archivedZombie() {
  const sweepId = `sweep-arch-${++counter}`;
  const seeded = seedEndpoint(env.world, `arch-${counter}`, 'real-time');
  const candidate = candidateFor(seeded, sweepId, new Date(env.clock.now().getTime() - 48 * HOUR), 'real-time');
  const copyKey = `${layout.artifactPrefix(MEMBER, REGION, seeded.name, sweepId)}model.tar.gz`;
  await env.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: copyKey, Body: 'model weights v1', ChecksumAlgorithm: 'CRC64NVME' }));
  const head = await env.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: copyKey, ChecksumMode: 'ENABLED' }));
  expect(head.ChecksumCRC64NVME).toBeDefined();
  const entry = {
    source: 0,
    sourceUri: `s3://models-${MEMBER}/${seeded.name}/model.tar.gz`,
    archiveUri: `s3://${BUCKET}/${copyKey}`,
    size: head.ContentLength,
    checksum: { algorithm: 'CRC64NVME', value: head.ChecksumCRC64NVME },
    verification: 'checksum',
    byReference: false,
    archiveCrc64nvme: head.ChecksumCRC64NVME,
    copiedBy: 'CopyObject',
  };
  const manifestKey = layout.manifest(MEMBER, REGION, seeded.name, sweepId);
  await env.s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: manifestKey,
      Body: JSON.stringify({ sweepId, endpointName: seeded.name, artifacts: [entry] }),
      ContentType: 'application/json',
    }),
  );
  await tagEndpoint(env.deps, { candidate, requestedBy: 'platform-team' });
  await recordApproval(env, sweepId, { approved: [seeded.arn] });
  return { seeded, candidate, copyKey };
}

describe('delete-time re-verification of archived artifacts', () => {
  it('deletes when every archived copy still matches the manifest', async () => {
    const { seeded, candidate } = await archivedZombie();
    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'deleted' });
    expect(sm().getEndpoint(seeded.name)).toBeUndefined();
  });

  it('skips, deleting nothing, when an archived copy was replaced by other content of the same size', async () => {
    const { seeded, candidate, copyKey } = await archivedZombie();
    await env.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: copyKey, Body: 'model weights v2', ChecksumAlgorithm: 'CRC64NVME' }));
    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({
      status: 'skipped',
      check: 'archive',
      reason: expect.stringContaining(`${copyKey} changed: CRC64NVME`),
    });
    expect(sm().getEndpoint(seeded.name)?.status).toBe('InService');
  });

  it('skips when an archived copy has a different size', async () => {
    const { seeded, candidate, copyKey } = await archivedZombie();
    await env.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: copyKey, Body: 'truncated' }));
    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({
      status: 'skipped',
      check: 'archive',
      reason: expect.stringContaining('the manifest recorded 16'),
    });
    expect(sm().getEndpoint(seeded.name)?.status).toBe('InService');
  });

  it('skips when an archived copy is gone', async () => {
    const { seeded, candidate, copyKey } = await archivedZombie();
    await env.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: copyKey }));
    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'skipped', check: 'archive', reason: expect.stringContaining('is gone') });
    expect(sm().getEndpoint(seeded.name)?.status).toBe('InService');
  });

  it('skips when the manifest does not list its artifacts', async () => {
    const { seeded, candidate } = await archivedZombie();
    const manifestKey = layout.manifest(MEMBER, REGION, seeded.name, candidate.sweepId);
    await env.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: manifestKey, Body: JSON.stringify({ sweepId: candidate.sweepId }), ContentType: 'application/json' }),
    );
    expect(await deleteEndpoint(env.deps, { candidate })).toMatchObject({ status: 'skipped', check: 'archive' });
    expect(sm().getEndpoint(seeded.name)?.status).toBe('InService');
  });
});
