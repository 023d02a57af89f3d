import type { Command } from 'commander';
import { clientFor, print, withExecutorOptions, type ExecutorCliOptions } from './executor-options.js';

/** `faultline halt`: revert every fault and policy on the executor now. */
export function registerHalt(program: Command): void {
  withExecutorOptions(program.command('halt').description('revert every fault and policy on the executor now')).action(
    async (opts: ExecutorCliOptions) => {
      const client = clientFor(opts);
      try {
        await client.halt();
        print(opts, { status: 'halted' }, 'halted: every fault and policy reverted');
      } finally {
        await client.close();
      }
    },
  );
}
