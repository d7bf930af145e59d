import type { SweepDeps } from '../../src/sweep/deps.ts';
import { recordFailure, type RecordFailureResult } from '../../src/sweep/failure.ts';
import { sweepDepsFromEnv } from '../shared/sweep-deps.ts';

/** RecordFailure, the one failure path: `{ state, execution }` in; records, releases the lock, notifies. */
export function createHandler(deps: SweepDeps): (event: unknown) => Promise<RecordFailureResult> {
  return (event) => recordFailure(deps, event);
}

let production: ((event: unknown) => Promise<RecordFailureResult>) | undefined;

export const handler = (event: unknown): Promise<RecordFailureResult> => {
  production ??= createHandler(sweepDepsFromEnv('record-failure'));
  return production(event);
};
