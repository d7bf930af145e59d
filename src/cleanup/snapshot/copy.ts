import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorMessage, errorName, RetryableAwsError, SnapshotFailedError } from '../../core/errors.ts';
import type { Log } from '../../core/log.ts';
import { isConditionFailed, isS3NotFound } from '../../core/aws-errors.ts';
import { classifySnapshotError } from './classify-error.ts';
import { runBounded, type RunBudget } from './budget.ts';
import { copySourceOf, s3UriOf, type S3Location } from './locations.ts';
import type { ArtifactEntry } from './manifest.ts';
import type { MultipartState, SnapshotState } from './state.ts';
import {
  CHECKSUM_ALGORITHMS,
  choosePartSize,
  comparableAlgorithm,
  MAX_SINGLE_COPY_BYTES,
  partRanges,
  verifyCopy,
  type ChecksumAlgorithm,
  type ObjectInfo,
} from './verify.ts';

export interface CopyOptions {
  /** Objects above this size are copied by parts (UploadPartCopy); at most 5 GiB (CopyObject's limit). */
  multipartThresholdBytes: number;
  partSizeBytes: number;
  partConcurrency: number;
}

export const DEFAULT_COPY_OPTIONS: CopyOptions = { multipartThresholdBytes: MAX_SINGLE_COPY_BYTES, partSizeBytes: 512 * 1024 ** 2, partConcurrency: 8 };

export interface CopyContext {
  /** Member-role credentials in the endpoint's region: inspect and list the sources. */
  source: S3Client;
  /** Member-role credentials in the archive bucket's region: write the copies (copies run as the member role). */
  writer: S3Client;
  /** Hub credentials: verify copies in the archive bucket. */
  archive: S3Client;
  archiveBucket: string;
  archiveKmsKeyId?: string;
  state: SnapshotState;
  budget: RunBudget;
  options: CopyOptions;
  log: Log;
  /** Set once CopyObject with If-None-Match is answered NotImplemented: every later copy of the run goes by parts. */
  byParts?: boolean;
}

/** The copy S3 assembled does not match the source; worth exactly one more attempt. */
class CopyMismatch extends Error {}

export type ArchiveOutcome = { status: 'done'; entry: ArtifactEntry } | { status: 'suspended' };

export async function headObject(s3: S3Client, location: S3Location): Promise<ObjectInfo | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key, ChecksumMode: 'ENABLED' }));
    const checksums: ObjectInfo['checksums'] = {};
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const value = head[`Checksum${algorithm}`];
      if (value) checksums[algorithm] = value;
    }
    return {
      size: head.ContentLength ?? 0,
      etag: head.ETag ?? '',
      checksums,
      checksumType: head.ChecksumType,
      serverSideEncryption: head.ServerSideEncryption,
      kmsKeyId: head.SSEKMSKeyId,
      contentType: head.ContentType,
      metadata: head.Metadata,
    };
  } catch (error) {
    if (isS3NotFound(error)) return undefined;
    throw error;
  }
}

function encryption(ctx: CopyContext) {
  return ctx.archiveKmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: ctx.archiveKmsKeyId } : {};
}

/**
 * Archives one source object at `archiveKey` and proves the copy equals the source. An existing copy
 * that already verifies is kept (resume). A copy that does not verify is made once more, then the
 * snapshot fails: an endpoint whose artifacts are not provably archived is never deleted.
 */
export async function archiveObject(
  ctx: CopyContext,
  source: S3Location,
  archiveKey: string,
  sourceIndex: number,
  archiveHint: 'absent' | 'unknown' = 'unknown',
): Promise<ArchiveOutcome> {
  const sourceUri = s3UriOf(source);
  const target: S3Location = { bucket: ctx.archiveBucket, key: archiveKey };
  let info = await headSource(ctx, source);
  // A listing of the archive already showed there is no copy yet: skip looking for one.
  const existing = archiveHint === 'absent' ? undefined : await headObject(ctx.archive, target);
  if (existing) return keepExistingCopy(sourceIndex, sourceUri, target, info, existing);
  let lastReason = '';
  // Only a copy that raced a change of its source spends an attempt; switching to copy by parts does not.
  for (let attempt = 1; attempt <= 2;) {
    let copiedBy: ArtifactEntry['copiedBy'];
    try {
      if (info.size > Math.min(ctx.options.multipartThresholdBytes, MAX_SINGLE_COPY_BYTES) || (ctx.byParts && info.size > 0)) {
        if ((await multipartCopy(ctx, source, info, archiveKey)) === 'suspended') return { status: 'suspended' };
        copiedBy = 'UploadPartCopy';
      } else {
        if (attempt === 1 && !ctx.budget.claimLeaf()) return { status: 'suspended' };
        await singleCopy(ctx, source, info, archiveKey);
        copiedBy = 'CopyObject';
      }
    } catch (error) {
      if (error instanceof CopyMismatch) {
        lastReason = error.message;
        attempt++;
        continue;
      }
      if (errorName(error) === 'NotImplemented' && info.size > 0 && !ctx.byParts) {
        // A region or S3-compatible store without conditional CopyObject: parts and a conditional completion still never overwrite.
        ctx.log.warn('conditional CopyObject not available; copying by parts', { sourceUri });
        ctx.byParts = true;
        continue;
      }
      if (!isConditionFailed(error)) throw classifySnapshotError(error, `copying ${sourceUri}`);
      // Either the archive key was written meanwhile (if-none-match: copies never overwrite) or the
      // source changed between HeadObject and the copy (copy-source-if-match): an archived copy decides which.
      const written = await headObject(ctx.archive, target);
      if (written) return keepExistingCopy(sourceIndex, sourceUri, target, info, written);
      lastReason = 'the source object changed during the copy';
      info = await headSource(ctx, source);
      attempt++;
      continue;
    }
    const copy = await headObject(ctx.archive, target);
    if (!copy) throw new RetryableAwsError(`copy of ${sourceUri} is not visible at ${s3UriOf(target)} yet`);
    const check = verifyCopy(info, copy, true);
    if (check.ok) return { status: 'done', entry: entryFor(sourceIndex, sourceUri, target, info, copy, check, copiedBy) };
    // Never replaced, even by this step: an archived object is written once (docs/security.md, "Archive").
    throw new SnapshotFailedError(
      `the copy of ${sourceUri} at ${s3UriOf(target)} does not match the source (${check.reason}); archived copies are never overwritten, so this endpoint is not archived`,
    );
  }
  throw new SnapshotFailedError(`copy of ${sourceUri} could not be made after 2 attempts: ${lastReason}`);
}

/**
 * An object already at the archive key: an earlier attempt's copy when it matches the source, kept as
 * is; anything else is refused, not overwritten, so a copy can never be replaced after it was verified.
 */
function keepExistingCopy(sourceIndex: number, sourceUri: string, target: S3Location, info: ObjectInfo, existing: ObjectInfo): ArchiveOutcome {
  const check = verifyCopy(info, existing, false);
  if (check.ok) return { status: 'done', entry: entryFor(sourceIndex, sourceUri, target, info, existing, check, 'existing-copy') };
  throw new SnapshotFailedError(
    `an object already at ${s3UriOf(target)} does not match ${sourceUri} (${check.reason}); archived copies are never overwritten, so this endpoint is not archived`,
  );
}

async function headSource(ctx: CopyContext, source: S3Location): Promise<ObjectInfo> {
  let info: ObjectInfo | undefined;
  try {
    info = await headObject(ctx.source, source);
  } catch (error) {
    throw classifySnapshotError(error, `reading ${s3UriOf(source)}`);
  }
  if (!info) throw new SnapshotFailedError(`artifact ${s3UriOf(source)} does not exist`);
  return info;
}

function entryFor(
  sourceIndex: number,
  sourceUri: string,
  target: S3Location,
  source: ObjectInfo,
  copy: ObjectInfo,
  check: Extract<ReturnType<typeof verifyCopy>, { ok: true }>,
  copiedBy: ArtifactEntry['copiedBy'],
): ArtifactEntry {
  return {
    source: sourceIndex,
    sourceUri,
    archiveUri: s3UriOf(target),
    size: copy.size,
    checksum: check.checksum ? { algorithm: check.algorithm ?? 'MD5', value: check.checksum } : null,
    verification: check.verification,
    byReference: false,
    sourceEtag: source.etag,
    ...(source.serverSideEncryption?.startsWith('aws:kms') && source.kmsKeyId ? { sourceKmsKeyId: source.kmsKeyId } : {}),
    ...(copy.kmsKeyId ? { archiveKmsKeyId: copy.kmsKeyId } : {}),
    ...(copy.checksums.CRC64NVME ? { archiveCrc64nvme: copy.checksums.CRC64NVME } : {}),
    copiedBy,
  };
}

async function singleCopy(ctx: CopyContext, source: S3Location, info: ObjectInfo, archiveKey: string): Promise<void> {
  await ctx.writer.send(
    new CopyObjectCommand({
      Bucket: ctx.archiveBucket,
      Key: archiveKey,
      CopySource: copySourceOf(source),
      // Pins the exact version that was inspected (S3 API reference, CopyObject x-amz-copy-source-if-match).
      CopySourceIfMatch: info.etag,
      // Never over an existing object: the archive bucket policy refuses member writes without it.
      IfNoneMatch: '*',
      // The copy carries a checksum comparable with the source's (recomputed by S3 if the source has none).
      ChecksumAlgorithm: comparableAlgorithm(info),
      MetadataDirective: 'COPY',
      // Source object tags would need s3:GetObjectTagging in every member account; the manifest is the record.
      TaggingDirective: 'REPLACE',
      ...encryption(ctx),
    }),
  );
}

/** Algorithms S3 can keep as a FULL_OBJECT checksum of a multipart upload (S3 User Guide, "Checking object integrity"). */
const FULL_OBJECT_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC64NVME', 'CRC32C', 'CRC32'];

/**
 * Copies a large object by parts. Progress is saved to the snapshot state when the run's budget ends
 * (or a part fails), so the next run (or a retried one) continues the same upload instead of starting over.
 */
async function multipartCopy(ctx: CopyContext, source: S3Location, info: ObjectInfo, archiveKey: string): Promise<'complete' | 'suspended'> {
  const partSize = choosePartSize(info.size, ctx.options.partSizeBytes);
  const candidate = comparableAlgorithm(info);
  const algorithm: ChecksumAlgorithm = FULL_OBJECT_ALGORITHMS.includes(candidate) ? candidate : 'CRC64NVME';
  const current = await resumableUpload(ctx, info, archiveKey, partSize, algorithm);
  const done = new Set(current.parts.map((p) => p.PartNumber));
  const todo = partRanges(info.size, partSize).filter((p) => !done.has(p.partNumber));
  try {
    const results = await runBounded(
      todo,
      ctx.options.partConcurrency,
      () => ctx.budget.claimLeaf(),
      async (part) => {
        await copyPart(ctx, source, info, archiveKey, current, part);
        return true;
      },
    );
    if (results.some((r) => r === undefined)) {
      await ctx.state.saveMultipart(archiveKey, current);
      ctx.log.info('multipart copy suspended for the next run', { archiveKey, partsDone: current.parts.length, parts: Math.ceil(info.size / partSize) });
      return 'suspended';
    }
  } catch (error) {
    if (errorName(error) === 'NoSuchUpload' || isConditionFailed(error)) {
      await abortQuietly(ctx, archiveKey, current.uploadId);
      await ctx.state.clearMultipart(archiveKey);
      if (isConditionFailed(error)) throw error;
      throw new RetryableAwsError(`multipart upload for ${archiveKey} disappeared: ${errorMessage(error)}`, { cause: error });
    }
    await ctx.state.saveMultipart(archiveKey, current);
    throw error;
  }
  await complete(ctx, archiveKey, current, info, algorithm);
  await ctx.state.clearMultipart(archiveKey);
  return 'complete';
}

/** The saved upload of an earlier run when it copies the same source version in the same parts; else a new one. */
async function resumableUpload(
  ctx: CopyContext,
  info: ObjectInfo,
  archiveKey: string,
  partSize: number,
  algorithm: ChecksumAlgorithm,
): Promise<MultipartState> {
  const saved = await ctx.state.loadMultipart(archiveKey);
  if (saved && saved.sourceEtag === info.etag && saved.partSize === partSize) return saved;
  if (saved) {
    await abortQuietly(ctx, archiveKey, saved.uploadId);
    await ctx.state.clearMultipart(archiveKey);
  }
  const created = await ctx.writer.send(
    new CreateMultipartUploadCommand({
      Bucket: ctx.archiveBucket,
      Key: archiveKey,
      ChecksumAlgorithm: algorithm,
      ChecksumType: 'FULL_OBJECT',
      ContentType: info.contentType,
      Metadata: info.metadata,
      ...encryption(ctx),
    }),
  );
  return { uploadId: created.UploadId!, sourceEtag: info.etag, partSize, parts: [] };
}

/** Copies one part of the pinned source version and records it in the upload's state. */
async function copyPart(
  ctx: CopyContext,
  source: S3Location,
  info: ObjectInfo,
  archiveKey: string,
  state: MultipartState,
  part: { partNumber: number; range: string },
): Promise<void> {
  const output = await ctx.writer.send(
    new UploadPartCopyCommand({
      Bucket: ctx.archiveBucket,
      Key: archiveKey,
      UploadId: state.uploadId,
      PartNumber: part.partNumber,
      CopySource: copySourceOf(source),
      CopySourceRange: part.range,
      CopySourceIfMatch: info.etag,
    }),
  );
  const etag = output.CopyPartResult?.ETag;
  if (!etag) throw new RetryableAwsError(`UploadPartCopy returned no ETag for part ${part.partNumber}`);
  const crc = output.CopyPartResult?.ChecksumCRC64NVME;
  state.parts.push({ PartNumber: part.partNumber, ETag: etag, ...(crc ? { ChecksumCRC64NVME: crc } : {}) });
}

async function complete(ctx: CopyContext, archiveKey: string, state: MultipartState, info: ObjectInfo, algorithm: ChecksumAlgorithm): Promise<void> {
  const parts: CompletedPart[] = [...state.parts].sort((a, b) => a.PartNumber - b.PartNumber).map((p) => ({ ...p }));
  const expected = info.checksumType === 'COMPOSITE' ? undefined : info.checksums[algorithm];
  try {
    await ctx.writer.send(
      new CompleteMultipartUploadCommand({
        Bucket: ctx.archiveBucket,
        Key: archiveKey,
        UploadId: state.uploadId,
        MultipartUpload: { Parts: parts },
        ChecksumType: 'FULL_OBJECT',
        // S3 checks the whole object against the source's checksum and the declared size before committing it.
        ...(expected ? { [`Checksum${algorithm}`]: expected } : {}),
        MpuObjectSize: info.size,
        IfNoneMatch: '*',
      }),
    );
  } catch (error) {
    // A rejected completion (bad digest, invalid part) is not resumable: start over on the next attempt.
    await abortQuietly(ctx, archiveKey, state.uploadId);
    await ctx.state.clearMultipart(archiveKey);
    if (['BadDigest', 'InvalidPart', 'InvalidRequest'].includes(errorName(error)))
      throw new CopyMismatch(`S3 rejected the assembled copy: ${errorName(error)}: ${errorMessage(error)}`);
    throw error;
  }
}

async function abortQuietly(ctx: CopyContext, archiveKey: string, uploadId: string): Promise<void> {
  try {
    await ctx.writer.send(new AbortMultipartUploadCommand({ Bucket: ctx.archiveBucket, Key: archiveKey, UploadId: uploadId }));
  } catch {
    // Already gone or not ours to abort: the bucket's AbortIncompleteMultipartUpload rule cleans up.
  }
}
