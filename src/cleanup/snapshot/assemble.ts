import { SnapshotFailedError } from '../../core/errors.ts';
import type { Candidate } from '../../core/schemas.ts';
import { MANIFEST_SCHEMA_VERSION, ManifestSchema, type ArtifactEntry, type Manifest, type ManifestSource } from './manifest.ts';
import type { ArtifactSource } from './discover.ts';
import type { SnapshotPlan } from './state.ts';

/** The entry of an artifact that is recorded, not copied. */
export function byReferenceEntry(source: ArtifactSource, index: number): ArtifactEntry {
  return {
    source: index,
    sourceUri: source.uri,
    archiveUri: null,
    size: null,
    checksum: null,
    verification: 'by-reference',
    byReference: true,
    reason: source.byReference,
    copiedBy: 'none',
  };
}

/**
 * Builds the manifest and proves it complete: every declared object has its verified copy (or is by
 * reference) and every tree has its objects. A gap here is a bug, and it must stop the snapshot rather
 * than produce a manifest that claims more than the archive holds.
 */
export function assembleManifest(plan: SnapshotPlan, entries: ArtifactEntry[], candidate: Candidate, archiveBucket: string, createdAt: string): Manifest {
  const perSource = plan.sources.map(() => [] as ArtifactEntry[]);
  for (const entry of entries) perSource[entry.source]?.push(entry);
  const sources: ManifestSource[] = plan.sources.map((source, index) => manifestSource(source, index, perSource[index]!, archiveBucket));
  const artifacts = perSource.flat().sort((a, b) => a.source - b.source || a.sourceUri.localeCompare(b.sourceUri));
  const copied = artifacts.filter((a) => !a.byReference);
  const d = plan.descriptions;
  const manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    kind: 'zombie-sweep-snapshot',
    sweepId: candidate.sweepId,
    accountId: candidate.accountId,
    region: candidate.region,
    endpointName: candidate.endpointName,
    endpointArn: d.endpoint.EndpointArn ?? candidate.endpointArn,
    endpointConfigName: d.endpoint.EndpointConfigName ?? '',
    createdAt,
    snapshotRunId: plan.runId,
    archiveBucket,
    metricsSummary: metricsSummaryOf(candidate),
    endpoint: d.endpoint,
    endpointConfig: d.endpointConfig,
    models: d.models,
    modelPackages: d.modelPackages,
    inferenceComponents: d.inferenceComponents,
    tags: d.tags,
    autoscaling: { scalableTargets: d.scalableTargets, scalingPolicies: d.scalingPolicies ?? null },
    sources,
    artifacts,
    totals: {
      sources: sources.length,
      objects: artifacts.length,
      copiedObjects: copied.length,
      byReference: artifacts.length - copied.length,
      bytes: copied.reduce((sum, a) => sum + (a.size ?? 0), 0),
    },
    notes: d.notes,
  };
  // Through JSON first: descriptions hold Dates in the first run and ISO strings after a resume.
  return ManifestSchema.parse(JSON.parse(JSON.stringify(manifest)));
}

/** One source's manifest entry, after proving it complete; `own` (its entries) gains the by-reference entry it implies. */
function manifestSource(source: ArtifactSource, index: number, own: ArtifactEntry[], archiveBucket: string): ManifestSource {
  if (source.byReference) {
    if (own.length === 0) own.push(byReferenceEntry(source, index));
  } else if (source.kind === 'object' && own.length !== 1) {
    throw new SnapshotFailedError(`snapshot incomplete: ${source.uri} has ${own.length} verified copies, expected 1`);
  } else if (source.kind === 'prefix' && own.length === 0 && !source.allowEmpty) {
    throw new SnapshotFailedError(`snapshot incomplete: no archived objects under ${source.uri}`);
  }
  for (const entry of own) {
    if (!entry.byReference && (entry.archiveUri === null || entry.size === null))
      throw new SnapshotFailedError(`snapshot incomplete: ${entry.sourceUri} has no verified copy`);
  }
  return {
    kind: source.kind,
    uri: source.uri,
    archiveUri: source.byReference || !source.archiveKey ? null : `s3://${archiveBucket}/${source.archiveKey}`,
    byReference: Boolean(source.byReference),
    ...(source.byReference ? { reason: source.byReference } : {}),
    usedBy: source.usedBy,
    objectCount: source.byReference ? 0 : own.length,
    bytes: own.reduce((sum, entry) => sum + (entry.size ?? 0), 0),
  };
}

function metricsSummaryOf(candidate: Candidate) {
  return {
    endpointType: candidate.endpointType,
    instanceType: candidate.instanceType,
    instanceCount: candidate.instanceCount,
    monthlyCostUsd: candidate.monthlyCostUsd,
    idleSince: candidate.idleSince,
    detectedAt: candidate.detectedAt,
  };
}
