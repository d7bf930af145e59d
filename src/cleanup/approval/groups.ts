import { S3Client } from '@aws-sdk/client-s3';
import { InputValidationError } from '../../core/errors.ts';
import { layout } from '../../core/layout.ts';
import { DEFAULT_GROUP, type ApprovalGroup } from '../../core/schemas.ts';
import type { CleanupDeps } from '../endpoint.ts';
import { recordDecision, type DecideOutcome } from './decide.ts';
import { signGroupDecision } from './signature.ts';
import { readGroupDecision, writeJson, type ApprovalCandidate, type ApprovalRecord, type GroupDecisionRecord, type Stored } from './store.ts';

/**
 * Approver groups and quorum. Each endpoint belongs to exactly one group (the first whose match
 * names its account, an OU the account is in (at any depth) or one of its owners; else the default group of the sweep's
 * own approvers), and only that group's links can decide it. A group decides when each of its
 * endpoints is settled: rejected by any of its approvers, or approved by `requiredApprovals`
 * distinct ones. When the last group decides, the groups' signed records are combined into the
 * sweep's decision record, which goes to the workflow exactly as a single decision always did.
 */

export type GroupPlan = NonNullable<ApprovalRecord['groups']>[number];

const lower = (values: readonly string[]) => new Set(values.map((v) => v.toLowerCase()));

function matches(group: ApprovalGroup, c: ApprovalCandidate): boolean {
  if (group.match.accounts.includes(c.accountId)) return true;
  const ous = c.ouPath ?? (c.ouId !== undefined ? [c.ouId] : []);
  if (ous.some((ou) => group.match.ous.includes(ou))) return true;
  const owners = lower(group.match.owners);
  return [...Object.values(c.ownerTags ?? {}), ...(c.owner ? [c.owner] : [])].some((v) => owners.has(v.trim().toLowerCase()));
}

/** Which group decides which endpoint. Groups that got no endpoint are left out (nobody is mailed for nothing). */
export function routeCandidates(
  candidates: readonly ApprovalCandidate[],
  groups: readonly ApprovalGroup[],
  fallback: { approvers: readonly string[]; requiredApprovals: number },
): GroupPlan[] {
  const plans: GroupPlan[] = [
    ...groups.map((g) => ({ name: g.name, approvers: [...g.approvers], requiredApprovals: g.requiredApprovals, endpoints: [] as string[] })),
  ];
  const fallbackPlan: GroupPlan = { name: DEFAULT_GROUP, approvers: [...fallback.approvers], requiredApprovals: fallback.requiredApprovals, endpoints: [] };
  for (const c of candidates) {
    const index = groups.findIndex((g) => matches(g, c));
    (index >= 0 ? plans[index]! : fallbackPlan).endpoints.push(c.endpointArn);
  }
  if (fallbackPlan.endpoints.length > 0 && fallbackPlan.approvers.length === 0) {
    throw new InputValidationError(
      `approvers: ${fallbackPlan.endpoints.length} endpoint(s) match no approver group and the sweep has no approvers of its own`,
      'approvers',
    );
  }
  return [...plans, fallbackPlan].filter((p) => p.endpoints.length > 0);
}

/** The approval record as one group's approvers see it: only their endpoints, only them as approvers. */
export function groupView(record: ApprovalRecord, plan: GroupPlan): ApprovalRecord {
  const mine = new Set(plan.endpoints);
  return { ...record, approvers: plan.approvers, candidates: record.candidates.filter((c) => mine.has(c.endpointArn)) };
}

/** Settled endpoints: any rejection keeps one; `required` distinct approvals delete it. Undefined while some are open. */
export function settle(
  endpoints: readonly string[],
  votes: GroupDecisionRecord['approvals'],
  required: number,
): { approved: string[]; rejected: string[] } | undefined {
  const approved: string[] = [];
  const rejected: string[] = [];
  for (const arn of endpoints) {
    if (votes.some((v) => v.rejected.includes(arn))) rejected.push(arn);
    else if (new Set(votes.filter((v) => v.approved.includes(arn)).map((v) => v.approver)).size >= required) approved.push(arn);
    else return undefined;
  }
  return { approved, rejected };
}

export type VoteOutcome =
  | { kind: 'voted'; group: GroupDecisionRecord }
  | { kind: 'already-voted'; group: GroupDecisionRecord }
  | { kind: 'group-decided'; group: GroupDecisionRecord }
  | { kind: 'sweep'; group: GroupDecisionRecord; outcome: DecideOutcome };

/** Adds one approver's vote to their group's record (conditional writes; a lost race re-reads and retries). */
async function addVote(
  deps: CleanupDeps,
  sweepId: string,
  plan: GroupPlan,
  approver: string,
  chosen: ReadonlySet<string>,
): Promise<{ kind: 'voted' | 'already-voted' | 'group-decided'; group: GroupDecisionRecord }> {
  const s3 = deps.clients.hub(S3Client);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const stored = await readGroupDecision(s3, deps.archiveBucket, sweepId, plan.name);
    const current: GroupDecisionRecord = stored?.value ?? {
      version: 1,
      sweepId,
      group: plan.name,
      requiredApprovals: plan.requiredApprovals,
      endpoints: plan.endpoints,
      approvals: [],
      status: 'collecting',
      approved: [],
      rejected: [],
    };
    if (current.status === 'decided' || current.approvals.some((v) => v.approver === approver)) return { kind: 'already-voted', group: current };
    const at = deps.clock.now().toISOString();
    const vote = { approver, at, approved: plan.endpoints.filter((a) => chosen.has(a)), rejected: plan.endpoints.filter((a) => !chosen.has(a)) };
    let next: GroupDecisionRecord = { ...current, approvals: [...current.approvals, vote] };
    const outcome = settle(plan.endpoints, next.approvals, plan.requiredApprovals);
    if (outcome) {
      if (!deps.decisionSigner) throw new Error('the approval endpoint has no decision signing key configured');
      next = await signGroupDecision(deps.decisionSigner, { ...next, status: 'decided', ...outcome, decidedAt: at });
    }
    const written = await writeJson(
      s3,
      deps.archiveBucket,
      layout.groupDecision(sweepId, plan.name),
      next,
      stored ? { ifMatch: stored.etag } : { ifNoneMatch: '*' },
    );
    if (written.written) return { kind: outcome ? 'group-decided' : 'voted', group: next };
  }
  throw new Error(`the decision record of group ${plan.name} kept changing; try again`);
}

/**
 * Every group decided: the sweep's decision is their union. Each finisher checks after its own
 * write, so of two groups finishing at once at least one sees both decided; the conditional write
 * of the sweep's record lets exactly one of them send it.
 */
async function combineIfComplete(deps: CleanupDeps, record: Stored<ApprovalRecord>, approver: string): Promise<DecideOutcome | undefined> {
  const s3 = deps.clients.hub(S3Client);
  const plans = record.value.groups ?? [];
  const decided: GroupDecisionRecord[] = [];
  for (const plan of plans) {
    const stored = await readGroupDecision(s3, deps.archiveBucket, record.value.sweepId, plan.name);
    if (stored?.value.status !== 'decided' || !stored.value.mac) return undefined;
    decided.push(stored.value);
  }
  const approved = decided.flatMap((g) => g.approved);
  const rejected = decided.flatMap((g) => g.rejected);
  const groups = decided.map((g) => ({ group: g.group, decisionKey: layout.groupDecision(g.sweepId, g.group), mac: g.mac! }));
  return recordDecision(deps, record, approver, { action: approved.length > 0 ? 'approve' : 'reject-all', approved, rejected, groups });
}

/** An approver's POST in a sweep with groups: their vote in their group, and the sweep's decision once every group has decided. */
export async function vote(
  deps: CleanupDeps,
  record: Stored<ApprovalRecord>,
  plan: GroupPlan,
  approver: string,
  action: 'approve' | 'reject-all',
  selected: readonly string[],
): Promise<VoteOutcome> {
  const chosen = new Set(action === 'approve' ? selected : []);
  const added = await addVote(deps, record.value.sweepId, plan, approver, chosen);
  // A decided group whose sweep decision is not recorded yet (a crash in between) completes on any later press.
  if (added.kind === 'voted' || added.group.status !== 'decided') return added;
  const outcome = await combineIfComplete(deps, record, approver);
  return outcome ? { kind: 'sweep', group: added.group, outcome } : added;
}
