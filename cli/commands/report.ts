// PLACEHOLDER: the owning helper replaces this with the real command.
import type { Command } from 'commander';

export function registerReport(program: Command): void {
  program.command('report').description('(not implemented yet)').action(() => {
    throw new Error('report is not implemented yet');
  });
}
