import type { SweepDeps } from '../../src/sweep/deps.ts';
import { validateSweep } from '../../src/sweep/input.ts';
import type { SweepContext } from '../../src/sweep/model.ts';
import { sweepDepsFromEnv } from '../shared/sweep-deps.ts';

/**
 * ValidateInput, the first state: `{ input, execution, settings }` in (the ASL passes the execution
 * input, `$$.Execution` facts and the state machine's settings), `{ sweep }` out. Fails fast with
 * InputValidationError naming the field, or SweepLockedError when another tag/cleanup sweep runs.
 */
export function createHandler(deps: SweepDeps): (event: unknown) => Promise<{ sweep: SweepContext }> {
  return (event) => validateSweep(deps, event);
}

let production: ((event: unknown) => Promise<{ sweep: SweepContext }>) | undefined;

export const handler = (event: unknown): Promise<{ sweep: SweepContext }> => {
  production ??= createHandler(sweepDepsFromEnv('validate-input'));
  return production(event);
};
