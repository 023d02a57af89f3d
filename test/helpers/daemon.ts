/**
 * Starts a real `faultline serve` (or `supervise`) child — the built CLI, `node dist/cli/main.js
 * serve ...` (the vitest global setup builds dist/) — on a free port (port 0, read back from its first stdout line) with a temp state
 * file, waits for `/v1/health`, and stops it. Reusable by every test that needs a daemon.
 *
 * @example
 * const d = await startDaemon({ config: { proxies: [{ name: 'api', listen: '127.0.0.1:0', upstream: '127.0.0.1:3000', protocol: 'http' }] } });
 * await fetch(`${d.url}/v1/health`);
 * await d.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI_PATH } from './cli.js';

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  /** `serve` (default) or `supervise`. */
  readonly command?: 'serve' | 'supervise';
  /** A config object, written to `<dir>/faultline.yaml` (snake_case, as in the YAML). */
  readonly config?: Record<string, unknown>;
  /** Or a path to an existing config file. */
  readonly configPath?: string;
  /** A folder to keep state in (reuse it to restart on the same state file); default a new temp folder. */
  readonly dir?: string;
  /** Default `<dir>/state.db`. */
  readonly statePath?: string;
  readonly token?: string;
  readonly maxDurationSeconds?: number;
  /** Default `127.0.0.1:0`. */
  readonly listen?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly extraArgs?: readonly string[];
  /** Default 60 s (start-up on a busy machine is slow). */
  readonly startTimeoutMs?: number;
}

/** A running daemon child. */
export interface Daemon {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly statePath: string;
  readonly child: ChildProcess;
  /** Everything the child wrote so far. */
  output(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit. Removes the temp folder unless `keepDir`. */
  stop(options?: { signal?: NodeJS.Signals; keepDir?: boolean; timeoutMs?: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<Daemon>();

/** Starts a daemon child and waits until `/v1/health` answers. */
export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'faultline-daemon-'));
  const ownsDir = options.dir === undefined;
  const statePath = options.statePath ?? join(dir, 'state.db');
  const command = options.command ?? 'serve';
  const args = [CLI_PATH, command, '--listen', options.listen ?? '127.0.0.1:0'];
  if (command === 'serve') args.push('--state', statePath);
  let configPath = options.configPath;
  if (options.config !== undefined) {
    configPath = join(dir, 'faultline.yaml');
    writeFileSync(configPath, stringify(options.config));
  }
  if (configPath !== undefined) args.push('-c', configPath);
  if (options.token !== undefined) args.push('--token', options.token);
  if (options.maxDurationSeconds !== undefined && command === 'serve') args.push('--max-duration', String(options.maxDurationSeconds));
  args.push('--runs-dir', join(dir, 'runs'), ...(options.extraArgs ?? []));
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTLINE_LOG_LEVEL: process.env.FAULTLINE_LOG_LEVEL ?? 'warn', ...options.env };
  delete env.FAULTLINE_TOKEN;
  if (options.env?.FAULTLINE_TOKEN !== undefined) env.FAULTLINE_TOKEN = options.env.FAULTLINE_TOKEN;
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));

  const cleanupDir = (): void => {
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let url: string | undefined;
  while (url === undefined) {
    const m = /listening on (http:\/\/[^\s]+)/.exec(out);
    if (m?.[1]) url = m[1];
    else if (child.exitCode !== null || child.signalCode !== null) {
      cleanupDir();
      throw new Error(`faultline ${command} exited before listening (code ${child.exitCode}, signal ${child.signalCode}):\n${out}`);
    } else if (Date.now() > deadline) {
      child.kill('SIGKILL');
      cleanupDir();
      throw new Error(`faultline ${command} did not listen within the timeout:\n${out}`);
    } else await new Promise((r) => setTimeout(r, 25));
  }
  for (;;) {
    try {
      const res = await fetch(`${url}/v1/health`);
      if (res.ok) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      cleanupDir();
      throw new Error(`faultline ${command} did not answer /v1/health:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  const daemon: Daemon = {
    url,
    port: Number(new URL(url).port),
    dir,
    statePath,
    child,
    output: () => out,
    async stop(opts = {}) {
      running.delete(daemon);
      if (child.exitCode === null && child.signalCode === null) child.kill(opts.signal ?? 'SIGTERM');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.timeoutMs ?? 20_000).unref());
      let result = await Promise.race([exited, timeout]);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        result = await exited;
      }
      if (!opts.keepDir) cleanupDir();
      return result;
    },
  };
  running.add(daemon);
  return daemon;
}

/** Stops every daemon this process started and has not stopped yet (for `afterEach`/`afterAll`). */
export async function stopAllDaemons(): Promise<void> {
  await Promise.all([...running].map((d) => d.stop({ signal: 'SIGKILL' })));
}
