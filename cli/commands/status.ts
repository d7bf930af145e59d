// PLACEHOLDER: the owning helper replaces this with the real command.
import type { Command } from 'commander';

export function registerStatus(program: Command): void {
  program.command('status').description('(not implemented yet)').action(() => {
    throw new Error('status is not implemented yet');
  });
}
