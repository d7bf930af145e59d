/**
 * A Lambda entry point whose production dependencies (env, clients, log) are built once per container,
 * on the first invocation rather than at import: tests import handler modules without an environment,
 * and a warm container reuses clients, credentials and connections across invocations.
 */
export function lazyHandler<Args extends unknown[], Result>(build: () => (...args: Args) => Promise<Result>): (...args: Args) => Promise<Result> {
  let production: ((...args: Args) => Promise<Result>) | undefined;
  return (...args) => {
    production ??= build();
    return production(...args);
  };
}
