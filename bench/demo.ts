/**
 * `npm run bench -- demo [--runs 5] [--short] [--no-stress]`
 *
 * The flagship demo on a busy machine: `stress-ng --cpu 2` (Debian package `stress-ng`) keeps two
 * cores busy while `faultline demo` runs `--runs` times in a row. Per run: exit code, kill
 * recovery (SIGKILL -> healthy, limit 2 s), DB recovery (database back -> healthy, limit 5 s),
 * wall time; then how many runs passed. Runs the built CLI (`npm run build` first).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

function which(bin: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

interface RunFigures {
  code: number | null;
  wallS: number;
  killMs: number | null;
  dbMs: number | null;
  lost: unknown;
  duplicates: unknown;
}

const elapsed = (v: unknown): number | null => {
  const ms = (v as { elapsed_ms?: unknown } | undefined)?.elapsed_ms;
  return typeof ms === 'number' ? ms : null;
};

function runDemo(short: boolean, reportDir: string): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'demo', '--json', '--report-dir', reportDir, ...(short ? ['--short'] : [])], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FAULTLINE_LOG_LEVEL: 'warn' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const wallS = (performance.now() - started) / 1000;
      let results: Record<string, unknown> = {};
      try {
        results = ((JSON.parse(out) as { results?: Record<string, unknown> }).results ?? {}) as Record<string, unknown>;
      } catch {
        process.stderr.write(`  (no JSON summary; last stderr: ${err.trim().split('\n').slice(-3).join(' | ')})\n`);
      }
      resolve({ code, wallS, killMs: elapsed(results.kill_recovery), dbMs: elapsed(results.db_recovery), lost: results.lost_payments, duplicates: results.duplicate_payments });
    });
  });
}

export async function main(args: string[]): Promise<void> {
  if (!existsSync(cli)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const runs = option(args, '--runs', 5);
  const short = args.includes('--short');
  let stress: ChildProcess | undefined;
  if (!args.includes('--no-stress')) {
    const bin = which('stress-ng');
    if (bin === null) {
      process.stderr.write('stress-ng is not installed — apt-get install stress-ng, or pass --no-stress\n');
      process.exitCode = 2;
      return;
    }
    stress = spawn(bin, ['--cpu', '2', '--timeout', '0'], { stdio: 'ignore', detached: true });
  }
  const reportDir = mkdtempSync(join(tmpdir(), 'faultline-bench-demo-'));
  const figures: RunFigures[] = [];
  try {
    process.stdout.write(`faultline demo${short ? ' --short' : ''}, ${runs} runs${stress ? ' under stress-ng --cpu 2' : ' (no stress)'}\n`);
    process.stdout.write('  run  exit  kill recovery ms (<= 2000)  db recovery ms (<= 5000)  lost  dup  wall s\n');
    for (let i = 0; i < runs; i++) {
      const f = await runDemo(short, reportDir);
      figures.push(f);
      process.stdout.write(
        `  ${String(i + 1).padStart(3)}  ${String(f.code).padStart(4)}  ${String(f.killMs ?? '-').padStart(25)}  ${String(f.dbMs ?? '-').padStart(24)}  ${String(f.lost ?? '-').padStart(4)}  ${String(f.duplicates ?? '-').padStart(3)}  ${f.wallS.toFixed(1).padStart(6)}\n`,
      );
    }
  } finally {
    if (stress?.pid !== undefined) process.kill(-stress.pid, 'SIGTERM');
    rmSync(reportDir, { recursive: true, force: true });
  }
  const passed = figures.filter((f) => f.code === 0).length;
  const kills = figures.map((f) => f.killMs).filter((x): x is number => x !== null);
  process.stdout.write(`passed ${passed}/${runs}; kill recovery max ${kills.length ? Math.max(...kills) : '-'} ms\n`);
  process.exitCode = passed === runs ? 0 : 1;
}
