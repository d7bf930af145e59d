/**
 * The logging surface without Powertools: the `Log` interface and the plain JSON-lines logger. Kept apart
 * from log.ts so code that must stay small (the auto-tagger inlined in the member StackSet) can use it.
 */

/**
 * The logging surface domain code uses. Lambdas pass a Powertools logger (structured JSON with
 * account, region, endpoint and sweep id as persistent keys); the CLI passes one that writes to
 * stderr or nowhere, so stdout stays clean for `--output json`.
 */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
  /** A child logger whose every line carries `keys` (e.g. accountId, region, endpointName, sweepId). */
  child(keys: Record<string, unknown>): Log;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON lines to an arbitrary sink (stderr in the CLI, an array in tests). */
export function streamLog(write: (line: string) => void, minLevel: Level = 'info', keys: Record<string, unknown> = {}): Log {
  const emit = (level: Level, message: string, extra?: Record<string, unknown>) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    write(JSON.stringify({ level, timestamp: new Date().toISOString(), message, ...keys, ...extra }) + '\n');
  };
  return {
    debug: (m, e) => emit('debug', m, e),
    info: (m, e) => emit('info', m, e),
    warn: (m, e) => emit('warn', m, e),
    error: (m, e) => emit('error', m, e),
    child: (more) => streamLog(write, minLevel, { ...keys, ...more }),
  };
}

export const silentLog: Log = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLog,
};
