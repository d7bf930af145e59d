// PLACEHOLDER: the owning helper replaces this with the real command.
import type { Command } from 'commander';

export function registerAudit(program: Command): void {
  program.command('audit').description('(not implemented yet)').action(() => {
    throw new Error('audit is not implemented yet');
  });
}
