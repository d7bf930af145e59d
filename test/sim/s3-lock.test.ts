import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  NoSuchKey,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Simulator } from '../../local/sim/server.ts';
import { s3Store } from '../../local/sim/services/s3/store.ts';
import { startSmallOrg } from './core-fixtures.ts';
import { raw, rejection, s3Client } from './s3-fixtures.ts';

let sim: Simulator;
let s3: S3Client;
// A clock the tests move forward, so retention can expire without waiting.
let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);
const DAY = 86_400_000;
const AUDIT = 'audit-locked';

beforeAll(async () => {
  sim = await startSmallOrg({ now });
  s3 = s3Client(sim);
  await s3.send(new CreateBucketCommand({ Bucket: AUDIT, ObjectLockEnabledForBucket: true }));
});
afterAll(async () => {
  s3.destroy();
  await sim.stop();
});

const inDays = (days: number) => new Date(now().getTime() + days * DAY);

describe('Object Lock configuration', () => {
  it('is enabled at creation (with versioning) and takes a default retention rule', async () => {
    const before = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: AUDIT }));
    expect(before.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: AUDIT,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } },
      }),
    );
    const after = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: AUDIT }));
    expect(after.ObjectLockConfiguration?.Rule?.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Days: 30 });
    const suspend = await rejection(s3.send(new PutBucketVersioningCommand({ Bucket: AUDIT, VersioningConfiguration: { Status: 'Suspended' } })));
    expect(suspend.name).toBe('InvalidBucketState');
  });

  it('is refused on an unversioned bucket and reported missing where absent', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'plain-bucket' }));
    const missing = await rejection(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'plain-bucket' })));
    expect(missing.name).toBe('ObjectLockConfigurationNotFoundError');
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const refused = await rejection(
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'plain-bucket', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })),
    );
    expect(refused.name).toBe('InvalidBucketState');
    const headers = await rejection(
      s3.send(new PutObjectCommand({ Bucket: 'plain-bucket', Key: 'k', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: inDays(1) })),
    );
    expect(headers.name).toBe('InvalidRequest');
  });
});

describe('retention on objects', () => {
  it('stores per-object retention and returns it on HEAD and GET', async () => {
    const until = inDays(400);
    await s3.send(new PutObjectCommand({ Bucket: AUDIT, Key: 'events/1.json', Body: '{}', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: AUDIT, Key: 'events/1.json' }));
    expect(head).toMatchObject({ ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until, ObjectLockLegalHoldStatus: 'OFF' });
    const get = await s3.send(new GetObjectCommand({ Bucket: AUDIT, Key: 'events/1.json' }));
    expect(get.ObjectLockRetainUntilDate).toEqual(until);
    await get.Body!.transformToString();
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: AUDIT, Key: 'events/1.json' }));
    expect(retention.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: until });
    expect(s3Store(sim.world).head(AUDIT, 'events/1.json')).toMatchObject({ lockMode: 'COMPLIANCE', retainUntil: until });
  });

  it('applies the bucket default retention when the writer sets none', async () => {
    await s3.send(new PutObjectCommand({ Bucket: AUDIT, Key: 'events/default.json', Body: '{}' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: AUDIT, Key: 'events/default.json' }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(Math.round((head.ObjectLockRetainUntilDate!.getTime() - now().getTime()) / DAY)).toBe(30);
  });

  it('refuses a retain-until date in the past', async () => {
    const error = await rejection(
      s3.send(
        new PutObjectCommand({ Bucket: AUDIT, Key: 'events/past.json', Body: '{}', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: inDays(-1) }),
      ),
    );
    expect(error.name).toBe('InvalidArgument');
  });
});

describe('deleting locked objects', () => {
  it('hides the object behind a delete marker while the locked version survives', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: AUDIT, Key: 'events/2.json', Body: 'keep me', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: inDays(10) }),
    );
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: AUDIT, Key: 'events/2.json' }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).not.toBe(put.VersionId);
    expect(await rejection(s3.send(new GetObjectCommand({ Bucket: AUDIT, Key: 'events/2.json' })))).toBeInstanceOf(NoSuchKey);
    const old = await s3.send(new GetObjectCommand({ Bucket: AUDIT, Key: 'events/2.json', VersionId: put.VersionId }));
    expect(await old.Body!.transformToString()).toBe('keep me');
    expect(
      s3Store(sim.world)
        .listVersions(AUDIT, 'events/2.json')
        .map((v) => v.versionId),
    ).toContain(put.VersionId);
  });

  it('refuses to delete a locked version by id (AccessDenied)', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: AUDIT, Key: 'events/3.json', Body: 'x', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: inDays(5) }),
    );
    const denied = await rejection(s3.send(new DeleteObjectCommand({ Bucket: AUDIT, Key: 'events/3.json', VersionId: put.VersionId })));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect(s3Store(sim.world).listVersions(AUDIT, 'events/3.json')).toHaveLength(1);
  });

  it('lets GOVERNANCE be bypassed explicitly, and any lock lapse with time', async () => {
    const gov = await s3.send(
      new PutObjectCommand({ Bucket: AUDIT, Key: 'events/gov.json', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: inDays(5) }),
    );
    expect((await rejection(s3.send(new DeleteObjectCommand({ Bucket: AUDIT, Key: 'events/gov.json', VersionId: gov.VersionId })))).name).toBe('AccessDenied');
    await s3.send(new DeleteObjectCommand({ Bucket: AUDIT, Key: 'events/gov.json', VersionId: gov.VersionId, BypassGovernanceRetention: true }));
    const short = await s3.send(
      new PutObjectCommand({ Bucket: AUDIT, Key: 'events/short.json', Body: 'x', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: inDays(2) }),
    );
    offsetMs += 3 * DAY;
    await s3.send(new DeleteObjectCommand({ Bucket: AUDIT, Key: 'events/short.json', VersionId: short.VersionId }));
    expect(s3Store(sim.world).listVersions(AUDIT, 'events/short.json')).toEqual([]);
  });
});

describe('versions', () => {
  it('reports an object without retention', async () => {
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: AUDIT, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }));
    await s3.send(new PutObjectCommand({ Bucket: AUDIT, Key: 'events/unlocked.json', Body: '{}' }));
    const error = await rejection(s3.send(new GetObjectRetentionCommand({ Bucket: AUDIT, Key: 'events/unlocked.json' })));
    expect(error.name).toBe('NoSuchObjectLockConfiguration');
  });

  it('requires an integrity header for uploads that get a retention period', async () => {
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: AUDIT,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } },
      }),
    );
    const bare = await raw(sim, 'PUT', `/${AUDIT}/events/bare.json`, {}, '{}');
    expect(bare.status).toBe(400);
    expect(bare.body).toContain('Content-MD5 OR x-amz-checksum- HTTP header is required');
    const withMd5 = await raw(sim, 'PUT', `/${AUDIT}/events/bare.json`, { 'content-md5': createHash('md5').update('{}').digest('base64') }, '{}');
    expect(withMd5.status).toBe(200);
  });
});
