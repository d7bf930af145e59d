import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { mapLimit } from '../../core/concurrency.ts';
import { ArtifactEntrySchema, type ArtifactEntry } from './manifest.ts';
import type { ArtifactSource, EndpointDescriptions } from './discover.ts';
import { deleteQuietly, readJsonObject, listObjects, putJson } from '../../core/s3-json.ts';

/** The plan a snapshot run series works through, fixed at its first run so indexes stay meaningful. */
export interface SnapshotPlan {
  runId: string;
  createdAt: string;
  fingerprint: string;
  descriptions: EndpointDescriptions;
  sources: ArtifactSource[];
}

const ProgressSchema = z.object({ entries: z.array(ArtifactEntrySchema) });

const MultipartStateSchema = z.object({
  uploadId: z.string(),
  sourceEtag: z.string(),
  partSize: z.number().int().positive(),
  parts: z.array(z.object({ PartNumber: z.number().int().min(1), ETag: z.string(), ChecksumCRC64NVME: z.string().optional() })),
});
export type MultipartState = z.infer<typeof MultipartStateSchema>;

/**
 * Working state of one endpoint's snapshot, in the archive bucket under
 * `sweeps/<sweep>/snapshots/<account>/<region>/<endpoint>/`:
 * - `runs/<runId>/plan.json`: descriptions and artifact list, written once per run series;
 * - `runs/<runId>/progress-<n>.json`: entries verified by one batch (a page of a tree, a run of objects);
 * - `multipart/<hash of archive key>.json`: a large copy suspended between runs (upload id, parts done).
 * Multipart state is keyed by the archive key, not the run, so even a retried (fresh) run resumes the upload.
 */
export class SnapshotState {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  private runPrefix(runId: string): string {
    return `${this.prefix}runs/${runId}/`;
  }

  async savePlan(plan: SnapshotPlan): Promise<void> {
    await putJson(this.s3, this.bucket, `${this.runPrefix(plan.runId)}plan.json`, plan);
  }

  async loadPlan(runId: string): Promise<SnapshotPlan | undefined> {
    return (await readJsonObject(this.s3, this.bucket, `${this.runPrefix(runId)}plan.json`))?.value as SnapshotPlan | undefined;
  }

  async saveProgress(runId: string, seq: number, entries: ArtifactEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await putJson(this.s3, this.bucket, `${this.runPrefix(runId)}progress-${String(seq).padStart(6, '0')}.json`, { entries });
  }

  /** Every entry recorded by the run series, deduplicated by archive copy (a later record wins). */
  async loadEntries(runId: string): Promise<ArtifactEntry[]> {
    const keys: string[] = [];
    for await (const page of listObjects(this.s3, this.bucket, `${this.runPrefix(runId)}progress-`)) keys.push(...page.map((o) => o.key));
    keys.sort();
    const chunks = await mapLimit(keys, 8, async (key) => ProgressSchema.parse((await readJsonObject(this.s3, this.bucket, key))?.value).entries);
    const byId = new Map<string, ArtifactEntry>();
    for (const entry of chunks.flat()) byId.set(`${entry.source} ${entry.archiveUri ?? entry.sourceUri}`, entry);
    return [...byId.values()];
  }

  private multipartKey(archiveKey: string): string {
    return `${this.prefix}multipart/${createHash('sha256').update(archiveKey).digest('hex').slice(0, 40)}.json`;
  }

  async loadMultipart(archiveKey: string): Promise<MultipartState | undefined> {
    const raw = (await readJsonObject(this.s3, this.bucket, this.multipartKey(archiveKey)))?.value;
    const parsed = MultipartStateSchema.safeParse(raw);
    return parsed.success ? parsed.data : undefined;
  }

  async saveMultipart(archiveKey: string, state: MultipartState): Promise<void> {
    await putJson(this.s3, this.bucket, this.multipartKey(archiveKey), state);
  }

  async clearMultipart(archiveKey: string): Promise<void> {
    await deleteQuietly(this.s3, this.bucket, this.multipartKey(archiveKey));
  }

  /** Removes the run series' working files once the manifest holds everything. */
  async clearRun(runId: string): Promise<void> {
    const keys: string[] = [];
    for await (const page of listObjects(this.s3, this.bucket, this.runPrefix(runId))) keys.push(...page.map((o) => o.key));
    await mapLimit(keys, 8, (key) => deleteQuietly(this.s3, this.bucket, key));
  }
}
