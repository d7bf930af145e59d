import { SimError } from '../sim/protocol.ts';
import type { Simulator } from '../sim/server.ts';
import { s3Store } from '../sim/services/s3/store.ts';
import { StateError } from '../runner/task-tokens.ts';
import type { Rng } from './random.ts';
import { WORKFLOW_FUNCTIONS } from '../../src/core/functions.ts';

/**
 * The fault classes a chaos sweep draws from, and how the ones that act on the wire are injected
 * into the simulator. Classes that act on the organization (a missing role, a disabled region, a
 * missing artifact) are built into the world (org.ts); owner actions and approval behaviours are
 * played by the sweep driver (sweep.ts) at the approval wait.
 */

/** Every service the workflow calls, by SigV4 signing name. */
export const SERVICES = ['sagemaker', 'monitoring', 's3', 'sts', 'organizations', 'application-autoscaling', 'sns', 'kms', 'states', 'tagging', 'ec2'] as const;

export const APPROVAL_BEHAVIOURS = [
  'approve-all',
  'partial',
  'reject-all',
  'timeout',
  'double-click',
  'concurrent-clicks',
  'forged-link',
  'expired-link',
] as const;
export type ApprovalBehaviour = (typeof APPROVAL_BEHAVIOURS)[number];

export const OWNER_ACTIONS = ['invoked-during-approval', 'owner-veto', 'owner-exempt', 'deleted-by-other', 'updated-by-other'] as const;
export type OwnerAction = (typeof OWNER_ACTIONS)[number];

/**
 * The workflow's Lambda functions whose invocation may die after its side effect: every one but
 * record-failure, which runs only once a sweep has failed (the same order as before, so seeds replay).
 */
export const DYING_FUNCTIONS = WORKFLOW_FUNCTIONS.filter((fn) => fn !== 'record-failure');

export interface WireFault {
  class: string;
  service: string;
  kind: 'throttle' | '5xx';
  /** Matching calls let through before the fault starts. */
  skip: number;
  /** Consecutive matching calls that fail (above the SDK's attempts, the state machine's Retry takes over). */
  times: number;
}

export interface FaultPlan {
  wire: WireFault[];
  /** Lambda functions that die once after their side effect, at their n-th invocation. */
  dying: { fn: string; nth: number }[];
  roleMissing: boolean;
  roleDenied: boolean;
  regionDisabled: boolean;
  artifactMissing: boolean;
  artifactChanged: boolean;
  copyFails: { times: number } | undefined;
  ownerActions: OwnerAction[];
  /** When the owners act: while the sweep tags (racing the tagging and the approval request) or during the approval wait. */
  ownersActDuring: 'tagging' | 'approval';
  approval: ApprovalBehaviour;
  concurrentSweep: boolean;
}

export function drawFaultPlan(rng: Rng): FaultPlan {
  const wire: WireFault[] = [];
  for (let i = rng.int(0, 4); i > 0; i--) {
    const service = rng.pick(SERVICES);
    const kind = rng.pick(['throttle', '5xx'] as const);
    wire.push({ class: `${kind}:${service}`, service, kind, skip: rng.int(0, 12), times: rng.pick([1, 1, 2, 3, 5, 12]) });
  }
  return {
    wire,
    dying: rng.chance(0.5) ? rng.subset(DYING_FUNCTIONS, 0.2).map((fn) => ({ fn, nth: rng.int(1, 3) })) : [],
    roleMissing: rng.chance(0.2),
    roleDenied: rng.chance(0.15),
    regionDisabled: rng.chance(0.3),
    artifactMissing: rng.chance(0.2),
    artifactChanged: rng.chance(0.2),
    copyFails: rng.chance(0.2) ? { times: rng.pick([1, 2, 4, 20]) } : undefined,
    ownerActions: rng.subset(OWNER_ACTIONS, 0.25),
    ownersActDuring: rng.chance(0.3) ? 'tagging' : 'approval',
    approval: rng.pick(APPROVAL_BEHAVIOURS),
    concurrentSweep: rng.chance(0.15),
  };
}

/**
 * Choices of the features added after the fault plan was fixed: approver groups with a quorum, owner
 * notices whose veto links owners click, approvers choosing scale to zero. Drawn from a stream of
 * their own (see `extrasSeed`), so adding them left every earlier sweep's organization and faults as
 * they were, and a replayed seed still reproduces what it found.
 */
export interface Extras {
  /** One approver group deciding one member account's endpoints; the rest go to the sweep's own approvers. */
  groups: { account: number; required: 1 | 2; defaultRequired: 1 | 2 } | undefined;
  /** Owners are mailed a notice with a signed veto link, and some of them press "Keep". */
  ownerNotice: { vetoShare: number } | undefined;
  /** Approvers (single-decision sweeps only: groups decide delete or keep) choose scale to zero where the page offers it. */
  scaleToZero: { share: number } | undefined;
}

export function drawExtras(rng: Rng): Extras {
  return {
    groups: rng.chance(0.2) ? { account: rng.int(0, 2), required: rng.pick([1, 2] as const), defaultRequired: rng.pick([1, 1, 2] as const) } : undefined,
    ownerNotice: rng.chance(0.25) ? { vetoShare: rng.pick([0, 0.3, 0.6]) } : undefined,
    scaleToZero: rng.chance(0.5) ? { share: rng.pick([0.5, 1, 1]) } : undefined,
  };
}

/** How many times each fault class actually fired (not merely planned). */
export class FaultCounter {
  readonly counts: Record<string, number> = {};
  hit(faultClass: string, n = 1): void {
    this.counts[faultClass] = (this.counts[faultClass] ?? 0) + n;
  }
}

const FIVE_XX: Record<string, { code: string; status: number }> = {
  s3: { code: 'InternalError', status: 500 },
  default: { code: 'ServiceUnavailable', status: 503 },
};

/** Throttling and 5xx on the wire: the service's own throttling error, or a server error, on a run of calls. */
export function injectWireFaults(sim: Simulator, faults: WireFault[], counter: FaultCounter): void {
  for (const fault of faults) {
    let seen = 0;
    const error = FIVE_XX[fault.service] ?? FIVE_XX.default!;
    sim.traffic.inject({
      service: fault.service,
      when: () => seen++ >= fault.skip,
      times: fault.times,
      ...(fault.kind === 'throttle'
        ? { throttle: true }
        : { error: new SimError(error.code, 'We encountered an internal error. Please try again.', error.status) }),
      before: () => counter.hit(fault.class),
    });
  }
}

/** Copies of model artifacts into the archive fail, `times` in a row, from a random copy on (a snapshot failing midway). */
export function injectCopyFailures(sim: Simulator, rng: Rng, times: number, counter: FaultCounter): void {
  let seen = 0;
  const skip = rng.int(0, 3);
  sim.traffic.inject({
    service: 's3',
    when: (ctx) => (ctx.operation === 'CopyObject' || ctx.operation === 'UploadPartCopy') && seen++ >= skip,
    times,
    error: new SimError('InternalError', 'We encountered an internal error. Please try again.', 500),
    before: () => counter.hit('copy-fails-midway'),
  });
}

/**
 * The owner overwrites a model artifact right after the archive copied it, before the snapshot
 * verifies the copy. Returns the new bytes' source so the checker accepts either version.
 */
export function injectArtifactChange(sim: Simulator, counter: FaultCounter, onChange: (bucket: string, key: string) => void): void {
  sim.traffic.inject({
    service: 's3',
    operation: 'CopyObject',
    times: 1,
    when: (ctx) => typeof ctx.request?.headers['x-amz-copy-source'] === 'string',
    after: (ctx) => {
      const source = decodeURIComponent(String(ctx.request!.headers['x-amz-copy-source'])).replace(/^\//, '').split('?')[0]!;
      const slash = source.indexOf('/');
      const bucket = source.slice(0, slash);
      const key = source.slice(slash + 1);
      const store = s3Store(sim.world);
      const current = store.head(bucket, key);
      if (!current) return;
      store.putObject(bucket, key, Buffer.from(`changed by its owner during the sweep: ${key}\n`.repeat(8)));
      onChange(bucket, key);
      counter.hit('artifact-changed');
    },
  });
}

/** The member role refuses the hub in one account (its trust policy no longer matches: AccessDenied). */
export function denyMemberRole(sim: Simulator, accountId: string, roleName: string, counter: FaultCounter): void {
  const role = sim.world.accounts.get(accountId)?.roles.get(roleName);
  if (!role) return;
  role.externalId = 'a-different-external-id';
  counter.hit('member-role-denied');
}

/** A Lambda invocation that fails after its handler did its work, as if the function died before returning. */
export function lambdaDeaths(plan: FaultPlan['dying'], counter: FaultCounter): (functionName: string) => void {
  const calls = new Map<string, number>();
  return (functionName) => {
    const fn = functionName.replace(/^zombie-sweep-/, '');
    const n = (calls.get(fn) ?? 0) + 1;
    calls.set(fn, n);
    if (!plan.some((d) => d.fn === fn && d.nth === n)) return;
    counter.hit('lambda-dies-after-side-effect');
    counter.hit(`lambda-dies:${fn}`);
    throw new StateError(
      'Lambda.ServiceException',
      JSON.stringify({ errorType: 'ServiceException', errorMessage: `chaos: ${functionName} died after its side effect` }),
    );
  };
}
