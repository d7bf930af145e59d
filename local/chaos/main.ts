import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import type { ChaosSweepOutcome } from './sweep.ts';
import { runChaos, type ChaosSummary } from './run.ts';

/**
 * `npm run chaos -- --sweeps N --seed S [--json] [--sweep K]`: N randomized cleanup sweeps, each on a
 * fresh random organization with a random fault schedule, every safety property checked after each.
 * Exit code 1 when any property was violated. See docs/reliability.md.
 */
const integer = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return n;
};

const program = new Command('chaos')
  .description('Randomized fault-injection sweeps against the simulator, checking the safety properties after each')
  .option('--sweeps <n>', 'number of sweeps', integer('--sweeps', 1), 100)
  .option('--seed <s>', 'run seed: the same seed replays the same organizations and faults', integer('--seed', 0), 1)
  .option('--sweep <k>', 'replay only sweep k of the seed (prints what it saw)', integer('--sweep', 1))
  .option('--workers <n>', 'worker processes', integer('--workers', 1), Math.min(2, availableParallelism()))
  .option('--concurrency <n>', 'sweeps in flight per worker', integer('--concurrency', 1), 6)
  .option('--hang-after <seconds>', 'a sweep running longer than this violates property 4', integer('--hang-after', 5), 120)
  .option('--json', 'print one JSON object per sweep, and the summary object as the last line')
  .parse();

const options = program.opts<{ sweeps: number; seed: number; sweep?: number; workers: number; concurrency: number; hangAfter: number; json?: boolean }>();

const replay = (seed: number, sweep: number) => `npm run chaos -- --seed ${seed} --sweep ${sweep}`;

function print(outcome: ChaosSweepOutcome): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    return;
  }
  const faults = Object.entries(outcome.faults).map(([name, count]) => (count > 1 ? `${name}x${count}` : name));
  const line = `sweep ${outcome.sweep}: ${outcome.statuses.join('+')} in ${(outcome.ms / 1000).toFixed(1)} s; faults: ${faults.join(', ') || 'none'}`;
  if (options.sweep !== undefined) for (const failure of outcome.failures) process.stdout.write(`  failed: ${failure}\n`);
  if (outcome.violations.length === 0) {
    if (options.sweep !== undefined || options.sweeps <= 50) process.stdout.write(`${line}\n`);
    return;
  }
  process.stdout.write(`${line}\nVIOLATION seed ${outcome.runSeed} sweep ${outcome.sweep}:\n`);
  for (const v of outcome.violations)
    process.stdout.write(`  property ${v.property}${v.sweepId ? ` [${v.sweepId}]` : ''}${v.endpoint ? ` ${v.endpoint}` : ''}: ${v.message}\n`);
  process.stdout.write(`  replay: ${replay(outcome.runSeed, outcome.sweep)}\n`);
}

function printSummary(summary: ChaosSummary): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  process.stdout.write(`\n${summary.sweeps} sweeps, seed ${options.seed}, ${summary.seconds} s: ${summary.violations} violation(s)\n`);
  process.stdout.write('fault class (times injected, every one survived unless a violation is listed above):\n');
  const width = Math.max(...Object.keys(summary.faults).map((k) => k.length), 10);
  for (const [name, count] of Object.entries(summary.faults)) process.stdout.write(`  ${name.padEnd(width)} ${count}\n`);
}

const { summary } = await runChaos({
  sweeps: options.sweeps,
  seed: options.seed,
  ...(options.sweep !== undefined ? { only: [options.sweep], workers: 1 } : { workers: options.workers }),
  concurrency: options.concurrency,
  hangAfterMs: options.hangAfter * 1000,
  onOutcome: print,
});
printSummary(summary);
process.exitCode = summary.violations > 0 ? 1 : 0;
