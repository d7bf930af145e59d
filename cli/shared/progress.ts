/**
 * Progress on stderr, so stdout stays clean for --output json/csv. On a terminal it is one bar that
 * redraws in place; elsewhere (CI logs, pipes) it is one line per finished step.
 */
export interface Progress {
  /** `done` of `total` steps, with a short status (e.g. what was just finished). */
  update(done: number, total: number, status?: string): void;
  /** Clears the bar (on a terminal) and prints a final line, if any. */
  finish(message?: string): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

const BAR_WIDTH = 28;
const REDRAW_MS = 80;

export function createProgress(stream: ProgressStream = process.stderr, label = 'scanning'): Progress {
  if (stream.isTTY) return terminalBar(stream, label);
  return {
    update(done, total, status) {
      stream.write(`${label}: ${done}/${total}${status ? ` ${status}` : ''}\n`);
    },
    finish(message) {
      if (message) stream.write(`${message}\n`);
    },
  };
}

function terminalBar(stream: ProgressStream, label: string): Progress {
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number, status = '') => {
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(ratio * BAR_WIDTH);
    const text = `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${status}`;
    const width = Math.max(20, (stream.columns ?? 100) - 1);
    stream.write(`\r\x1b[2K${text.length > width ? text.slice(0, width) : text}`);
    drawn = true;
  };
  return {
    update(done, total, status) {
      const now = Date.now();
      if (done < total && now - last < REDRAW_MS) return;
      last = now;
      draw(done, total, status);
    },
    finish(message) {
      if (drawn) stream.write('\r\x1b[2K');
      if (message) stream.write(`${message}\n`);
    },
  };
}

/** A progress sink that prints nothing (tests, --quiet callers). */
export const silentProgress: Progress = { update: () => {}, finish: () => {} };
