import type { Command } from 'commander';
import { callExecutor, print, withExecutorOptions, type ExecutorCliOptions } from './executor-options.js';

/** `faultline halt`: revert every fault and policy on the executor now; `--json` prints the executor's counts. */
export function registerHalt(program: Command): void {
  withExecutorOptions(program.command('halt').description('revert every fault and policy on the executor now')).action(async (opts: ExecutorCliOptions) => {
    const res = await callExecutor<{ status?: string; cancelled?: number; policies_removed?: number }>(opts, 'POST', 'v1/halt', {});
    const counts = res.cancelled !== undefined ? ` (${res.cancelled} application${res.cancelled === 1 ? '' : 's'} cancelled, ${res.policies_removed ?? 0} polic${res.policies_removed === 1 ? 'y' : 'ies'} removed)` : '';
    print(opts, res, `halted: every fault and policy reverted${counts}`);
  });
}
