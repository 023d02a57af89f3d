import type { Command } from 'commander';
import { snakifyKeys } from '../plan/index.js';
import { clientFor, print, withExecutorOptions, type ExecutorCliOptions } from './executor-options.js';

/** `faultline faults [ls|status|metrics|cancel]`: read and cancel fault applications. */
export function registerFaults(program: Command): void {
  const faults = program.command('faults').description('list, inspect and cancel fault applications');

  const run = async (opts: ExecutorCliOptions, fn: (client: ReturnType<typeof clientFor>) => Promise<void>) => {
    const client = clientFor(opts);
    try {
      await fn(client);
    } finally {
      await client.close();
    }
  };

  withExecutorOptions(faults.command('ls', { isDefault: true }).description('list applications')).action(async (opts: ExecutorCliOptions) =>
    run(opts, async (client) => {
      const list = await client.list();
      print(
        opts,
        list.map((s) => snakifyKeys(s)),
        list.length === 0 ? 'no fault applications' : list.map((s) => `${s.applyId}  ${s.status.padEnd(9)}  ${s.startTime ?? '-'} .. ${s.endTime ?? '-'}`).join('\n'),
      );
    }),
  );

  withExecutorOptions(faults.command('status').argument('<apply_id>').description("an application's status")).action(
    async (id: string, opts: ExecutorCliOptions) =>
      run(opts, async (client) => {
        const s = await client.status(id);
        print(opts, snakifyKeys(s), `${s.applyId} ${s.status} ${s.startTime ?? '-'} .. ${s.endTime ?? '-'}${s.errorMsg ? ` (${s.errorMsg})` : ''}`);
      }),
  );

  withExecutorOptions(faults.command('metrics').argument('<apply_id>').description("what an application's fault saw")).action(
    async (id: string, opts: ExecutorCliOptions) =>
      run(opts, async (client) => {
        const m = await client.metrics(id);
        print(
          opts,
          snakifyKeys(m),
          `${m.applyId}: ${m.faulted}/${m.requests} faulted, error rate ${m.errorRate.toFixed(3)}, p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms`,
        );
      }),
  );

  withExecutorOptions(faults.command('cancel').argument('<apply_id>').description('cancel an application: its fault is reverted at once')).action(
    async (id: string, opts: ExecutorCliOptions) =>
      run(opts, async (client) => {
        await client.cancel(id);
        print(opts, { apply_id: id, status: 'cancelled' }, `${id} cancelled`);
      }),
  );
}
