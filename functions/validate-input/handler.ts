import type { SweepDeps } from '../../src/sweep/deps.ts';
import { validateSweep } from '../../src/sweep/input.ts';
import type { SweepContext } from '../../src/sweep/model.ts';
import { sweepDepsFromEnv } from '../shared/sweep-deps.ts';
import { lazyHandler } from '../shared/handler.ts';

/**
 * ValidateInput, the first state: `{ input, execution, settings }` in (the ASL passes the execution
 * input, `$$.Execution` facts and the state machine's settings), `{ sweep }` out. Fails fast with
 * InputValidationError naming the field, or SweepLockedError when another tag/cleanup sweep runs.
 */
export function createHandler(deps: SweepDeps): (event: unknown) => Promise<{ sweep: SweepContext }> {
  return (event) => validateSweep(deps, event);
}

export const handler = lazyHandler(() => createHandler(sweepDepsFromEnv('validate-input')));
