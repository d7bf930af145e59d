import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { ClientFactory, TargetRef } from '../../core/clients.ts';
import type { Clock } from '../../core/clock.ts';
import { errorMessage, SnapshotFailedError } from '../../core/errors.ts';
import { layout, s3Uri } from '../../core/layout.ts';
import type { Log } from '../../core/log.ts';
import type { Candidate } from '../../core/schemas.ts';
import { endpointWhere } from '../endpoint.ts';
import { appendAuditEvent, type AuditWriter } from '../../audit/events.ts';
import { hasAuditEvent } from '../../audit/reader.ts';
import { assembleManifest, byReferenceEntry } from './assemble.ts';
import { classifySnapshotError } from './classify-error.ts';
import { completedPrefix, RunBudget, runBounded } from './budget.ts';
import { archiveObject, DEFAULT_COPY_OPTIONS, type ArchiveOutcome, type CopyContext, type CopyOptions } from './copy.ts';
import { deploymentFingerprint, describeAll, fingerprintOf } from './describe.ts';
import { discoverArtifacts, type ArtifactSource } from './discover.ts';
import { archiveKeyOf, MAX_KEY_BYTES } from './locations.ts';
import { ManifestSchema, type Continuation, type Manifest, type SnapshotResult } from './manifest.ts';
import { readJsonObject, listObjects, putJson } from '../../core/s3-json.ts';
import { SnapshotState, type SnapshotPlan } from './state.ts';

export interface SnapshotOptions extends CopyOptions {
  /** Objects copied at once (each a CopyObject, or a multipart copy with its own part concurrency). */
  objectConcurrency: number;
  /** Consecutive single-object artifacts handled per batch. */
  objectBatch: number;
  /** Stop starting new copies when less than this remains of the Lambda run. */
  safetyMarginMs: number;
  /** A snapshot needing more runs than this is failed rather than looped forever. */
  maxRuns: number;
  /** More bucket name patterns to record by reference (besides AWS's JumpStart buckets). */
  extraAwsOwnedBuckets: readonly RegExp[];
}

export const DEFAULT_SNAPSHOT_OPTIONS: SnapshotOptions = {
  ...DEFAULT_COPY_OPTIONS,
  objectConcurrency: 16,
  objectBatch: 64,
  safetyMarginMs: 60_000,
  maxRuns: 1000,
  extraAwsOwnedBuckets: [],
};

export interface SnapshotDeps {
  factory: ClientFactory;
  archiveBucket: string;
  /** Region of the archive bucket: copies are written through a client in that region. */
  archiveRegion: string;
  archiveKmsKeyId?: string;
  clock: Clock;
  log: Log;
  auditRetention?: AuditWriter['retention'];
  /** Milliseconds left in this run (Lambda's context.getRemainingTimeInMillis); unlimited when absent. */
  remainingTimeMs?: () => number;
  /** Recorded as the audit events' actor. */
  actor?: string;
  options?: Partial<SnapshotOptions>;
}

export interface SnapshotInput {
  candidate: Candidate;
  continuation?: Continuation;
}

/**
 * Archives everything needed to restore one endpoint, resumably, and writes the manifest last.
 * Returns `continue` (call again with the continuation) until it returns `complete`; throws
 * SnapshotFailedError when the snapshot can never succeed as things stand (an artifact is missing or
 * unreadable, a copy does not verify, the endpoint changed or vanished), RetryableAwsError for
 * transient trouble.
 */
export async function snapshotEndpoint(input: SnapshotInput, deps: SnapshotDeps): Promise<SnapshotResult> {
  const { candidate } = input;
  const log = deps.log.child({ accountId: candidate.accountId, region: candidate.region, endpointName: candidate.endpointName, sweepId: candidate.sweepId });
  const hubS3 = deps.factory.hub(S3Client, deps.archiveRegion);
  const audit: AuditWriter = { s3: hubS3, bucket: deps.archiveBucket, clock: deps.clock, retention: deps.auditRetention };
  const actor = deps.actor ?? 'zombie-sweep';
  try {
    const manifestKey = layout.manifest(candidate.accountId, candidate.region, candidate.endpointName, candidate.sweepId);
    const existing = (await readJsonObject(hubS3, deps.archiveBucket, manifestKey))?.value;
    if (existing !== undefined) return await alreadyComplete(parseExisting(existing, manifestKey), manifestKey, candidate, audit, actor);
    return await runSnapshot(input, deps, { hubS3, audit, actor, log, manifestKey });
  } catch (error) {
    const classified = classifySnapshotError(error, `snapshot of ${candidate.endpointName}`);
    if (classified instanceof SnapshotFailedError) {
      log.error('snapshot failed', { reason: classified.message });
      await appendAuditEvent(audit, {
        type: 'snapshot-failed',
        actor,
        ...endpointWhere(candidate),
        reason: classified.message,
      });
    }
    throw classified;
  }
}

interface RunContext {
  hubS3: S3Client;
  audit: AuditWriter;
  actor: string;
  log: Log;
  manifestKey: string;
}

async function runSnapshot(input: SnapshotInput, deps: SnapshotDeps, run: RunContext): Promise<SnapshotResult> {
  const { candidate } = input;
  const options: SnapshotOptions = { ...DEFAULT_SNAPSHOT_OPTIONS, ...deps.options };
  // The snapshot capability: reads the endpoint and its artifacts, writes copies into the archive; never tags or deletes.
  const target: TargetRef = {
    accountId: candidate.accountId,
    region: candidate.region,
    roleName: candidate.roleName,
    externalId: candidate.externalId,
    capability: 'snapshot',
  };
  const sagemaker = deps.factory.target(SageMakerClient, target);
  const artifactPrefix = layout.artifactPrefix(candidate.accountId, candidate.region, candidate.endpointName, candidate.sweepId);
  const state = new SnapshotState(
    run.hubS3,
    deps.archiveBucket,
    layout.snapshotStatePrefix(candidate.sweepId, candidate.accountId, candidate.region, candidate.endpointName),
  );

  const resumed = await resumePlan(input.continuation, state, run.log, options);
  const { plan, continuation } =
    resumed ??
    (await newPlan(
      candidate,
      { sagemaker, autoscaling: deps.factory.target(ApplicationAutoScalingClient, target) },
      deps,
      run.log,
      state,
      artifactPrefix,
      options,
    ));

  const budget = new RunBudget(deps.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY), options.safetyMarginMs);
  const ctx: CopyContext = {
    // Source objects live in the endpoint's region (SageMaker requires artifacts in the model's region).
    source: deps.factory.target(S3Client, target),
    writer: deps.factory.target(S3Client, { ...target, region: deps.archiveRegion }),
    archive: run.hubS3,
    archiveBucket: deps.archiveBucket,
    archiveKmsKeyId: deps.archiveKmsKeyId,
    state,
    budget,
    options,
    log: run.log,
  };
  const cursor = { ...continuation };
  const suspend = (): SnapshotResult => ({ status: 'continue', continuation: cursor, progress: { itemIndex: cursor.itemIndex, items: plan.sources.length } });

  while (cursor.itemIndex < plan.sources.length) {
    const source = plan.sources[cursor.itemIndex]!;
    if (source.kind === 'prefix' && !source.byReference) {
      const finished = await archiveTree(ctx, source, cursor, artifactPrefix, options.objectConcurrency);
      if (!finished) return suspend();
      cursor.itemIndex++;
      delete cursor.startAfter;
    } else if (!(await archiveObjectBatch(ctx, plan, cursor, options))) {
      return suspend();
    }
    if (budget.exhausted() && cursor.itemIndex < plan.sources.length) return suspend();
  }
  return finish(plan, candidate, deps, run, state, sagemaker);
}

/** The plan of an earlier run to continue, counting this run; undefined when there is none (or its state is gone). */
async function resumePlan(
  continuation: Continuation | undefined,
  state: SnapshotState,
  log: Log,
  options: SnapshotOptions,
): Promise<{ plan: SnapshotPlan; continuation: Continuation } | undefined> {
  if (!continuation) return undefined;
  const plan = await state.loadPlan(continuation.runId);
  if (!plan) {
    log.warn('snapshot working state not found; starting the snapshot over', { runId: continuation.runId });
    return undefined;
  }
  const next = { ...continuation, runs: continuation.runs + 1 };
  if (next.runs > options.maxRuns) throw new SnapshotFailedError(`snapshot did not finish within ${options.maxRuns} runs`);
  return { plan, continuation: next };
}

/** Describes the endpoint, finds its artifacts and saves the plan every later run of this snapshot follows. */
async function newPlan(
  candidate: Candidate,
  clients: Parameters<typeof describeAll>[0],
  deps: SnapshotDeps,
  log: Log,
  state: SnapshotState,
  artifactPrefix: string,
  options: SnapshotOptions,
): Promise<{ plan: SnapshotPlan; continuation: Continuation }> {
  const descriptions = await describeAll(clients, candidate.endpointName);
  if (descriptions.endpoint.EndpointArn && descriptions.endpoint.EndpointArn !== candidate.endpointArn) {
    throw new SnapshotFailedError(`endpoint ARN ${descriptions.endpoint.EndpointArn} is not the candidate's ${candidate.endpointArn}`);
  }
  const plan: SnapshotPlan = {
    runId: randomBytes(8).toString('hex'),
    createdAt: deps.clock.now().toISOString(),
    fingerprint: fingerprintOf(descriptions.endpoint, descriptions.inferenceComponents),
    descriptions,
    sources: discoverArtifacts(descriptions, artifactPrefix, options.extraAwsOwnedBuckets),
  };
  await state.savePlan(plan);
  log.info('snapshot planned', { runId: plan.runId, sources: plan.sources.length });
  return { plan, continuation: { runId: plan.runId, itemIndex: 0, chunkSeq: 0, runs: 1 } };
}

/** Archives the next run of single objects (up to the next tree); false when the run's budget ended first. */
async function archiveObjectBatch(ctx: CopyContext, plan: SnapshotPlan, cursor: Continuation, options: SnapshotOptions): Promise<boolean> {
  const batch: { source: ArtifactSource; index: number }[] = [];
  for (let i = cursor.itemIndex; i < plan.sources.length && batch.length < options.objectBatch; i++) {
    const next = plan.sources[i]!;
    if (next.kind === 'prefix' && !next.byReference) break;
    batch.push({ source: next, index: i });
  }
  const results = await runBounded(
    batch,
    options.objectConcurrency,
    () => ctx.budget.allow(),
    ({ source: item, index }): Promise<ArchiveOutcome> =>
      item.byReference
        ? Promise.resolve({ status: 'done', entry: byReferenceEntry(item, index) })
        : archiveObject(ctx, item.location!, item.archiveKey!, index),
  );
  const done = completedPrefix(results, (r) => r.status === 'done');
  await ctx.state.saveProgress(
    plan.runId,
    cursor.chunkSeq++,
    results.slice(0, done).map((r) => (r as Extract<ArchiveOutcome, { status: 'done' }>).entry),
  );
  cursor.itemIndex += done;
  return done === batch.length;
}

/** Archives one S3Prefix tree page by page; false when the run's budget ended first (cursor says where). */
async function archiveTree(ctx: CopyContext, source: ArtifactSource, cursor: Continuation, artifactPrefix: string, concurrency: number): Promise<boolean> {
  const location = source.location!;
  let seenAny = cursor.startAfter !== undefined;
  try {
    for await (const page of listObjects(ctx.source, location.bucket, location.key, cursor.startAfter)) {
      if (page.length === 0) continue;
      seenAny = true;
      const archived = await archivedKeys(
        ctx,
        archiveKeyOf(artifactPrefix, location),
        cursor.startAfter === undefined ? undefined : archiveKeyOf(artifactPrefix, { bucket: location.bucket, key: cursor.startAfter }),
        archiveKeyOf(artifactPrefix, { bucket: location.bucket, key: page[page.length - 1]!.key }),
      );
      const results = await runBounded(
        page,
        concurrency,
        () => ctx.budget.allow(),
        (object) => {
          const member = { bucket: location.bucket, key: object.key };
          const archiveKey = archiveKeyOf(artifactPrefix, member);
          if (Buffer.byteLength(archiveKey, 'utf8') > MAX_KEY_BYTES)
            throw new SnapshotFailedError(`archive key for s3://${member.bucket}/${member.key} would exceed ${MAX_KEY_BYTES} bytes`);
          return archiveObject(ctx, member, archiveKey, cursor.itemIndex, archived.has(archiveKey) ? 'unknown' : 'absent');
        },
      );
      const done = completedPrefix(results, (r) => r.status === 'done');
      await ctx.state.saveProgress(
        cursor.runId,
        cursor.chunkSeq++,
        results.slice(0, done).map((r) => (r as Extract<ArchiveOutcome, { status: 'done' }>).entry),
      );
      if (done > 0) cursor.startAfter = page[done - 1]!.key;
      if (done < page.length || ctx.budget.exhausted()) return false;
    }
  } catch (error) {
    throw classifySnapshotError(error, `archiving ${source.uri}`);
  }
  if (!seenAny && !source.allowEmpty) throw new SnapshotFailedError(`no objects under ${source.uri} (used by ${source.usedBy.join(', ')})`);
  return true;
}

/**
 * Archive keys that already exist for one page of a tree (one LIST instead of a HEAD per object: on a
 * first run nearly none exist). Archive keys sort like their source keys, as they share one prefix.
 */
async function archivedKeys(ctx: CopyContext, treePrefix: string, startAfter: string | undefined, last: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const page of listObjects(ctx.archive, ctx.archiveBucket, treePrefix, startAfter)) {
    for (const object of page) {
      if (Buffer.compare(Buffer.from(object.key), Buffer.from(last)) > 0) return keys;
      keys.add(object.key);
    }
  }
  return keys;
}

async function finish(
  plan: SnapshotPlan,
  candidate: Candidate,
  deps: SnapshotDeps,
  run: RunContext,
  state: SnapshotState,
  sagemaker: SageMakerClient,
): Promise<SnapshotResult> {
  const entries = await state.loadEntries(plan.runId);
  // The manifest must describe what is deployed now: an update during the snapshot voids it.
  const now = await deploymentFingerprint(sagemaker, candidate.endpointName);
  if (now === undefined || now.status === 'Deleting' || now.status === 'Failed')
    throw new SnapshotFailedError(`endpoint ${candidate.endpointName} ${now ? `became ${now.status}` : 'disappeared'} during the snapshot`);
  if (now.fingerprint !== plan.fingerprint)
    throw new SnapshotFailedError(
      `endpoint ${candidate.endpointName} changed during the snapshot (endpoint config or inference components); the next sweep will snapshot it again`,
    );
  const manifest = assembleManifest(plan, entries, candidate, deps.archiveBucket, deps.clock.now().toISOString());
  const created = await putJson(run.hubS3, deps.archiveBucket, run.manifestKey, manifest, { condition: { ifNoneMatch: '*' }, kmsKeyId: deps.archiveKmsKeyId });
  const manifestUri = s3Uri(deps.archiveBucket, run.manifestKey);
  if (!created) {
    // A concurrent run of the same snapshot finished first; its manifest is the record.
    const winner = parseExisting((await readJsonObject(run.hubS3, deps.archiveBucket, run.manifestKey))?.value, run.manifestKey);
    return alreadyComplete(winner, run.manifestKey, candidate, run.audit, run.actor);
  }
  await recordSnapshotted(manifest, manifestUri, run.audit, run.actor);
  await state.clearRun(plan.runId).catch((error: unknown) => run.log.warn('could not clear snapshot working state', { error: errorMessage(error) }));
  run.log.info('snapshot complete', { manifestUri, objects: manifest.totals.objects, bytes: manifest.totals.bytes });
  return { status: 'complete', manifestUri, artifactCount: manifest.totals.objects, bytes: manifest.totals.bytes, alreadyComplete: false };
}

function parseExisting(raw: unknown, key: string): Manifest {
  const parsed = ManifestSchema.safeParse(raw);
  // Never overwritten (If-None-Match): an unreadable manifest needs a human, not a retry.
  if (!parsed.success) throw new SnapshotFailedError(`existing manifest ${key} is not a valid snapshot manifest: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

async function alreadyComplete(manifest: Manifest, manifestKey: string, candidate: Candidate, audit: AuditWriter, actor: string): Promise<SnapshotResult> {
  const manifestUri = s3Uri(audit.bucket, manifestKey);
  const logged = await hasAuditEvent(audit.s3, audit.bucket, {
    accountId: candidate.accountId,
    region: candidate.region,
    endpointName: candidate.endpointName,
    sweepId: candidate.sweepId,
    type: 'snapshotted',
  });
  if (!logged) await recordSnapshotted(manifest, manifestUri, audit, actor);
  return { status: 'complete', manifestUri, artifactCount: manifest.totals.objects, bytes: manifest.totals.bytes, alreadyComplete: true };
}

async function recordSnapshotted(manifest: Manifest, manifestUri: string, audit: AuditWriter, actor: string): Promise<void> {
  await appendAuditEvent(audit, {
    type: 'snapshotted',
    actor,
    ...endpointWhere(manifest),
    tagsBefore: manifest.tags,
    tagsAfter: manifest.tags,
    details: {
      manifestUri,
      artifactCount: manifest.totals.objects,
      copiedObjects: manifest.totals.copiedObjects,
      byReference: manifest.totals.byReference,
      bytes: manifest.totals.bytes,
    },
  });
}
