import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { detailsOf, unresolvedIntents, type AuditEvent } from '../../src/audit/events.ts';
import { formatTimeline } from '../../src/audit/query.ts';
import { layout } from '../../src/core/layout.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { markApproved, markRejected } from '../../src/cleanup/reject.ts';
import { untagVetoed } from '../../src/cleanup/notice/veto.ts';
import { scaleEndpointToZero } from '../../src/cleanup/scale-to-zero-step.ts';
import type { AllDeps } from './actions-fixtures.ts';
import {
  MEMBER,
  REGION,
  auditEvents,
  candidateFor,
  putManifest,
  recordSignedDecision,
  seedEndpoint,
  startCleanupEnv,
  type CleanupEnv,
} from './actions-fixtures.ts';

/**
 * Write-ahead audit of tag changes: every step that adds or removes tags (tag, approve, reject, an
 * owner's veto, scale to zero) durably writes a `change-tags` intent naming the resources before its
 * first AddTags/DeleteTags call. A failure at ANY S3 write or ANY tag call never leaves a tag changed
 * that no event names; the retry settles every intent and `zombie-sweep audit` shows the trail.
 */

let env: CleanupEnv;
let counter = 0;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const HOUR = 3_600_000;
const DELETION = { deleteEndpointConfig: true, deleteModels: true };
const WATCHED = new Set(['PutObject', 'AddTags', 'DeleteTags']);
const sm = () => sagemakerStore(env.world, MEMBER, REGION);

/** Every resource's tags, keyed by lower-case ARN (as the simulator stores them). */
const tagState = () => new Map([...sm().state.tags].map(([arn, tags]) => [arn, JSON.stringify([...tags].sort())]));

type Seeded = ReturnType<typeof seedEndpoint>;
interface Scenario {
  prepare(seeded: Seeded, candidate: ReturnType<typeof candidateFor>): Promise<void>;
  act(deps: AllDeps, candidate: ReturnType<typeof candidateFor>, seeded: Seeded): Promise<unknown>;
  /** The event that settles the change. */
  outcome: AuditEvent['type'];
}

const decidedAt = () => env.clock.now().toISOString();
const confirm = async (seeded: Seeded, candidate: ReturnType<typeof candidateFor>) => {
  await tagEndpoint(env.deps, { candidate, requestedBy: 'platform-team', deletion: DELETION });
};

const SCENARIOS: Record<string, Scenario> = {
  'tag (zombie=confirmed, children first)': {
    prepare: async () => undefined,
    act: (deps, candidate) => tagEndpoint(deps, { candidate, requestedBy: 'platform-team', deletion: DELETION }),
    outcome: 'tagged',
  },
  'approve (zombie-approved-by)': {
    prepare: confirm,
    act: (deps, candidate) => markApproved(deps, candidate, { actor: 'alice@example.com', decidedAt: decidedAt() }),
    outcome: 'approved',
  },
  'reject (zombie=rejected on the endpoint and its children)': {
    prepare: confirm,
    act: (deps, candidate) => markRejected(deps, candidate, { actor: 'bob@example.com', decidedAt: decidedAt() }, 90),
    outcome: 'rejected',
  },
  'owner veto (zombie removed, children rejected)': {
    prepare: confirm,
    act: (deps, candidate) =>
      untagVetoed(deps, candidate, {
        version: 1,
        sweepId: candidate.sweepId,
        endpointArn: candidate.endpointArn,
        owner: 'owner@example.com',
        vetoedAt: decidedAt(),
      }),
    outcome: 'vetoed',
  },
  'scale to zero (zombie=scaled-to-zero)': {
    prepare: async (seeded, candidate) => {
      await confirm(seeded, candidate);
      const approved = {
        version: 1 as const,
        sweepId: candidate.sweepId,
        approver: 'alice@example.com',
        decidedAt: decidedAt(),
        action: 'approve' as const,
        rejected: [],
      };
      await recordSignedDecision(env, { ...approved, approved: [seeded.arn], scaleToZero: [seeded.arn], status: 'delivered', source: 'approval-page' });
    },
    act: (deps, candidate) => scaleEndpointToZero(deps, { candidate }),
    outcome: 'scaled-to-zero',
  },
};

async function prepared(scenario: Scenario) {
  const sweepId = `sweep-twa-${++counter}`;
  const seeded = seedEndpoint(env.world, `twa-${counter}`, 'inference-components');
  const config = sm().getEndpointConfig(seeded.configName)!;
  // Scale to zero needs managed instance scaling down to zero; harmless to the other steps.
  for (const variant of config.spec.ProductionVariants)
    Object.assign(variant, { ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 } });
  const candidate = candidateFor(seeded, sweepId, new Date(env.clock.now().getTime() - 48 * HOUR), 'inference-components');
  await putManifest(env.s3, sweepId, seeded.name);
  await scenario.prepare(seeded, candidate);
  // The step under test acts one second later, so its events are told apart from the preparation's by time.
  env.clock.advance(1000);
  return { sweepId, seeded, candidate, since: env.clock.now().toISOString() };
}

const historyOf = async (name: string, sweepId: string) =>
  (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, name))).filter((e) => e.sweepId === sweepId);

/** ARNs named by the step's change-tags intents since `since`. */
function announced(history: AuditEvent[], since: string): Set<string> {
  return new Set(
    history
      .filter((e) => e.at >= since)
      .flatMap((e) => (detailsOf(e, 'intent')?.action === 'change-tags' ? detailsOf(e, 'intent')!.resources.map((r) => r.toLowerCase()) : [])),
  );
}

async function settle(scenario: Scenario, candidate: ReturnType<typeof candidateFor>, seeded: Seeded): Promise<void> {
  for (let round = 0; round < 3; round++) {
    try {
      await scenario.act(env.deps, candidate, seeded);
      return;
    } catch {
      // The workflow's Retry: run the step again.
    }
  }
  throw new Error('the step did not succeed after 3 rounds');
}

describe.each(Object.entries(SCENARIOS))('write-ahead audit of tag changes: %s', (_, scenario) => {
  it('a failure at any S3 write or tag call never leaves a tag changed that no intent names; the retry settles it', async () => {
    const noRetries = env.depsWith({ maxAttempts: 1 });
    let failurePoints = 0;
    for (let k = 0; ; k++) {
      const { sweepId, seeded, candidate, since } = await prepared(scenario);
      const before = tagState();
      let seen = 0;
      const fault = env.sim.traffic.inject({
        when: (ctx) => WATCHED.has(ctx.operation) && seen++ === k,
        error: { code: 'ServiceUnavailable', message: 'injected failure', status: 503 },
      });
      let failed = false;
      try {
        await scenario.act(noRetries, candidate, seeded);
      } catch {
        failed = true;
      } finally {
        env.sim.traffic.remove(fault);
      }
      const where = `failure at watched call #${k}`;
      const after = tagState();
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((arn) => before.get(arn) !== after.get(arn));
      const named = announced(await historyOf(seeded.name, sweepId), since);
      for (const arn of changed) expect(named.has(arn), `${where}: tags of ${arn} changed without a change-tags intent`).toBe(true);

      await settle(scenario, candidate, seeded);
      const history = await historyOf(seeded.name, sweepId);
      expect(unresolvedIntents(history), where).toEqual([]);
      expect(
        history.filter((e) => e.at >= since).map((e) => e.type),
        where,
      ).toContain(scenario.outcome);
      if (!failed) {
        expect(changed.length, 'the step changed tags').toBeGreaterThan(0);
        break;
      }
      failurePoints++;
    }
    expect(failurePoints).toBeGreaterThan(2);
  });
});

describe('the audit trail of tag changes', () => {
  it('shows the intent before the tag change, and an interrupted change as attempted, outcome unknown', async () => {
    const scenario = SCENARIOS['reject (zombie=rejected on the endpoint and its children)']!;
    const { sweepId, seeded, candidate, since } = await prepared(scenario);
    // S3 fails every write right after the endpoint's AddTags: the tag is changed, only the intent is on record.
    let tagged = false;
    const mark = env.sim.traffic.inject({ operation: 'AddTags', before: () => void (tagged = true) });
    const s3Down = env.sim.traffic.inject({
      operation: 'PutObject',
      when: () => tagged,
      error: { code: 'ServiceUnavailable', message: 'injected failure', status: 503 },
    });
    await expect(scenario.act(env.depsWith({ maxAttempts: 1 }), candidate, seeded)).rejects.toBeDefined();
    env.sim.traffic.remove(mark);
    env.sim.traffic.remove(s3Down);
    expect(sm().tagsOf(seeded.arn).zombie).toBe('rejected');
    const interrupted = await historyOf(seeded.name, sweepId);
    expect(formatTimeline(interrupted, { name: seeded.name, arn: seeded.arn })).toContain('change-tags: attempted, outcome unknown');

    await settle(scenario, candidate, seeded);
    const settled = await historyOf(seeded.name, sweepId);
    const text = formatTimeline(settled, { name: seeded.name, arn: seeded.arn });
    expect(text).not.toContain('outcome unknown');
    expect(text).toContain('intent: change-tags');
    expect(settled.filter((e) => e.at >= since && e.type !== 'intent').map((e) => e.type)).toEqual(['rejected']);
  });
});
