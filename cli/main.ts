import '../src/core/polyfills.ts';
import { Command, CommanderError } from 'commander';
import { registerScan } from './commands/scan.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';
import { registerReport } from './commands/report.ts';
import { registerAudit } from './commands/audit.ts';
import { registerRestore } from './commands/restore.ts';
import { registerSavings } from './commands/savings.ts';
import { registerPrices } from './commands/prices.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerMemberRoleDiff } from './commands/member-role-diff.ts';
import { errorMessage, errorName } from '../src/core/errors.ts';
import { PartialScanError } from './shared/errors.ts';
import { applyGlobalOptions, colorEnabled, type GlobalFlags } from './shared/globals.ts';

/** Exit codes (docs/cli.md): 0 done, 1 failed or bad input, 2 done but some account-regions were not scanned. */
export const EXIT_PARTIAL = 2;

const program = new Command('zombie-sweep')
  .description('Find, archive, approve and delete idle (zombie) Amazon SageMaker endpoints across an AWS Organization.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .hook('preAction', (_program, action) => applyGlobalOptions(action.opts<GlobalFlags>(), process.env));

registerScan(program);
registerStart(program);
registerStatus(program);
registerReport(program);
registerAudit(program);
registerRestore(program);
registerSavings(program);
registerPrices(program);
registerDoctor(program);
registerMemberRoleDiff(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    // One line, no stack: the cause a user can act on. ZOMBIE_SWEEP_DEBUG=1 shows the stack.
    const prefix = colorEnabled(process.stderr, process.env) ? '\x1b[31mzombie-sweep:\x1b[0m' : 'zombie-sweep:';
    process.stderr.write(`${prefix} ${errorName(error)}: ${errorMessage(error).replace(/\s*\n\s*/g, ' ')}\n`);
    if (process.env.ZOMBIE_SWEEP_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    process.exitCode = error instanceof PartialScanError ? EXIT_PARTIAL : 1;
  }
}
