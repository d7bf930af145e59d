import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { SweepLockedError } from '../core/errors.ts';
import { layout } from '../core/layout.ts';
import { deleteKey, readJsonObject, putJson } from '../core/s3-json.ts';

/**
 * The sweep lock: one sweep that changes endpoints (tag or cleanup mode) at a time per archive
 * bucket. It is an object created with a conditional PutObject (If-None-Match: *), so two sweeps
 * starting at the same instant cannot both win. It names its holder and expires (a stopped execution
 * never releases it), after which the next sweep takes it over with If-Match on the stale version.
 * Report-mode sweeps take no lock: they only write under their own sweep id. docs/workflow.md explains why.
 */
export const ACTIONS_LOCK_SCOPE = 'actions';

export const LockRecordSchema = z.object({
  scope: z.string(),
  sweepId: z.string(),
  executionArn: z.string(),
  acquiredAt: z.string(),
  expiresAt: z.string(),
});
export type LockRecord = z.infer<typeof LockRecordSchema>;

export interface LockRequest {
  s3: S3Client;
  bucket: string;
  scope: string;
  sweepId: string;
  executionArn: string;
  now: Date;
  /** How long the holder may keep it: the longest a sweep can run (approval wait included). */
  ttlMs: number;
}

export async function acquireLock(request: LockRequest): Promise<{ key: string; record: LockRecord }> {
  const key = layout.lock(request.scope);
  const record: LockRecord = {
    scope: request.scope,
    sweepId: request.sweepId,
    executionArn: request.executionArn,
    acquiredAt: request.now.toISOString(),
    expiresAt: new Date(request.now.getTime() + request.ttlMs).toISOString(),
  };
  // Two rounds: a lost race re-reads, and may find the winner is us (a retried step) or an expired holder.
  for (let round = 0; round < 3; round++) {
    const existing = await readJsonObject(request.s3, request.bucket, key);
    if (!existing) {
      if (await putJson(request.s3, request.bucket, key, record, { condition: { ifNoneMatch: '*' } })) return { key, record };
      continue;
    }
    const held = LockRecordSchema.safeParse(existing.value);
    if (held.success && held.data.executionArn === request.executionArn) return { key, record: held.data };
    const expired = !held.success || Date.parse(held.data.expiresAt) <= request.now.getTime();
    if (!expired) {
      throw new SweepLockedError(
        `sweep ${held.data.sweepId} (execution ${held.data.executionArn}) holds the ${request.scope} lock until ${held.data.expiresAt}; ` +
          `only one tag or cleanup sweep runs at a time. Wait for it, or delete s3://${request.bucket}/${key} if that execution is no longer running.`,
      );
    }
    if (await putJson(request.s3, request.bucket, key, record, { condition: { ifMatch: existing.etag } })) return { key, record };
  }
  throw new SweepLockedError(`the ${request.scope} lock is contended; another sweep is starting at the same moment`);
}

/** Releases the lock if this execution holds it; anyone else's lock is left alone. */
export async function releaseLock(s3: S3Client, bucket: string, scope: string, executionArn: string): Promise<boolean> {
  const key = layout.lock(scope);
  const existing = await readJsonObject(s3, bucket, key);
  if (!existing) return false;
  const held = LockRecordSchema.safeParse(existing.value);
  if (!held.success || held.data.executionArn !== executionArn) return false;
  await deleteKey(s3, bucket, key);
  return true;
}
