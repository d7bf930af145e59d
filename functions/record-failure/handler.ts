import type { SweepDeps } from '../../src/sweep/deps.ts';
import { recordFailure, type RecordFailureResult } from '../../src/sweep/failure.ts';
import { sweepDepsFromEnv } from '../shared/sweep-deps.ts';
import { lazyHandler } from '../shared/handler.ts';

/** RecordFailure, the one failure path: `{ state, execution }` in; records, releases the lock, notifies. */
export function createHandler(deps: SweepDeps): (event: unknown) => Promise<RecordFailureResult> {
  return (event) => recordFailure(deps, event);
}

export const handler = lazyHandler(() => createHandler(sweepDepsFromEnv('record-failure')));
