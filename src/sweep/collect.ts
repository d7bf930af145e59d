import { z } from 'zod';
import { appendAuditEvent } from '../audit/events.ts';
import { mapLimit } from '../core/concurrency.ts';
import { InputValidationError } from '../core/errors.ts';
import { layout, s3Uri } from '../core/layout.ts';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { accountOwners, accountParents, ownerTagsOf as pickOwnerTags, resolveOwner } from '../core/owners.ts';
import { CandidateSchema, FindingsFileSchema, parseOrThrow, type Candidate, type Finding, type FindingsFile } from '../core/schemas.ts';
import { auditWriterOf, hubS3, type SweepDeps } from './deps.ts';
import { causeMessage, readMapResults } from './map-results.ts';
import {
  ScanItemSchema,
  SWEEP_FILES,
  SweepContextSchema,
  type EndpointAction,
  type ScanItem,
  type SweepContext,
  type SweepReport,
  type TargetReport,
} from './model.ts';
import { readReport, writeReport } from './report-store.ts';
import { readJsonObject, putJson } from '../core/s3-json.ts';
import { round2, summarize } from './summary.ts';

/**
 * Collect runs twice. After the scan (`phase: scan`) it merges every target's findings file into
 * the sweep report and writes the zombie candidates (the Snapshot/Tag Map's items). After Snapshot
 * and Tag (`phase: tagged`) it reads each endpoint's outcome from the Map's ResultWriter files and
 * writes the approval candidates: only endpoints whose snapshot was verified and that were tagged.
 */

const MapRunRefSchema = z.object({ bucket: z.string(), manifestKey: z.string(), mapRunArn: z.string().optional() });

export const CollectInputSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('scan'), sweep: SweepContextSchema, targetList: z.object({ key: z.string(), count: z.number().int() }), scan: MapRunRefSchema }),
  z.object({ phase: z.literal('tagged'), sweep: SweepContextSchema, tagging: MapRunRefSchema }),
]);

export interface CollectScanResult {
  reportKey: string;
  candidatesKey: string;
  candidates: number;
  zombieMonthlyCostUsd: number;
  endpoints: number;
  targets: { total: number; ok: number; unreachable: number; error: number };
}

export interface CollectTaggedResult {
  key: string;
  count: number;
  snapshotFailed: number;
  failed: number;
}

export async function collect(deps: SweepDeps, raw: unknown): Promise<CollectScanResult | CollectTaggedResult> {
  const input = parseOrThrow(CollectInputSchema, raw, 'collect input');
  return input.phase === 'scan'
    ? collectScan(deps, input.sweep, input.targetList.key, input.scan.manifestKey, input.scan.bucket)
    : collectTagged(deps, input.sweep, input.tagging.manifestKey, input.tagging.bucket);
}

const targetKey = (accountId: string, region: string) => `${accountId}/${region}`;

async function collectScan(deps: SweepDeps, sweep: SweepContext, targetsKey: string, manifestKey: string, resultsBucket: string): Promise<CollectScanResult> {
  const s3 = hubS3(deps);
  const log = deps.log.child({ sweepId: sweep.sweepId });
  const files = await readFindingsFiles(deps, sweep, targetsKey, manifestKey, resultsBucket);
  const { targets, findings, candidates } = gatherFindings(sweep, files);
  await attachOwners(deps, sweep, findings, candidates);

  const report = scannedReport(deps, sweep, targets, findings);
  const reportKey = await writeReport(s3, deps.archiveBucket, report);
  const candidatesKey = layout.sweepFile(sweep.sweepId, SWEEP_FILES.candidates);
  await putJson(s3, deps.archiveBucket, candidatesKey, candidates);
  await auditDetected(deps, sweep, candidates);
  const count = (status: string) => targets.filter((t) => t.status === status).length;
  log.info('findings collected', { targets: targets.length, endpoints: findings.length, zombies: candidates.length });
  return {
    reportKey,
    candidatesKey,
    candidates: candidates.length,
    zombieMonthlyCostUsd: report.summary.zombieMonthlyCostUsd,
    endpoints: findings.length,
    targets: { total: targets.length, ok: count('ok'), unreachable: count('unreachable'), error: count('error') },
  };
}

type TargetFindings = { item: ScanItem; file?: FindingsFile; problem?: string };

/** Each target's findings file, or why it has none (a child that failed outright says so in the Map's results). */
async function readFindingsFiles(
  deps: SweepDeps,
  sweep: SweepContext,
  targetsKey: string,
  manifestKey: string,
  resultsBucket: string,
): Promise<TargetFindings[]> {
  const s3 = hubS3(deps);
  const targetsFile = await readJsonObject(s3, deps.archiveBucket, targetsKey);
  if (!targetsFile) throw new InputValidationError(`targetList.key: no target list at s3://${deps.archiveBucket}/${targetsKey}`, 'targetList.key');
  const items = parseOrThrow(z.array(ScanItemSchema), targetsFile.value, 'target list');

  // Children that failed outright (after retries) left no findings file; their error says why.
  const results = await readMapResults(s3, resultsBucket, manifestKey);
  const childErrors = new Map<string, string>();
  for (const failure of results.failed) {
    for (const item of scanItemsOf(failure.input)) childErrors.set(targetKey(item.accountId, item.region), `${failure.error}: ${causeMessage(failure.cause)}`);
  }

  return mapLimit(items, 16, async (item): Promise<TargetFindings> => {
    const found = await readJsonObject(s3, deps.archiveBucket, layout.findings(sweep.sweepId, item.accountId, item.region));
    if (!found) return { item, problem: childErrors.get(targetKey(item.accountId, item.region)) ?? 'the scan left no findings file' };
    const parsed = FindingsFileSchema.safeParse(found.value);
    return parsed.success ? { item, file: parsed.data } : { item, problem: `malformed findings file: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  });
}

function scannedReport(deps: SweepDeps, sweep: SweepContext, targets: TargetReport[], findings: Finding[]): SweepReport {
  const now = deps.clock.now().toISOString();
  return {
    version: 1,
    sweepId: sweep.sweepId,
    mode: sweep.mode,
    status: 'scanned',
    requestedBy: sweep.requestedBy,
    executionArn: sweep.executionArn,
    startedAt: sweep.startedAt,
    updatedAt: now,
    archiveBucket: deps.archiveBucket,
    detection: {
      lookbackDays: sweep.detection.lookbackDays,
      thresholdInvocations: sweep.detection.thresholdInvocations,
      minAgeDays: sweep.detection.minAgeDays ?? sweep.detection.lookbackDays,
    },
    targets,
    findings,
    actions: [],
    summary: summarize(targets, findings, []),
  };
}

/** A scan child's input: a batch (`{ Items }`, from the Map's ItemBatcher) or a single target. */
function scanItemsOf(input: unknown): ScanItem[] {
  const batch = z.object({ Items: z.array(z.unknown()) }).safeParse(input);
  const candidates = batch.success ? batch.data.Items : [input];
  return candidates.flatMap((candidate) => {
    const parsed = ScanItemSchema.safeParse(candidate);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * The owner of each zombie and each expired endpoint (both can be put to approval): an owner tag
 * naming an address, else its account's owner (the configured contact, else the account's
 * Organizations tags, read once per account that needs it).
 */
async function attachOwners(deps: SweepDeps, sweep: SweepContext, findings: Finding[], candidates: Candidate[]): Promise<void> {
  const keys = sweep.approval.ownerTagKeys;
  const owned = findings.filter((f) => f.verdict === 'zombie' || f.verdict === 'expired');
  // With owner notices, every account's owner, also where a tag names the owner: they are told in that
  // owner's place when the tag's address cannot be reached (src/cleanup/notice/notice.ts).
  const accounts = owned.filter((f) => sweep.approval.notifyOwners || resolveOwner(f.tags, keys, undefined).contact === null).map((f) => f.accountId);
  const organizations = sweep.targets.org && accounts.length > 0 ? deps.clients.hub(OrganizationsClient) : undefined;
  const byAccount = await accountOwners(accounts, sweep.approval.accountOwners, keys, organizations);
  const owners = new Map(owned.map((f) => [f.endpointArn, resolveOwner(f.tags, keys, byAccount.get(f.accountId))]));
  for (const f of owned) {
    const owner = owners.get(f.endpointArn);
    if (owner?.contact) f.owner = owner.contact;
  }
  // Approver groups that match by OU need each account's OUs up to the root (ListParents per account and per OU, once each).
  const byOu = sweep.approval.groups.some((g) => g.match.ous.length > 0);
  const parents =
    byOu && sweep.targets.org
      ? await accountParents(
          candidates.map((c) => c.accountId),
          deps.clients.hub(OrganizationsClient),
        )
      : new Map<string, string[]>();
  for (const c of candidates) {
    const owner = owners.get(c.endpointArn);
    if (owner?.contact && owner.source) Object.assign(c, { owner: owner.contact, ownerSource: owner.source });
    const accountOwner = byAccount.get(c.accountId);
    if (owner?.source === 'tag' && accountOwner && accountOwner !== owner.contact) Object.assign(c, { accountOwner });
    const path = parents.get(c.accountId);
    if (path) Object.assign(c, { ouId: path[0], ouPath: path });
  }
}

export function candidateOf(sweep: SweepContext, item: ScanItem, f: Finding, scannedAt: string): Candidate {
  return CandidateSchema.parse({
    sweepId: sweep.sweepId,
    accountId: f.accountId,
    region: f.region,
    endpointName: f.endpointName,
    endpointArn: f.endpointArn,
    endpointType: f.endpointType,
    instanceType: f.instanceType,
    instanceCount: f.instanceCount,
    monthlyCostUsd: f.monthlyCostUsd,
    idleSince: f.idleSince ?? (f.lastInvokedAt ? f.lastInvokedAt.slice(0, 10) : 'never'),
    detectedAt: scannedAt,
    lastInvokedAt: f.lastInvokedAt,
    ...(f.creationTime ? { createdAt: f.creationTime } : {}),
    ownerTags: pickOwnerTags(f.tags, sweep.approval.ownerTagKeys),
    ...(item.roleName ? { roleName: item.roleName } : {}),
    ...(item.externalId ? { externalId: item.externalId } : {}),
  });
}

/** Per target: its line in the report, its findings, and the candidates they make (zombies, and expired ones when asked). */
function gatherFindings(
  sweep: SweepContext,
  files: readonly { item: ScanItem; file?: FindingsFile; problem?: string }[],
): { targets: TargetReport[]; findings: Finding[]; candidates: Candidate[] } {
  const targets: TargetReport[] = [];
  const findings: Finding[] = [];
  const candidates: Candidate[] = [];
  for (const { item, file, problem } of files) {
    if (!file) {
      targets.push({ accountId: item.accountId, region: item.region, status: 'error', reason: problem, endpoints: 0, zombies: 0, zombieMonthlyCostUsd: 0 });
      continue;
    }
    const zombies = file.findings.filter((f) => f.verdict === 'zombie');
    targets.push({
      accountId: item.accountId,
      region: item.region,
      status: file.status,
      ...(file.error ? { reason: file.error } : {}),
      endpoints: file.findings.length,
      zombies: zombies.length,
      zombieMonthlyCostUsd: round2(zombies.reduce((sum, f) => sum + (f.monthlyCostUsd ?? 0), 0)),
    });
    findings.push(...file.findings);
    for (const f of zombies) candidates.push(candidateOf(sweep, item, f, file.scannedAt));
    // The owner's own deadline passed: with expiredAction candidate it is archived and put to approval like a zombie.
    if (sweep.detection.expiredAction === 'candidate') {
      for (const f of file.findings.filter((x) => x.verdict === 'expired'))
        candidates.push({ ...candidateOf(sweep, item, f, file.scannedAt), expired: f.reason, ...stillInvoked(sweep, f) });
    }
  }
  return { targets, findings, candidates };
}

/** An expired endpoint called above the threshold in the window is still in use: the approvers must see that. */
function stillInvoked(sweep: SweepContext, f: Finding): { stillInvoked?: string } {
  const { thresholdInvocations, lookbackDays } = sweep.detection;
  if (f.invocations === null || f.invocations <= thresholdInvocations) return {};
  return { stillInvoked: `${f.invocations} invocation${f.invocations === 1 ? '' : 's'} in the last ${lookbackDays} days` };
}

/**
 * One `detected` event per zombie. A marker written after them keeps a retried Collect from
 * writing them twice (a crash between the events and the marker can still duplicate some: the
 * audit trail is append-only, and a duplicate `detected` says nothing false).
 */
async function auditDetected(deps: SweepDeps, sweep: SweepContext, candidates: readonly Candidate[]): Promise<void> {
  const s3 = hubS3(deps);
  const marker = layout.sweepFile(sweep.sweepId, SWEEP_FILES.detectedMarker);
  if (await readJsonObject(s3, deps.archiveBucket, marker)) return;
  const audit = auditWriterOf(deps);
  await mapLimit(candidates, 8, (c) =>
    appendAuditEvent(audit, {
      type: 'detected',
      actor: sweep.requestedBy,
      sweepId: sweep.sweepId,
      accountId: c.accountId,
      region: c.region,
      endpointName: c.endpointName,
      endpointArn: c.endpointArn,
      details: {
        monthlyCostUsd: c.monthlyCostUsd,
        idleSince: c.idleSince,
        instanceType: c.instanceType,
        instanceCount: c.instanceCount,
        endpointType: c.endpointType,
        detectedAt: c.detectedAt,
        mode: sweep.mode,
      },
    }),
  );
  await putJson(s3, deps.archiveBucket, marker, { at: deps.clock.now().toISOString(), count: candidates.length });
}

/** What one SnapshotAndTag child ends with (the Pass states of the ASL's item processor). */
const ItemOutcomeSchema = z.object({
  status: z.enum(['tagged', 'snapshot-failed', 'failed']),
  candidate: CandidateSchema.extend({ manifestUri: z.string().optional() }),
  error: z.string().optional(),
  reason: z.string().optional(),
});
const ItemInputSchema = z.object({ candidate: CandidateSchema });

async function collectTagged(deps: SweepDeps, sweep: SweepContext, manifestKey: string, resultsBucket: string): Promise<CollectTaggedResult> {
  const s3 = hubS3(deps);
  const results = await readMapResults(s3, resultsBucket, manifestKey);
  const outcomes: z.infer<typeof ItemOutcomeSchema>[] = [];
  for (const success of results.succeeded) outcomes.push(parseOrThrow(ItemOutcomeSchema, success.output, 'SnapshotAndTag outcome'));
  for (const failure of results.failed) {
    const parsed = ItemInputSchema.safeParse(failure.input);
    if (parsed.success) outcomes.push({ status: 'failed', candidate: parsed.data.candidate, error: failure.error, reason: causeMessage(failure.cause) });
  }
  const tagged = outcomes.filter((o) => o.status === 'tagged').map((o) => o.candidate);
  const sizes = await mapLimit(tagged, 8, async (c) => (c.manifestUri ? manifestSize(deps, c.manifestUri) : undefined));
  const sizeOf = new Map(tagged.map((c, i) => [c.endpointArn, sizes[i]]));

  // A snapshot can complete and the Tag step still fail (an owner exempted the endpoint meanwhile, or Tag
  // died after its retries): its archive exists and the report must count it.
  const untagged = outcomes.filter((o) => o.status === 'failed');
  const archivedUntagged = await mapLimit(untagged, 8, (o) => archivedManifest(deps, sweep.sweepId, o.candidate));
  const manifestOf = new Map(untagged.map((o, i) => [o.candidate.endpointArn, archivedUntagged[i]]));

  const actions: EndpointAction[] = outcomes.map((o) => {
    const c = o.candidate;
    const base = { accountId: c.accountId, region: c.region, endpointName: c.endpointName, endpointArn: c.endpointArn, monthlyCostUsd: c.monthlyCostUsd };
    if (o.status === 'tagged') return { ...base, snapshot: 'archived', manifestUri: c.manifestUri, tagged: true, ...(sizeOf.get(c.endpointArn) ?? {}) };
    const why = o.reason ? causeMessage(o.reason) : (o.error ?? 'unknown error');
    if (o.status === 'snapshot-failed') return { ...base, snapshot: 'failed', tagged: false, reason: `snapshot not verified, endpoint left untouched: ${why}` };
    const archived = manifestOf.get(c.endpointArn);
    return archived
      ? { ...base, snapshot: 'archived', manifestUri: archived.uri, ...archived.size, tagged: false, reason: `not tagged: ${why}` }
      : { ...base, tagged: false, reason: `not tagged: ${why}` };
  });

  const report = await readReport(s3, deps.archiveBucket, sweep.sweepId);
  const updated: SweepReport = {
    ...report,
    status: 'tagged',
    updatedAt: deps.clock.now().toISOString(),
    actions,
    summary: summarize(report.targets, report.findings, actions),
  };
  await writeReport(s3, deps.archiveBucket, updated);
  const key = layout.sweepFile(sweep.sweepId, SWEEP_FILES.approvalCandidates);
  await putJson(s3, deps.archiveBucket, key, tagged);
  return {
    key,
    count: tagged.length,
    snapshotFailed: outcomes.filter((o) => o.status === 'snapshot-failed').length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
  };
}

/** The manifest this sweep wrote for the candidate, if its snapshot completed. */
async function archivedManifest(
  deps: SweepDeps,
  sweepId: string,
  c: { accountId: string; region: string; endpointName: string },
): Promise<{ uri: string; size?: { artifacts: number; bytes: number } } | undefined> {
  const key = layout.manifest(c.accountId, c.region, c.endpointName, sweepId);
  if (!(await readJsonObject(hubS3(deps), deps.archiveBucket, key))) return undefined;
  const uri = s3Uri(deps.archiveBucket, key);
  return { uri, size: await manifestSize(deps, uri) };
}

/** Artifact count and bytes from a manifest (written by the snapshot step; read loosely, it is theirs). */
async function manifestSize(deps: SweepDeps, manifestUri: string): Promise<{ artifacts: number; bytes: number } | undefined> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(manifestUri);
  if (!match) return undefined;
  const file = await readJsonObject(hubS3(deps), match[1]!, match[2]!);
  const totals = (file?.value as { totals?: { copiedObjects?: unknown; objects?: unknown; bytes?: unknown } } | undefined)?.totals;
  if (!totals) return undefined;
  const artifacts = typeof totals.objects === 'number' ? totals.objects : typeof totals.copiedObjects === 'number' ? totals.copiedObjects : 0;
  return { artifacts, bytes: typeof totals.bytes === 'number' ? totals.bytes : 0 };
}
