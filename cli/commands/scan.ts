// PLACEHOLDER: the owning helper replaces this with the real command.
import type { Command } from 'commander';

export function registerScan(program: Command): void {
  program.command('scan').description('(not implemented yet)').action(() => {
    throw new Error('scan is not implemented yet');
  });
}
