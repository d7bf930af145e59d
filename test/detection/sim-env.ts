import { ApiCallCounter } from '../../src/core/api-calls.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import type { Simulator } from '../../local/sim/server.ts';

/**
 * Points the SDK (and so ClientFactory and the CLI) at a simulator through the standard environment
 * variables, the way a user would, and gives the previous values back. Vitest runs each test file in
 * its own process, so this never leaks into another file; call the returned function in afterAll.
 */
export function useSimulatorEnv(sim: Simulator): () => void {
  const keys = [...Object.keys(sim.env()), 'AWS_PROFILE', 'AWS_SESSION_TOKEN'];
  const saved = new Map(keys.map((key) => [key, process.env[key]]));
  for (const key of ['AWS_PROFILE', 'AWS_SESSION_TOKEN']) delete process.env[key];
  Object.assign(process.env, sim.env());
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** A factory acting as the management account's administrator (the hub), counting its calls. */
export function simFactory(counter = new ApiCallCounter(), maxAttempts?: number): { factory: ClientFactory; counter: ApiCallCounter } {
  return {
    factory: new ClientFactory({
      hubRegion: 'us-east-1',
      sessionName: 'zombie-sweep-test',
      s3ForcePathStyle: true,
      counter,
      ...(maxAttempts ? { maxAttempts } : {}),
    }),
    counter,
  };
}
