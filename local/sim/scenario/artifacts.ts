import { createHash } from 'node:crypto';
import { s3Store, type SyntheticBody } from '../services/s3/store.ts';
import type { World } from '../world.ts';
import type { ArtifactSpec } from './schema.ts';

/**
 * Puts a scenario's model artifacts into the simulated S3. Small objects get real, deterministic bytes;
 * above 64 KiB they are synthetic content, which stores multi-GB artifacts without the memory. Content
 * depends only on the URI and the seed, so the same scenario and seed always hold the same bytes.
 */
const REAL_BYTES_UP_TO = 64 * 1024;
const SYNTHETIC_SEEDS = 4;

export function splitS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1]!, key: match[2]! };
}

function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export function artifactBody(uri: string, size: number, seed: number): Buffer | SyntheticBody {
  // A few seeds per build, not one per object: each new seed costs the simulated S3 a 1 MiB block.
  if (size > REAL_BYTES_UP_TO) return { synthetic: { size, seed: (seed * SYNTHETIC_SEEDS + (hash32(uri) % SYNTHETIC_SEEDS)) >>> 0 } };
  const line = Buffer.from(`${uri}#${seed}\n`);
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += line.length) line.copy(out, at, 0, Math.min(line.length, size - at));
  return out;
}

/** Ensures the artifact exists (its bucket too, owned by `owner` in `region` unless it already exists). */
export function putArtifact(world: World, artifact: ArtifactSpec, owner: { accountId: string; region: string }, seed: number): void {
  if (!artifact.exists) return;
  const store = s3Store(world);
  const { bucket, key } = splitS3Uri(artifact.uri);
  if (!store.bucketExists(bucket)) store.createBucket(bucket, { ownerAccountId: owner.accountId, region: owner.region });
  const objects: { key: string; size: number }[] = !key.endsWith('/')
    ? [{ key, size: artifact.size }]
    : Array.isArray(artifact.files)
      ? artifact.files.map((f) => ({ key: `${key}${f.key}`, size: f.size }))
      : Array.from({ length: artifact.files ?? 1 }, (_, i) => ({ key: `${key}part-${String(i).padStart(5, '0')}.bin`, size: artifact.size }));
  for (const object of objects) {
    // Artifacts shared by several models are put once.
    if (store.head(bucket, object.key)) continue;
    store.putObject(bucket, object.key, artifactBody(`s3://${bucket}/${object.key}`, object.size, seed), {
      contentType: object.key.endsWith('.tar.gz') ? 'application/x-gzip' : 'application/octet-stream',
    });
  }
}
