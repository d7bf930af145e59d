import '../src/core/polyfills.ts';
import { Command, CommanderError } from 'commander';
import { registerScan } from './commands/scan.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';
import { registerReport } from './commands/report.ts';
import { registerAudit } from './commands/audit.ts';
import { registerRestore } from './commands/restore.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerMemberRoleDiff } from './commands/member-role-diff.ts';
import { errorMessage, errorName } from '../src/core/errors.ts';

const program = new Command('zombie-sweep')
  .description('Find, archive, approve and delete idle (zombie) Amazon SageMaker endpoints across an AWS Organization.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerScan(program);
registerStart(program);
registerStatus(program);
registerReport(program);
registerAudit(program);
registerRestore(program);
registerDoctor(program);
registerMemberRoleDiff(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    // One line, no stack: the cause a user can act on. ZOMBIE_SWEEP_DEBUG=1 shows the stack.
    process.stderr.write(`zombie-sweep: ${errorName(error)}: ${errorMessage(error)}\n`);
    if (process.env.ZOMBIE_SWEEP_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
