import { VerdictSchema, type Finding, type Verdict } from '../core/schemas.ts';
import type { EndpointAction, SweepSummary, TargetReport } from './model.ts';

/** Pure arithmetic over a report's parts: what the final report, the CLI and the demo print. */

const VERDICTS: Verdict[] = VerdictSchema.options;

export function summarize(targets: readonly TargetReport[], findings: readonly Finding[], actions: readonly EndpointAction[]): SweepSummary {
  const byVerdict = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const f of findings) byVerdict[f.verdict] += 1;
  const zombies = findings.filter((f) => f.verdict === 'zombie');
  // `already-gone` means someone else deleted it before this sweep's DeleteEndpoint (Delete tells its own
  // earlier attempts apart by their audit event): the sweep neither deleted it nor saved its cost.
  const deleted = actions.filter((a) => a.deletion === 'deleted');
  // Still deleting when the sweep ended (e.g. its inference components outlasted every recheck): the endpoint may
  // still exist and bill, so it is neither deleted nor saved, and not skipped either: counted on its own.
  const deleting = actions.filter((a) => a.deletion === 'deleting');
  const scaledToZero = actions.filter((a) => a.deletion === 'scaled-to-zero');
  const vetoed = actions.filter((a) => a.decision === 'vetoed');
  const skipped = actions.filter((a) => a.reason !== undefined && a.deletion !== 'deleted' && a.deletion !== 'deleting' && a.deletion !== 'scaled-to-zero');
  return {
    targets: targets.length,
    targetsFailed: targets.filter((t) => t.status !== 'ok').length,
    endpoints: findings.length,
    byVerdict,
    zombies: zombies.length,
    zombieMonthlyCostUsd: round2(zombies.reduce((sum, f) => sum + (f.monthlyCostUsd ?? 0), 0)),
    zombiesUnknownCost: zombies.filter((f) => f.monthlyCostUsd === null).length,
    archived: actions.filter((a) => a.snapshot === 'archived').length,
    artifactsArchived: actions.reduce((sum, a) => sum + (a.artifacts ?? 0), 0),
    bytesArchived: actions.reduce((sum, a) => sum + (a.bytes ?? 0), 0),
    tagged: actions.filter((a) => a.tagged).length,
    approved: actions.filter((a) => a.decision === 'approved').length,
    rejected: actions.filter((a) => a.decision === 'rejected').length,
    ...(vetoed.length > 0 ? { vetoed: vetoed.length } : {}),
    deleted: deleted.length,
    deleting: deleting.length,
    ...(scaledToZero.length > 0 ? { scaledToZero: scaledToZero.length } : {}),
    // A scaled-to-zero endpoint bills nothing while it stays at zero: its cost is saved like a deleted one's.
    savedMonthlyCostUsd: round2([...deleted, ...scaledToZero].reduce((sum, a) => sum + (a.monthlyCostUsd ?? 0), 0)),
    skipped: skipped.map((a) => ({ endpointArn: a.endpointArn, endpointName: a.endpointName, accountId: a.accountId, region: a.region, reason: a.reason! })),
  };
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
