import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './errors.js';
import { isLoopbackHost, loadConfig, splitHostPort, startExecutor, type Executor, type ExecutorConfig } from '../executor/index.js';

interface ServeOptions {
  config?: string;
  listen?: string;
  state?: string;
  token?: string;
  tokenFile?: string;
  insecure?: boolean;
  maxDuration?: string;
  runsDir?: string;
}

const TOKEN_FIX = 'put a token in a file readable only by you and pass --token-file PATH (or set FAULTLINE_TOKEN_FILE)';

/**
 * The daemon's token, from (first given wins) `--token-file`, `--token`, `FAULTLINE_TOKEN_FILE`,
 * `FAULTLINE_TOKEN`; undefined when none is given. An empty token, an unreadable or empty token
 * file, or both flags at once is a usage error: an empty token must never turn auth off silently.
 * @throws CliError (exit 2)
 */
export function resolveToken(opts: { token?: string; tokenFile?: string }, env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = () => undefined): string | undefined {
  if (opts.token !== undefined && opts.tokenFile !== undefined) throw new CliError('--token and --token-file were both given', 'give one of them (--token-file keeps the token out of ps)');
  const file = opts.tokenFile ?? (opts.token === undefined ? env.FAULTLINE_TOKEN_FILE : undefined);
  if (file !== undefined) {
    const from = opts.tokenFile !== undefined ? '--token-file' : 'FAULTLINE_TOKEN_FILE';
    if (file === '') throw new CliError(`${from} is empty`, TOKEN_FIX);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read the token file ${file} (${from}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`, TOKEN_FIX, { cause: err });
    }
    const token = text.trim();
    if (token === '') throw new CliError(`the token file ${file} (${from}) is empty`, 'write the token into it (one line); an empty token would turn authentication off');
    if (/\s/.test(token)) throw new CliError(`the token file ${file} (${from}) holds more than one word`, 'write only the token, on one line');
    try {
      if ((statSync(file).mode & 0o077) !== 0) warn(`faultline: warning: the token file ${file} is readable by other users; chmod 600 it`);
    } catch {
      // read it already: the mode is advice only
    }
    return token;
  }
  const token = opts.token ?? env.FAULTLINE_TOKEN;
  if (token === undefined) return undefined;
  const from = opts.token !== undefined ? '--token' : 'FAULTLINE_TOKEN';
  if (token.trim() === '') throw new CliError(`${from} is empty: an empty token would turn authentication off`, `give a real token, or leave ${from} out to run without one on loopback`);
  return token;
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
  const warn = (line: string): void => void process.stderr.write(`${line}\n`);
  const token = resolveToken(opts, process.env, warn);
  const listen = opts.listen ?? config?.listen ?? '127.0.0.1:8474';
  const exposed = !isLoopbackHost(splitHostPort(listen).host);
  if (exposed && token === undefined) {
    if (!opts.insecure) {
      throw new CliError(
        `--listen ${listen} is reachable from the network and no token is set`,
        `${TOKEN_FIX}, or listen on 127.0.0.1, or pass --insecure to let anyone who reaches the port inject faults`,
        { code: 'FL_ERR_EXECUTOR_TOKEN_REQUIRED' },
      );
    }
    warn(`faultline: WARNING: listening on ${listen} with no token (--insecure): anyone who can reach this port can inject faults, halt them and read process output`);
  }
  const executor: Executor = await startExecutor({
    mode,
    ...(config ? { config } : {}),
    listen,
    ...(opts.state !== undefined ? { statePath: opts.state } : {}),
    // Passed even when absent ('' = none), so that the environment is read in one place: here.
    token: token ?? '',
    ...(opts.insecure ? { dangerouslyAllowInsecureListen: true } : {}),
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
    .option('--token <token>', 'require Authorization: Bearer <token> on mutating requests and reads of process output (env FAULTLINE_TOKEN; visible in ps: prefer --token-file)')
    .option('--token-file <path>', 'read the token from a file, so that it never shows in ps (env FAULTLINE_TOKEN_FILE)')
    .option('--insecure', 'allow a non-loopback --listen without a token (anyone who reaches the port can inject faults)')
    .option('--max-duration <seconds>', 'cap of every fault application (default 600)')
    .option('--runs-dir <dir>', 'where supervised runs write runs/<run_id>/manifest.json')
    .action(async (opts: ServeOptions) => runDaemon('executor', opts));
}
