/**
 * Runs the built CLI, `dist/cli/main.js`, as a user's shell would: a real `node` child with its
 * own cwd and environment. The vitest global setup (`test/setup/global-setup.ts`) builds `dist/`
 * once before the tests, so this is the shipped artefact, not the sources through tsx.
 *
 * @example
 * const r = await runCli(['validate', 'drill.yaml'], { cwd: dir });
 * expect(r.code).toBe(0);
 * expect(r.stdout).toContain('valid');
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The built CLI entry point. */
export const CLI_PATH = join(ROOT, 'dist/cli/main.js');

/** Options of {@link runCli} and {@link spawnCli}. */
export interface CliOptions {
  /** Default: the repository root. */
  readonly cwd?: string;
  /** Added to the inherited environment; a value of `undefined` removes the variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Written to stdin, which is then closed (default: stdin is closed at once). */
  readonly input?: string;
  /** SIGKILL after this long (default 60 s); the result then has `timedOut: true`. */
  readonly timeoutMs?: number;
}

/** How a CLI run ended. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

function childEnv(extra: CliOptions['env']): NodeJS.ProcessEnv {
  // Quiet by default and never inherit a token or a CI colour setting by accident.
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTLINE_LOG_LEVEL: process.env['FAULTLINE_LOG_LEVEL'] ?? 'warn', NO_COLOR: '1' };
  delete env['FAULTLINE_TOKEN'];
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts `node dist/cli/main.js ...args` and returns the child (for long-running commands such as `serve`). */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs `node dist/cli/main.js ...args` to its end and returns its exit and output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const started = performance.now();
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin?.end(options.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  return new Promise((resolvePromise, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut, durationMs: performance.now() - started });
    });
  });
}
