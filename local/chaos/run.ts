import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runChaosSweep, type ChaosSweepOutcome } from './sweep.ts';

/**
 * Runs many chaos sweeps: in this process with bounded concurrency (sweeps mostly wait on I/O), or
 * spread over worker processes (one per core) for the long runs. Sweep k of seed s is the same
 * sweep whichever worker runs it and whatever else runs beside it.
 */
export interface ChaosRunOptions {
  sweeps: number;
  seed: number;
  /** Only these sweep numbers (replaying one sweep: `--sweep K`). */
  only?: number[];
  workers?: number;
  /** Sweeps in flight per process. */
  concurrency?: number;
  hangAfterMs?: number;
  onOutcome?: (outcome: ChaosSweepOutcome) => void;
}

export interface ChaosSummary {
  sweeps: number;
  violations: number;
  faults: Record<string, number>;
  seconds: number;
}

export async function runChaos(options: ChaosRunOptions): Promise<{ summary: ChaosSummary; outcomes: ChaosSweepOutcome[] }> {
  const started = Date.now();
  const numbers = options.only ?? Array.from({ length: options.sweeps }, (_, i) => i + 1);
  const workers = Math.max(1, Math.min(options.workers ?? 1, numbers.length));
  const outcomes: ChaosSweepOutcome[] = [];
  const collect = (outcome: ChaosSweepOutcome) => {
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  };
  if (workers === 1) await runHere(options.seed, numbers, options.concurrency ?? 4, options.hangAfterMs, collect);
  else
    await Promise.all(
      Array.from({ length: workers }, (_, w) =>
        runInWorker(
          options,
          numbers.filter((_, i) => i % workers === w),
          collect,
        ),
      ),
    );
  outcomes.sort((a, b) => a.sweep - b.sweep);
  return { summary: summarize(outcomes, started), outcomes };
}

export function summarize(outcomes: ChaosSweepOutcome[], started: number): ChaosSummary {
  const faults: Record<string, number> = {};
  for (const outcome of outcomes) for (const [name, count] of Object.entries(outcome.faults)) faults[name] = (faults[name] ?? 0) + count;
  const sorted = Object.fromEntries(Object.entries(faults).sort(([a], [b]) => a.localeCompare(b)));
  return {
    sweeps: outcomes.length,
    violations: outcomes.reduce((n, o) => n + o.violations.length, 0),
    faults: sorted,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

async function runHere(
  seed: number,
  numbers: number[],
  concurrency: number,
  hangAfterMs: number | undefined,
  collect: (outcome: ChaosSweepOutcome) => void,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < numbers.length) {
      const sweep = numbers[next++]!;
      collect(await runChaosSweep(seed, sweep, hangAfterMs === undefined ? {} : { hangAfterMs }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, numbers.length) }, lane));
}

interface WorkerRequest {
  seed: number;
  numbers: number[];
  concurrency: number;
  hangAfterMs?: number;
}

const WORKER_FLAG = '--chaos-worker';

function runInWorker(options: ChaosRunOptions, numbers: number[], collect: (outcome: ChaosSweepOutcome) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [WORKER_FLAG], {
      execArgv: ['--import', 'tsx', '--no-warnings'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message: ChaosSweepOutcome) => collect(message));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chaos worker exited with ${code}`))));
    const request: WorkerRequest = {
      seed: options.seed,
      numbers,
      concurrency: options.concurrency ?? 4,
      ...(options.hangAfterMs ? { hangAfterMs: options.hangAfterMs } : {}),
    };
    child.send(request);
  });
}

if (process.argv.includes(WORKER_FLAG)) {
  process.once('message', (request: WorkerRequest) => {
    void runHere(request.seed, request.numbers, request.concurrency, request.hangAfterMs, (outcome) => process.send!(outcome)).then(
      () => process.disconnect(),
      (error: unknown) => {
        process.stderr.write(`chaos worker: ${String((error as Error)?.stack ?? error)}\n`);
        process.exit(1);
      },
    );
  });
}
