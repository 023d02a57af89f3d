/**
 * Runs the built CLI (`dist/cli/main.js`), as a user's `npx faultline` does. `ensureBuilt()`
 * builds `dist/` once when it is missing or older than `src/` (a lock folder keeps parallel test
 * files from building at the same time); a vitest global setup that builds first makes it a no-op.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(root, 'dist/cli/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  return !existsSync(CLI) || statSync(CLI).mtimeMs < newestMtime(join(root, 'src'));
}

/** Builds dist/ when it is missing or older than src/. */
export async function ensureBuilt(): Promise<void> {
  const lock = join(root, '.build-lock');
  const deadline = Date.now() + 240_000;
  while (stale()) {
    try {
      mkdirSync(lock);
    } catch {
      // Someone else builds; a lock older than 4 minutes is left from a killed run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 240_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('dist/ was not built within 4 minutes');
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      if (stale()) execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'pipe' });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** What a CLI run printed and how it exited. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/cli/main.js ...args`; never rejects. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, FAULTLINE_TOKEN: '', FAULTLINE_EXECUTOR: '', ...options.env };
    for (const k of ['FAULTLINE_TOKEN', 'FAULTLINE_EXECUTOR'] as const) if (env[k] === '') delete env[k];
    const child = execFile(process.execPath, [CLI, ...args], { cwd: options.cwd ?? root, env, timeout: options.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** The one-line error form: `faultline: <what> — <how to fix>`, and no stack trace. */
export const ONE_LINE = /^faultline: \S.* — \S.*\n$/;
