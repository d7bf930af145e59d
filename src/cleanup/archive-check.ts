import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { mapLimit } from '../core/concurrency.ts';
import { isS3NotFound } from '../core/aws-errors.ts';
import { readJsonObject } from '../core/s3-json.ts';
import { ArtifactEntrySchema } from './snapshot/manifest.ts';

/**
 * Delete-time proof that what the snapshot archived is still there, unchanged: every archived copy the
 * manifest lists is looked up again (HeadObject with checksums) and its size and checksum compared
 * with what the snapshot verified. A copy that is missing, replaced or unverifiable stops the deletion:
 * the archive is what brings the endpoint back, and deleting on the word of a manifest alone would
 * trust an archive nobody looked at since.
 */

/** The fields re-verification reads from each manifest entry (src/cleanup/snapshot/manifest.ts). */
const ArchivedEntriesSchema = z.looseObject({
  artifacts: z.array(ArtifactEntrySchema.pick({ sourceUri: true, archiveUri: true, byReference: true, size: true, checksum: true, archiveCrc64nvme: true })),
});
type ArchivedEntry = z.infer<typeof ArchivedEntriesSchema>['artifacts'][number];

/** Archived copies looked up at once: bounded, as a model may be archived as thousands of objects. */
const HEAD_CONCURRENCY = 8;

const FULL_OBJECT_ALGORITHMS = ['CRC64NVME', 'CRC32C', 'CRC32', 'SHA256', 'SHA1'] as const;

export interface ArchiveCheckInput {
  s3: S3Client;
  archiveBucket: string;
  manifestKey: string;
}

/** Undefined when every archived copy matches its manifest entry; otherwise why not (the first problem found). */
export async function archivedArtifactsProblem(input: ArchiveCheckInput): Promise<string | undefined> {
  const stored = await readJsonObject(input.s3, input.archiveBucket, input.manifestKey);
  if (!stored) return `no snapshot manifest at s3://${input.archiveBucket}/${input.manifestKey}`;
  const parsed = ArchivedEntriesSchema.safeParse(stored.value);
  if (!parsed.success) return `the snapshot manifest s3://${input.archiveBucket}/${input.manifestKey} does not list its artifacts in the expected form`;
  const copies = parsed.data.artifacts.filter((entry) => !entry.byReference && entry.archiveUri !== null);
  const problems = await mapLimit(copies, HEAD_CONCURRENCY, (entry) => copyProblem(input, entry));
  return problems.find((problem): problem is string => problem !== undefined);
}

async function copyProblem(input: ArchiveCheckInput, entry: ArchivedEntry): Promise<string | undefined> {
  const uri = entry.archiveUri!;
  const prefix = `s3://${input.archiveBucket}/`;
  if (!uri.startsWith(prefix)) return `the archived copy of ${entry.sourceUri} is recorded outside the archive bucket (${uri})`;
  let head: HeadObjectCommandOutput;
  try {
    head = await input.s3.send(new HeadObjectCommand({ Bucket: input.archiveBucket, Key: uri.slice(prefix.length), ChecksumMode: 'ENABLED' }));
  } catch (error) {
    if (isS3NotFound(error)) return `the archived copy ${uri} is gone`;
    throw error;
  }
  if (entry.size !== null && head.ContentLength !== entry.size)
    return `the archived copy ${uri} has ${head.ContentLength ?? 'unknown'} bytes, the manifest recorded ${entry.size}`;
  return checksumProblem(uri, entry, head);
}

/** Compares the strongest checksum both the manifest and S3 have for the copy. */
export function checksumProblem(uri: string, entry: Pick<ArchivedEntry, 'checksum' | 'archiveCrc64nvme'>, head: HeadObjectCommandOutput): string | undefined {
  const expected: Array<[string, string, string | undefined]> = [];
  if (entry.archiveCrc64nvme) expected.push(['CRC64NVME', entry.archiveCrc64nvme, head.ChecksumCRC64NVME]);
  const recorded = entry.checksum;
  if (recorded && (FULL_OBJECT_ALGORITHMS as readonly string[]).includes(recorded.algorithm)) {
    expected.push([recorded.algorithm, recorded.value, head[`Checksum${recorded.algorithm as (typeof FULL_OBJECT_ALGORITHMS)[number]}`]]);
  }
  if (recorded?.algorithm === 'MD5') expected.push(['MD5 ETag', recorded.value, head.ETag?.replace(/^"|"$/g, '')]);
  const comparable = expected.filter(([, , actual]) => actual !== undefined);
  if (comparable.length === 0) return `the archived copy ${uri} has no checksum to compare with the manifest`;
  for (const [algorithm, want, actual] of comparable) {
    if (want !== actual) return `the archived copy ${uri} changed: ${algorithm} is ${actual}, the manifest recorded ${want}`;
  }
  return undefined;
}
