import type { Command } from 'commander';
import { callExecutor, print, withExecutorOptions, type ExecutorCliOptions } from './executor-options.js';

/** `faultline kill <name>`: send a signal to a supervised process through a running executor. */
export function registerKill(program: Command): void {
  withExecutorOptions(
    program
      .command('kill')
      .argument('<name>', 'supervised process name')
      .option('--signal <signal>', 'a signal name such as SIGKILL, SIGTERM, SIGINT (the executor names the allowed ones)', 'SIGKILL')
      .description('send a signal (default SIGKILL) to a supervised process; its restart policy then applies'),
  ).action(async (name: string, opts: ExecutorCliOptions & { signal: string }) => {
    const signal = opts.signal.toUpperCase().startsWith('SIG') ? opts.signal.toUpperCase() : `SIG${opts.signal.toUpperCase()}`;
    const res = await callExecutor<Record<string, unknown>>(opts, 'POST', `v1/processes/${encodeURIComponent(name)}/kill`, { signal });
    const pid = Array.isArray(res.pid_history) ? (res.pid_history as unknown[]).at(-1) : res.pid;
    print(opts, res, `${name}: sent ${signal} (pid was ${String(pid)}; state ${String((res.state as { kind?: string } | undefined)?.kind ?? 'unknown')})`);
  });
}
