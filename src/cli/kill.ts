import type { Command } from 'commander';
import { killSignals } from '../plan/index.js';
import { clientFor, print, withExecutorOptions, type ExecutorCliOptions } from './executor-options.js';

/** `faultline kill <name>`: send a signal to a supervised process through a running executor. */
export function registerKill(program: Command): void {
  withExecutorOptions(
    program
      .command('kill')
      .argument('<name>', 'supervised process name')
      .option('--signal <signal>', `one of ${killSignals.join(', ')}`, 'SIGKILL')
      .description('send a signal (default SIGKILL) to a supervised process; its restart policy then applies'),
  ).action(async (name: string, opts: ExecutorCliOptions & { signal: string }) => {
    const signal = opts.signal.toUpperCase().startsWith('SIG') ? opts.signal.toUpperCase() : `SIG${opts.signal.toUpperCase()}`;
    const client = clientFor(opts);
    try {
      const res = await client.killProcess(name, signal);
      print(opts, res, `${name}: sent ${signal} (pid was ${String(res.pid_history instanceof Array ? res.pid_history.at(-1) : res.pid)}; state ${String((res.state as { kind?: string } | undefined)?.kind ?? 'unknown')})`);
    } finally {
      await client.close();
    }
  });
}
