import { collect, type CollectScanResult, type CollectTaggedResult } from '../../src/sweep/collect.ts';
import type { SweepDeps } from '../../src/sweep/deps.ts';
import { sweepDepsFromEnv } from '../shared/sweep-deps.ts';
import { lazyHandler } from '../shared/handler.ts';

/**
 * Collect: `{ phase: 'scan', sweep, targetList, scan }` merges findings into the report and writes
 * the candidates; `{ phase: 'tagged', sweep, tagging }` writes the approval candidates (src/sweep/collect.ts).
 */
export function createHandler(deps: SweepDeps): (event: unknown) => Promise<CollectScanResult | CollectTaggedResult> {
  return (event) => collect(deps, event);
}

export const handler = lazyHandler(() => createHandler(sweepDepsFromEnv('collect')));
