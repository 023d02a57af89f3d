import type { Command } from 'commander';
import { HttpExecutorClient } from '../client/index.js';

/** Options every command that talks to a running executor takes. */
export interface ExecutorCliOptions {
  executor: string;
  token?: string;
  json?: boolean;
}

/** Adds `--executor URL`, `--token T` and `--json` to a command. */
export function withExecutorOptions(cmd: Command): Command {
  return cmd
    .option('--executor <url>', 'executor base URL (env FAULTLINE_EXECUTOR)', process.env.FAULTLINE_EXECUTOR ?? 'http://127.0.0.1:8474')
    .option('--token <token>', 'bearer token for mutating calls (env FAULTLINE_TOKEN)')
    .option('--json', 'print JSON');
}

/** A client for the command's `--executor`; a CLI call retries little and fails fast. */
export function clientFor(opts: ExecutorCliOptions): HttpExecutorClient {
  return new HttpExecutorClient({
    baseUrl: opts.executor,
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    retry: { maxAttempts: 2, initialDelayMs: 100 },
  });
}

/** Prints `value` as JSON (with --json) or as `text`. */
export function print(opts: { json?: boolean }, value: unknown, text: string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}
