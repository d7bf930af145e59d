import type { SweepDeps } from '../../src/sweep/deps.ts';
import { writeTargetList, type ListTargetsResult } from '../../src/sweep/target-list.ts';
import { sweepDepsFromEnv } from '../shared/sweep-deps.ts';
import { lazyHandler } from '../shared/handler.ts';

/** ListTargets: `{ sweep }` in; writes `sweeps/<id>/targets.json` (the scan Map's items) and returns its key and count. */
export function createHandler(deps: SweepDeps): (event: unknown) => Promise<ListTargetsResult> {
  return (event) => writeTargetList(deps, event);
}

export const handler = lazyHandler(() => createHandler(sweepDepsFromEnv('list-targets')));
