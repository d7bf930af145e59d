import type { SweepDeps } from '../../src/sweep/deps.ts';
import { writeTargetList, type ListTargetsResult } from '../../src/sweep/target-list.ts';
import { sweepDepsFromEnv } from '../shared/sweep-deps.ts';

/** ListTargets: `{ sweep }` in; writes `sweeps/<id>/targets.json` (the scan Map's items) and returns its key and count. */
export function createHandler(deps: SweepDeps): (event: unknown) => Promise<ListTargetsResult> {
  return (event) => writeTargetList(deps, event);
}

let production: ((event: unknown) => Promise<ListTargetsResult>) | undefined;

export const handler = (event: unknown): Promise<ListTargetsResult> => {
  production ??= createHandler(sweepDepsFromEnv('list-targets'));
  return production(event);
};
