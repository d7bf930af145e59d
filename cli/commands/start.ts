// PLACEHOLDER: the owning helper replaces this with the real command.
import type { Command } from 'commander';

export function registerStart(program: Command): void {
  program.command('start').description('(not implemented yet)').action(() => {
    throw new Error('start is not implemented yet');
  });
}
