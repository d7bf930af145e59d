import type { SweepDeps } from '../../src/sweep/deps.ts';
import { finishSweep, type FinishResult } from '../../src/sweep/finish.ts';
import { sweepDepsFromEnv } from '../shared/sweep-deps.ts';
import { lazyHandler } from '../shared/handler.ts';

/** Report, the last state: the whole execution state in, the final summary out (and in S3, and by SNS). */
export function createHandler(deps: SweepDeps): (event: unknown) => Promise<FinishResult> {
  return (event) => finishSweep(deps, event);
}

export const handler = lazyHandler(() => createHandler(sweepDepsFromEnv('report')));
