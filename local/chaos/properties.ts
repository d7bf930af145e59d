import { layout } from '../../src/core/layout.ts';
import { TAG } from '../../src/core/tags.ts';
import type { LocalSweepResult } from '../runner/index.ts';
import type { Simulator } from '../sim/server.ts';
import { sagemakerStore } from '../sim/services/sagemaker/store.ts';
import { s3State, s3Store } from '../sim/services/s3/store.ts';
import type { Click } from './approver.ts';
import { endpointStates, type DeleteCall, type EndpointState, type TagWrite } from './observe.ts';
import type { ChaosOrg } from './org.ts';
import type { OwnerActs } from './owners.ts';

/**
 * The five safety properties, checked after every chaos sweep from the simulator's own state (the
 * SageMaker resources, their tags, CloudWatch, every S3 object version) and the archive bucket,
 * never from the product's report (except property 4, which checks the report's counts against
 * what actually happened).
 */
export interface Violation {
  property: 1 | 2 | 3 | 4 | 5 | 6;
  sweepId?: string;
  endpoint?: string;
  message: string;
}

export interface SweepRun {
  sim: Simulator;
  org: ChaosOrg;
  bucket: string;
  initial: Map<string, EndpointState>;
  /** Every checksum (CRC-64/NVME) each source object had during the sweep, by `bucket/key`. */
  sources: Map<string, Set<string>>;
  startedAt: number;
  watched: { deletes: DeleteCall[]; tagWrites: TagWrite[]; auditKeys: Set<string> };
  sweeps: { sweepId: string; result: LocalSweepResult | undefined; clicks: Click[]; owners: OwnerActs }[];
  approvalTimedOut: boolean;
  /** Approver groups, when the sweep had them: each endpoint is decided by the group matching its account, else the fallback. */
  groups?: { groups: GroupSpec[]; fallback: GroupSpec };
}

export interface GroupSpec {
  name: string;
  approvers: string[];
  accounts: string[];
  required: number;
}

const CONTRACT_KEYS = new Set<string>(Object.values(TAG));

interface Facts {
  run: SweepRun;
  final: Map<string, EndpointState>;
  /** Gone because an owner deleted them (not the sweep's doing). */
  deletedByOthers: Set<string>;
  /** Gone (or Deleting) and not deleted by an owner: the sweep deleted them. */
  deletedBySweep: Map<string, DeleteCall | undefined>;
  violations: Violation[];
}

export async function checkProperties(run: SweepRun): Promise<Violation[]> {
  const final = endpointStates(run.sim, run.org.regions);
  const deletedByOthers = new Set(run.sweeps.flatMap((s) => s.owners.acts.filter((a) => a.action === 'deleted-by-other').map((a) => a.key)));
  const deletedBySweep = new Map<string, DeleteCall | undefined>();
  for (const key of run.initial.keys()) {
    if (final.has(key) || deletedByOthers.has(key)) continue;
    deletedBySweep.set(
      key,
      run.watched.deletes.find((call) => call.key === key && call.status !== 'Deleting'),
    );
  }
  const facts: Facts = { run, final, deletedByOthers, deletedBySweep, violations: [] };
  for (const [key, call] of deletedBySweep) {
    checkDeletionAllowed(facts, key, call);
    checkDeletionRecorded(facts, key, call);
  }
  checkAuditImmutable(facts);
  checkUntouched(facts);
  checkEnded(facts);
  checkScaledToZero(facts);
  return facts.violations;
}

/** Property 1: a deleted endpoint was a zombie, not exempt, approved, still marked by this sweep, and not invoked. */
function checkDeletionAllowed(facts: Facts, key: string, call: DeleteCall | undefined): void {
  const add = (message: string, sweepId?: string): void => void facts.violations.push({ property: 1, endpoint: key, message, ...(sweepId ? { sweepId } : {}) });
  if (!call) return add('deleted, but no DeleteEndpoint call on it was observed');
  const truth = facts.run.org.truth.get(key);
  if (truth?.expect?.verdict !== 'zombie') add(`deleted, but it was built as ${truth?.expect?.verdict ?? 'unknown'}, not a zombie`);
  const sweepId = call.tags[TAG.sweepId];
  const sweep = facts.run.sweeps.find((s) => s.sweepId === sweepId);
  if (call.tags[TAG.zombie] !== 'confirmed' || !sweep)
    return add(`deleted while tagged zombie=${call.tags[TAG.zombie] ?? '(none)'}, zombie-sweep-id=${sweepId ?? '(none)'}`, sweepId);
  if (call.tags['zombie-exempt'] === 'true') add('deleted while tagged zombie-exempt=true', sweepId);
  for (const act of sweep.owners.acts.filter((a) => a.key === key && a.at <= call.at)) {
    if (act.action === 'owner-veto' || act.action === 'owner-veto-link' || act.action === 'owner-exempt' || act.action === 'invoked-during-approval')
      add(`deleted after ${act.action}`, sweepId);
  }
  if (call.invocationsSinceStart > 0) add(`deleted although invoked ${call.invocationsSinceStart} time(s) since the sweep began`, sweepId);
  if (facts.run.approvalTimedOut && sweep === facts.run.sweeps[0]) add('deleted although the approval timed out', sweepId);
  const arn = facts.run.initial.get(key)!.arn;
  const accepted = acceptedDecision(sweep.clicks, facts.run.groups);
  if (accepted === 'conflicting') add('two different decisions were accepted for one sweep', sweepId);
  else if (!accepted) add('deleted without an accepted decision', sweepId);
  else if (!accepted.approved.includes(arn))
    add(
      facts.run.groups ? 'deleted without the quorum of its approver group (or after a rejection in it)' : 'deleted but not approved by the decision',
      sweepId,
    );
  else if (accepted.scaleToZero.includes(arn)) add('deleted although the decision chose scale to zero for it', sweepId);
}

export interface Decision {
  approved: string[];
  rejected: string[];
  scaleToZero: string[];
}

/**
 * What the approval pages accepted; tampered links must never be accepted. Without groups, the one
 * decision (two different accepted decisions are a violation). With groups, each endpoint's fate
 * from the accepted votes of the group matching its account (design.md): any rejection keeps it,
 * `required` distinct approvals delete it.
 */
export function acceptedDecision(clicks: Click[], groups?: SweepRun['groups']): Decision | 'conflicting' | undefined {
  const accepted = clicks.filter((c) => c.accepted && !c.tampered);
  if (accepted.length === 0) return undefined;
  if (groups) return fromVotes(accepted, groups);
  const list = (values: readonly string[] | undefined) => [...(values ?? [])].sort().join();
  const same = (a: Click, b: Click) => a.action === b.action && list(a.approved) === list(b.approved) && list(a.scaleToZero) === list(b.scaleToZero);
  const first = accepted[0]!;
  return accepted.every((c) => same(c, first)) ? { approved: first.approved, rejected: first.rejected, scaleToZero: first.scaleToZero ?? [] } : 'conflicting';
}

function fromVotes(votes: Click[], groups: NonNullable<SweepRun['groups']>): Decision {
  const groupOf = (arn: string) => groups.groups.find((g) => g.accounts.includes(arn.split(':')[4] ?? '')) ?? groups.fallback;
  const decision: Decision = { approved: [], rejected: [], scaleToZero: [] };
  for (const arn of new Set(votes.flatMap((v) => [...v.approved, ...v.rejected]))) {
    const group = groupOf(arn);
    const own = votes.filter((v) => (v.group ?? 'default') === group.name && group.approvers.includes(v.approver));
    if (own.some((v) => v.rejected.includes(arn))) decision.rejected.push(arn);
    else if (new Set(own.filter((v) => v.approved.includes(arn)).map((v) => v.approver)).size >= group.required) decision.approved.push(arn);
  }
  return decision;
}

/** Property 2: manifest, archived bytes matching the source, approval record, `deleted` audit event. */
function checkDeletionRecorded(facts: Facts, key: string, call: DeleteCall | undefined): void {
  const sweepId = call?.tags[TAG.sweepId];
  if (!sweepId) return;
  const add = (message: string) => facts.violations.push({ property: 2, endpoint: key, sweepId, message });
  const { accountId, region, name } = facts.run.initial.get(key)!;
  const store = s3Store(facts.run.sim.world);
  const bucket = facts.run.bucket;
  const manifestKey = layout.manifest(accountId, region, name, sweepId);
  if (!store.head(bucket, manifestKey)) add(`no manifest at ${manifestKey}`);
  else checkArchivedArtifacts(facts, add, JSON.parse(store.readBytes(bucket, manifestKey).toString()) as { artifacts?: ArchivedEntry[] });
  if (!store.head(bucket, layout.approval(sweepId))) add('no approval request record');
  if (!store.head(bucket, layout.decision(sweepId))) add('no decision record');
  const events = store
    .listKeys(bucket, layout.endpointAuditPrefix(accountId, region, name))
    .map((k) => JSON.parse(store.readBytes(bucket, k).toString()) as { type?: string; sweepId?: string });
  if (!events.some((e) => e.type === 'deleted' && e.sweepId === sweepId)) add('no `deleted` audit event');
}

interface ArchivedEntry {
  sourceUri: string;
  archiveUri: string | null;
  byReference: boolean;
  archiveCrc64nvme?: string;
}

function checkArchivedArtifacts(facts: Facts, add: (message: string) => void, manifest: { artifacts?: ArchivedEntry[] }): void {
  const store = s3Store(facts.run.sim.world);
  for (const entry of manifest.artifacts ?? []) {
    if (entry.byReference || !entry.archiveUri) continue;
    const archive = splitUri(entry.archiveUri);
    const copy = store.head(archive.bucket, archive.key);
    if (!copy) {
      add(`archived copy ${entry.archiveUri} is missing`);
      continue;
    }
    const source = splitUri(entry.sourceUri);
    const known = facts.run.sources.get(`${source.bucket}/${source.key}`);
    if (known && !known.has(copy.crc64nvme)) add(`archived copy ${entry.archiveUri} does not match any version of ${entry.sourceUri}`);
    if (entry.archiveCrc64nvme !== undefined && entry.archiveCrc64nvme !== copy.crc64nvme)
      add(`archived copy ${entry.archiveUri} differs from the checksum its manifest records`);
  }
}

function splitUri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  return { bucket: match?.[1] ?? '', key: match?.[2] ?? '' };
}

/** Property 2 (second half): no audit object was overwritten or removed (every version of every key ever written). */
function checkAuditImmutable(facts: Facts): void {
  const bucket = s3State(facts.run.sim.world).buckets.get(facts.run.bucket);
  const keys = new Set([...facts.run.watched.auditKeys, ...[...(bucket?.keys.keys() ?? [])].filter((k) => k.startsWith('audit/'))]);
  for (const key of keys) {
    const versions = bucket?.keys.get(key) ?? [];
    if (versions.length === 0) facts.violations.push({ property: 2, message: `audit object ${key} was removed` });
    else if (versions.some((v) => v.deleteMarker)) facts.violations.push({ property: 2, message: `audit object ${key} was deleted (delete marker)` });
    else if (versions.length > 1) facts.violations.push({ property: 2, message: `audit object ${key} was overwritten (${versions.length} versions)` });
  }
}

/**
 * Property 3: every endpoint the sweep did not delete keeps its config, models, inference components
 * and every tag outside the contract's keys; the sweep wrote no other tag key anywhere. Property 5:
 * the same for the endpoints that had to be kept (vetoed, exempted, invoked, rejected, timed out).
 */
function checkUntouched(facts: Facts): void {
  const { run, final } = facts;
  const protectedKeys = keptOnPurpose(facts);
  for (const write of run.watched.tagWrites) {
    const foreign = write.keys.filter((k) => !CONTRACT_KEYS.has(k));
    if (foreign.length > 0)
      facts.violations.push({ property: 3, endpoint: write.key, message: `${write.operation} of non-contract tag keys ${foreign.join(', ')}` });
  }
  for (const [key, before] of run.initial) {
    if (facts.deletedByOthers.has(key)) continue;
    const property = protectedKeys.has(key) ? 5 : 3;
    const add = (message: string) => facts.violations.push({ property, endpoint: key, message });
    const after = final.get(key);
    if (!after) {
      if (property === 5) add(`deleted although it had to be kept (${protectedKeys.get(key)})`);
      continue;
    }
    const ownerSet = new Set(
      run.sweeps
        .flatMap((s) => s.owners.acts)
        .filter((a) => a.key === key && a.action === 'owner-exempt')
        .map(() => 'zombie-exempt'),
    );
    for (const tag of new Set([...Object.keys(before.tags), ...Object.keys(after.tags)])) {
      if (CONTRACT_KEYS.has(tag) || ownerSet.has(tag)) continue;
      if (before.tags[tag] !== after.tags[tag]) add(`tag ${tag} changed from ${before.tags[tag] ?? '(none)'} to ${after.tags[tag] ?? '(none)'}`);
    }
    const store = sagemakerStore(run.sim.world, before.accountId, before.region);
    if (!store.getEndpointConfig(before.configName)) add(`its endpoint config ${before.configName} is gone`);
    for (const model of before.models) if (!store.getModel(model)) add(`its model ${model} is gone`);
    for (const component of before.components) if (!store.getInferenceComponent(component.name)) add(`its inference component ${component.name} is gone`);
  }
}

/** Endpoints that had to survive, and why. */
function keptOnPurpose(facts: Facts): Map<string, string> {
  const kept = new Map<string, string>();
  const { run } = facts;
  for (const sweep of run.sweeps) {
    for (const act of sweep.owners.acts) if (act.action !== 'deleted-by-other' && act.action !== 'updated-by-other') kept.set(act.key, act.action);
    const decision = acceptedDecision(sweep.clicks, run.groups);
    if (decision && decision !== 'conflicting') {
      const keyOf = (arn: string) => [...run.initial].find(([, e]) => e.arn === arn)?.[0];
      for (const arn of decision.rejected) {
        const key = keyOf(arn);
        if (key) kept.set(key, 'rejected');
      }
      for (const arn of decision.scaleToZero) {
        const key = keyOf(arn);
        if (key) kept.set(key, 'approved for scale to zero');
      }
    }
  }
  if (run.approvalTimedOut) {
    const first = run.sweeps[0]!.sweepId;
    for (const [key, state] of facts.final) if (state.tags[TAG.sweepId] === first) kept.set(key, 'approval timed out');
    for (const [key, call] of facts.deletedBySweep) if (call?.tags[TAG.sweepId] === first) kept.set(key, 'approval timed out');
  }
  return kept;
}

/** Property 4: each sweep ended (succeeded, or failed with a recorded reason), and its report's counts are what happened. */
function checkEnded(facts: Facts): void {
  const store = s3Store(facts.run.sim.world);
  const bucket = facts.run.bucket;
  for (const sweep of facts.run.sweeps) {
    const add = (message: string) => facts.violations.push({ property: 4, sweepId: sweep.sweepId, message });
    const result = sweep.result;
    if (!result) {
      add('the sweep never ended (hung)');
      continue;
    }
    if (result.status === 'FAILED') {
      // The execution's Error and Cause are Step Functions' own durable record of why; the sweep-failed
      // audit event is written too unless S3 itself is what kept failing.
      if (!result.error || !result.cause) add(`failed without a recorded reason (error ${result.error ?? 'none'}, cause ${result.cause ?? 'none'})`);
      continue;
    }
    if (result.status !== 'SUCCEEDED') {
      add(`ended ${result.status}`);
      continue;
    }
    const report = result.report;
    if (!report) {
      add('succeeded without a report');
      continue;
    }
    const deleted = [...facts.deletedBySweep.values()].filter((call) => call?.tags[TAG.sweepId] === sweep.sweepId).length;
    const reported = report.summary.deleted + (report.summary.deleting ?? 0);
    if (reported !== deleted) add(`report says ${reported} deleted, ${deleted} actually were`);
    const manifests = store.listKeys(bucket, 'manifests/').filter((k) => k.endsWith(`/${sweep.sweepId}.json`)).length;
    if (report.summary.archived !== manifests) add(`report says ${report.summary.archived} archived, ${manifests} manifests exist`);
  }
}

/**
 * Property 6: an endpoint tagged `zombie=scaled-to-zero` by a sweep still exists (with its config, models
 * and components: property 3 checks those for every endpoint the sweep did not delete), was chosen for
 * scale to zero by that sweep's accepted decision, and has that sweep's manifest and `scaled-to-zero`
 * audit event.
 */
function checkScaledToZero(facts: Facts): void {
  const store = s3Store(facts.run.sim.world);
  const bucket = facts.run.bucket;
  for (const [key, state] of facts.final) {
    if (state.tags[TAG.zombie] !== 'scaled-to-zero') continue;
    const sweepId = state.tags[TAG.sweepId];
    const add = (message: string) => facts.violations.push({ property: 6, endpoint: key, ...(sweepId ? { sweepId } : {}), message });
    const sweep = facts.run.sweeps.find((s) => s.sweepId === sweepId);
    if (!sweep) {
      add(`tagged zombie=scaled-to-zero with zombie-sweep-id=${sweepId ?? '(none)'}, not a sweep of this run`);
      continue;
    }
    const decision = acceptedDecision(sweep.clicks, facts.run.groups);
    if (!decision || decision === 'conflicting' || !decision.scaleToZero.includes(state.arn))
      add('scaled to zero, but the accepted decision did not choose scale to zero for it');
    const { accountId, region, name } = state;
    if (!store.head(bucket, layout.manifest(accountId, region, name, sweep.sweepId))) add('scaled to zero without a snapshot manifest');
    const events = store
      .listKeys(bucket, layout.endpointAuditPrefix(accountId, region, name))
      .map((k) => JSON.parse(store.readBytes(bucket, k).toString()) as { type?: string; sweepId?: string });
    if (!events.some((e) => e.type === 'scaled-to-zero' && e.sweepId === sweep.sweepId)) add('scaled to zero without a `scaled-to-zero` audit event');
  }
}
