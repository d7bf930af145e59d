// PLACEHOLDER: the owning helper replaces this with the real command.
import type { Command } from 'commander';

export function registerRestore(program: Command): void {
  program.command('restore').description('(not implemented yet)').action(() => {
    throw new Error('restore is not implemented yet');
  });
}
