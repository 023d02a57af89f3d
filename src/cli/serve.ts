import type { Command } from 'commander';
import { CliError } from './errors.js';
import { loadConfig, startExecutor, type Executor, type ExecutorConfig } from '../executor/index.js';

interface ServeOptions {
  config?: string;
  listen?: string;
  state?: string;
  token?: string;
  maxDuration?: string;
  runsDir?: string;
}

/**
 * Runs an executor until SIGTERM/SIGINT, then reverts every fault, closes the proxies and exits 0.
 * Shared by `serve` and `supervise`.
 */
export async function runDaemon(mode: 'executor' | 'supervisor', opts: ServeOptions): Promise<void> {
  const config: ExecutorConfig | undefined = opts.config !== undefined ? await loadConfig(opts.config) : undefined;
  const maxDuration = opts.maxDuration !== undefined ? Number(opts.maxDuration) : undefined;
  if (maxDuration !== undefined && !(Number.isFinite(maxDuration) && maxDuration > 0)) {
    throw new CliError(`--max-duration '${opts.maxDuration}' is not a positive number of seconds`, 'give seconds, e.g. --max-duration 600');
  }
  const executor: Executor = await startExecutor({
    mode,
    ...(config ? { config } : {}),
    ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
    ...(opts.state !== undefined ? { statePath: opts.state } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(maxDuration !== undefined ? { maxDurationSeconds: maxDuration } : {}),
    ...(opts.runsDir !== undefined ? { runsDir: opts.runsDir } : {}),
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    executor.logger.info({ signal }, 'stopping: reverting every fault');
    // A second signal, or a close that hangs, must not keep the faults' owner alive forever.
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    executor.close().then(
      () => process.exit(0),
      (err: unknown) => {
        executor.logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The daemon owns live faults: a stray rejection is logged, it must not take them down unreverted.
  process.on('unhandledRejection', (err) => executor.logger.error({ err }, 'unhandled rejection (a bug)'));
  // One line on stdout for scripts and tests: where the API is.
  process.stdout.write(`faultline ${mode === 'executor' ? 'executor' : 'supervisor'} listening on ${executor.url}\n`);
}

/** `faultline serve`: the executor daemon (API v1, proxies, supervised processes, /metrics). */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the executor daemon: fault API, proxies, supervised processes, /metrics')
    .option('-c, --config <file>', 'faultline.yaml (proxies, processes, telemetry, alerts)')
    .option('--listen <host:port>', 'API address (default 127.0.0.1:8474)')
    .option('--state <file>', 'SQLite state file (default .faultline/state.db)')
    .option('--token <token>', 'require Authorization: Bearer <token> on mutating requests (env FAULTLINE_TOKEN)')
    .option('--max-duration <seconds>', 'cap of every fault application (default 600)')
    .option('--runs-dir <dir>', 'where supervised runs write runs/<run_id>/manifest.json')
    .action(async (opts: ServeOptions) => runDaemon('executor', opts));
}
