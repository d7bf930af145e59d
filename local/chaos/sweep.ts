import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DEFAULT_MEMBER_ROLE, type SweepInput } from '../../src/core/schemas.ts';
import { attachToSimulator, startSweepLocally, type ApprovalRequested, type LocalHost, type LocalSweep, type LocalSweepResult } from '../runner/index.ts';
import { buildWorld } from '../sim/scenario/build.ts';
import { startSimulator, type Simulator } from '../sim/server.ts';
import { kmsStore } from '../sim/services/kms.ts';
import { s3Store } from '../sim/services/s3/store.ts';
import { snsOutbox } from '../sim/services/sns/outbox.ts';
import { approve, approveInGroups, type ApprovalLink, type Click } from './approver.ts';
import {
  FaultCounter,
  denyMemberRole,
  drawExtras,
  drawFaultPlan,
  injectArtifactChange,
  injectCopyFailures,
  injectWireFaults,
  lambdaDeaths,
  type Extras,
  type FaultPlan,
} from './faults.ts';
import { vetoByLink } from './notice.ts';
import { endpointStates, watchDestructiveCalls } from './observe.ts';
import { randomOrg, type ChaosOrg } from './org.ts';
import { actOnEndpoints, type OwnerActs } from './owners.ts';
import { checkProperties, type SweepRun, type Violation } from './properties.ts';
import { extrasSeed, seededRng, sweepSeed, type Rng } from './random.ts';
import { notificationTopic } from '../sim/notification-topic.ts';

/**
 * One chaos sweep: a fresh random organization in a fresh simulator, a random fault schedule, the
 * real state machine run by the local runner, the approvers and owners played at the approval wait,
 * and every safety property checked afterwards from the simulator's state and the archive bucket.
 */
export const ARCHIVE_BUCKET = 'zombie-chaos-archive';
export const APPROVERS = ['alice@example.com', 'bob@example.com'];
/** The approvers of the one approver group some sweeps have (faults.ts `Extras`). */
export const GROUP_APPROVERS = ['carol@example.com', 'dave@example.com'];
export const GROUP_NAME = 'team-one';
/** Each member account's owner, told by the owner notice (the generated endpoints' owner tags name teams, not addresses). */
export const accountOwner = (accountId: string) => `owner-${accountId}@example.com`;

export interface ChaosSweepOutcome {
  runSeed: number;
  sweep: number;
  violations: Violation[];
  faults: Record<string, number>;
  statuses: string[];
  /** Why each failed sweep failed (the execution's Error and the start of its Cause): liveness, read when replaying. */
  failures: string[];
  ms: number;
}

export interface ChaosSweepOptions {
  /** A sweep still running after this long is a violation (property 4: it hung). */
  hangAfterMs?: number;
  /** Called with everything the checker saw, before the simulator stops (replaying one sweep: `--sweep K --verbose`). */
  inspect?: (run: SweepRun) => void;
}

export async function runChaosSweep(runSeed: number, sweep: number, options: ChaosSweepOptions = {}): Promise<ChaosSweepOutcome> {
  const started = Date.now();
  const rng = seededRng(sweepSeed(runSeed, sweep));
  const plan = drawFaultPlan(rng);
  const org = randomOrg(rng, plan);
  const extras = drawExtras(seededRng(extrasSeed(runSeed, sweep)));
  const counter = new FaultCounter();
  const sim = await startSimulator({ world: buildWorld(org.scenario, { seed: rng.int(1, 1000) }) });
  try {
    const env = await hubSetup(sim, org);
    const run = await playSweep(sim, env, org, { ...plan, extras }, rng, counter, runSeed, sweep, options.hangAfterMs ?? 60_000);
    const violations = await checkProperties(run);
    countOutcomes(run, counter);
    options.inspect?.(run);
    const failures = run.sweeps
      .filter((s) => s.result?.status === 'FAILED')
      .map((s) => `${s.sweepId}: ${s.result!.error}: ${(s.result!.cause ?? '').slice(0, 300)}`);
    return {
      runSeed,
      sweep,
      violations,
      faults: counter.counts,
      statuses: run.sweeps.map((s) => s.result?.status ?? 'HUNG'),
      failures,
      ms: Date.now() - started,
    };
  } finally {
    sim.traffic.clearFaults();
    await sim.stop();
  }
}

/** What the new choices led to (so the figures show they were exercised, not merely drawn): endpoints scaled to zero, quorum sweeps. */
function countOutcomes(run: SweepRun, counter: FaultCounter): void {
  const final = endpointStates(run.sim, run.org.regions);
  const scaled = [...final.values()].filter((e) => e.tags.zombie === 'scaled-to-zero').length;
  if (scaled > 0) counter.hit('outcome:scaled-to-zero', scaled);
  if (run.groups && [...run.groups.groups, run.groups.fallback].some((g) => g.required > 1)) counter.hit('approval-groups:quorum-2');
}

interface HubEnv {
  host: LocalHost;
  topicArn: string;
  keyId: string;
}

async function hubSetup(sim: Simulator, org: ChaosOrg): Promise<HubEnv> {
  const config = sim.clientConfig();
  await new S3Client(config).send(new CreateBucketCommand({ Bucket: ARCHIVE_BUCKET, ObjectLockEnabledForBucket: true }));
  const owners = memberAccounts(org).map(accountOwner);
  const topicArn = await notificationTopic(new SNSClient(config), { approvers: [...APPROVERS, ...GROUP_APPROVERS], owners });
  const keyId = kmsStore(sim.world, org.hubAccountId, sim.world.homeRegion).createHmacKey({ description: 'approval links' });
  return { host: attachToSimulator(sim), topicArn, keyId };
}

const memberAccounts = (org: ChaosOrg) => org.scenario.accounts.map((a) => a.id).filter((id) => id !== org.hubAccountId);

/** The approval settings of a sweep: the sweep's approvers, and the extras' group, quorum and owner notice. */
interface ChaosApproval {
  approvers: string[];
  groups?: { name: string; approvers: string[]; match: { accounts: string[] }; requiredApprovals: number }[];
  requiredApprovals?: number;
  notifyOwners?: boolean;
  noticeSeconds?: number;
  accountOwners?: Record<string, string>;
}

export function approvalSettings(org: ChaosOrg, extras: Extras): ChaosApproval {
  const members = memberAccounts(org);
  const group = extras.groups && members.length > 0 ? extras.groups : undefined;
  return {
    approvers: APPROVERS,
    ...(group
      ? {
          groups: [
            {
              name: GROUP_NAME,
              approvers: GROUP_APPROVERS,
              match: { accounts: [members[group.account % members.length]!] },
              requiredApprovals: group.required,
            },
          ],
          requiredApprovals: group.defaultRequired,
        }
      : {}),
    ...(extras.ownerNotice ? { notifyOwners: true, noticeSeconds: 0, accountOwners: Object.fromEntries(members.map((id) => [id, accountOwner(id)])) } : {}),
  };
}

/** Every object of the organization's own buckets, with its checksum: what the archive must match. */
function sourceChecksums(sim: Simulator): Map<string, Set<string>> {
  const store = s3Store(sim.world);
  const out = new Map<string, Set<string>>();
  for (const bucket of [...sim.world.global<{ buckets: Map<string, unknown> }>('s3', () => ({ buckets: new Map() })).buckets.keys()]) {
    if (bucket === ARCHIVE_BUCKET) continue;
    for (const key of store.listKeys(bucket)) out.set(`${bucket}/${key}`, new Set([store.head(bucket, key)!.crc64nvme]));
  }
  return out;
}

type SweepPlan = FaultPlan & { extras: Extras };

async function playSweep(
  sim: Simulator,
  env: HubEnv,
  org: ChaosOrg,
  plan: SweepPlan,
  rng: Rng,
  counter: FaultCounter,
  runSeed: number,
  sweep: number,
  hangAfterMs: number,
): Promise<SweepRun> {
  const initial = endpointStates(sim, org.regions);
  const sources = sourceChecksums(sim);
  const startedAt = Date.now();
  const watched = watchDestructiveCalls(sim, startedAt - 60_000, ARCHIVE_BUCKET);
  for (const _ of org.roleMissing) counter.hit('member-role-missing');
  for (const _ of org.regionDisabled) counter.hit('region-not-enabled');
  for (const _ of org.artifactMissing) counter.hit('artifact-missing');
  const members = [...sim.world.accounts.keys()].filter((id) => id !== org.hubAccountId && !org.roleMissing.includes(id));
  if (plan.roleDenied && members.length > 1) denyMemberRole(sim, rng.pick(members), DEFAULT_MEMBER_ROLE, counter);
  if (plan.artifactChanged)
    injectArtifactChange(sim, counter, (bucket, key) => sources.get(`${bucket}/${key}`)?.add(s3Store(sim.world).head(bucket, key)!.crc64nvme));
  if (plan.copyFails) injectCopyFailures(sim, rng, plan.copyFails.times, counter);
  injectWireFaults(sim, plan.wire, counter);

  const timeout = plan.approval === 'timeout';
  const dies = lambdaDeaths(plan.dying, counter);
  const base = `chaos-${runSeed}-${sweep}`;
  const startOne = (sweepId: string): LocalSweep =>
    startSweepLocally({
      input: {
        sweepId,
        mode: 'cleanup',
        targets: { org: true, regions: org.regions },
        approval: approvalSettings(org, plan.extras),
        deletion: { deleteEndpointConfig: rng.chance(0.3), deleteModels: rng.chance(0.3) },
      } as SweepInput,
      archiveBucket: ARCHIVE_BUCKET,
      accountId: org.hubAccountId,
      hubRegion: sim.world.homeRegion,
      host: env.host,
      credentials: async () => sim.clientConfig().credentials,
      s3ForcePathStyle: true,
      endpoint: sim.url,
      topicArn: env.topicArn,
      approvalKeyId: env.keyId,
      maxAttempts: rng.pick([1, 2, 2, 3]),
      approvalTimeoutMs: timeout ? rng.int(20, 200) : hangAfterMs * 2,
      retryIntervalMs: 1,
      waitTimeOverridesMs: { DeleteRecheckWait: 5 },
      afterHandlerReturned: (fn) => dies(fn),
    });
  const ids = plan.concurrentSweep ? [base, `${base}-b`] : [base];
  if (plan.concurrentSweep) counter.hit('concurrent-sweep');
  const running = ids.map((id) => ({ id, sweep: startOne(id) }));
  const keyOf = (arn: string) => [...initial].find(([, e]) => e.arn === arn)?.[0];
  const second = (p: SweepPlan): SweepPlan => ({ ...p, ownerActions: [], approval: 'approve-all', extras: { ...p.extras, ownerNotice: undefined } });
  const played = await Promise.all(
    running.map(({ id, sweep: local }, index) => driveOne(sim, env, org, id, local, index === 0 ? plan : second(plan), rng, counter, hangAfterMs, keyOf)),
  );
  return {
    sim,
    org,
    bucket: ARCHIVE_BUCKET,
    initial,
    sources,
    startedAt,
    watched,
    sweeps: played,
    approvalTimedOut: timeout,
    groups: groupsOf(org, plan.extras),
  };
}

/** The approver groups as the checker needs them: who decides which account's endpoints, with what quorum. */
function groupsOf(org: ChaosOrg, extras: Extras): SweepRun['groups'] {
  const settings = approvalSettings(org, extras);
  if (!settings.groups || settings.groups.length === 0) return undefined;
  return {
    groups: settings.groups.map((g) => ({ name: g.name, approvers: g.approvers, accounts: g.match.accounts, required: g.requiredApprovals })),
    fallback: { name: 'default', approvers: settings.approvers, accounts: [], required: settings.requiredApprovals ?? 1 },
  };
}

/** The approval links mailed for this sweep (with groups, one per group an approver belongs to), from the SNS outbox. */
function mailedLinks(sim: Simulator, sweepId: string): ApprovalLink[] {
  const links = new Map<string, ApprovalLink>();
  for (const message of snsOutbox(sim.world).messages) {
    const url = message.message.match(/https?:\/\/\S+\/approvals\/\S+approver=\S+/)?.[0];
    if (url && url.includes(`/approvals/${encodeURIComponent(sweepId)}?`)) links.set(url, { approver: message.endpoint, url });
  }
  return [...links.values()].sort((a, b) => a.approver.localeCompare(b.approver) || a.url.localeCompare(b.url));
}

async function driveOne(
  sim: Simulator,
  env: HubEnv,
  org: ChaosOrg,
  sweepId: string,
  local: LocalSweep,
  plan: SweepPlan,
  rng: Rng,
  counter: FaultCounter,
  hangAfterMs: number,
  keyOf: (arn: string) => string | undefined,
): Promise<SweepRun['sweeps'][number]> {
  let clicks: Click[] = [];
  let owners: OwnerActs = { acts: [] };
  let acting: Promise<void> | undefined;
  if (plan.ownersActDuring === 'tagging' && plan.ownerActions.length > 0) {
    // Right after the sweep's first successful tag write: owners race the rest of the tagging.
    sim.traffic.inject({
      service: 'sagemaker',
      operation: 'AddTags',
      times: 1,
      after: () => {
        owners = actOnEndpoints(sim, sweepId, org.regions, plan.ownerActions, rng, counter);
      },
    });
  }
  void local.approvalRequested.then((request: ApprovalRequested) => {
    acting = (async () => {
      if (plan.ownersActDuring === 'approval') owners = actOnEndpoints(sim, sweepId, org.regions, plan.ownerActions, rng, counter);
      if (plan.extras.ownerNotice) {
        counter.hit('owner-notice');
        const vetoes = await vetoByLink(sim, sweepId, plan.extras.ownerNotice.vetoShare, keyOf, rng, counter);
        owners = { acts: [...owners.acts, ...vetoes] };
      }
      const grouped = approvalSettings(org, plan.extras).groups?.length;
      clicks = grouped
        ? await approveInGroups(plan.approval, mailedLinks(sim, sweepId), rng, counter)
        : await approve(plan.approval, request.links, rng, counter, plan.extras.scaleToZero ? { zeroShare: plan.extras.scaleToZero.share } : {});
    })();
  });
  const result = await settleWithin(local.done, hangAfterMs);
  if (!result) env.host.engine.stop(local.executionArn, 'States.Timeout', 'chaos: the sweep hung');
  // A second click may still be on its way when the first one already let the sweep finish.
  if (acting)
    await settleWithin(
      acting.then(() => undefined as unknown as LocalSweepResult),
      hangAfterMs,
    );
  return { sweepId, result, clicks, owners };
}

async function settleWithin(done: Promise<LocalSweepResult>, ms: number): Promise<LocalSweepResult | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([done, hung]);
  } finally {
    clearTimeout(timer);
  }
}
