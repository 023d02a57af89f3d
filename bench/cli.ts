/**
 * `npm run bench -- cli [--runs 15]`
 *
 * CLI start-up against Node's own: wall time from spawn to exit of, interleaved per run so that
 * machine noise hits all alike,
 *   node       `node -e 0` (the floor)
 *   version    `node dist/cli/main.js --version`
 *   faults-ls  `node dist/cli/main.js faults ls` against a real daemon (`faultline serve` on port 0)
 * and the ratio of each median to node's. The bound: version and faults ls at most 3x.
 * Runs the built CLI: `npm run build` first.
 */
import { spawn } from 'node:child_process';
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

function timed(args: string[]): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ms: performance.now() - started, code }));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

export async function main(args: string[]): Promise<void> {
  if (!existsSync(cli)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const runs = option(args, '--runs', 15);
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-cli-'));
  const daemon = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--state', join(dir, 'state.db'), '--runs-dir', join(dir, 'runs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FAULTLINE_LOG_LEVEL: 'warn' },
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      daemon.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      daemon.once('exit', (code) => reject(new Error(`faultline serve exited (${String(code)})`)));
    });
    const cases: Record<string, string[]> = {
      node: ['-e', '0'],
      version: [cli, '--version'],
      'faults-ls': [cli, 'faults', 'ls', '--executor', url],
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    // One warm-up of each (file system cache), not counted.
    for (const a of Object.values(cases)) await timed(a);
    const names = Object.keys(cases);
    for (let i = 0; i < runs; i++) {
      for (let j = 0; j < names.length; j++) {
        const name = names[(i + j) % names.length] as string;
        const r = await timed(cases[name] as string[]);
        if (r.code !== 0) throw new Error(`${name} exited ${String(r.code)}`);
        (times[name] as number[]).push(r.ms);
      }
    }
    const floor = median(times.node as number[]);
    process.stdout.write(`cli start-up, ${runs} interleaved runs each (median, min, max in ms; ratio = median / node's median)\n`);
    let ok = true;
    for (const name of names) {
      const xs = times[name] as number[];
      const ratio = median(xs) / floor;
      const verdict = name === 'node' ? '' : ratio <= 3 ? '  ok (<= 3x)' : '  OVER 3x';
      if (name !== 'node' && ratio > 3) ok = false;
      process.stdout.write(
        `  ${name.padEnd(10)} ${median(xs).toFixed(0).padStart(5)}  ${Math.min(...xs).toFixed(0).padStart(5)}  ${Math.max(...xs).toFixed(0).padStart(5)}   x${ratio.toFixed(2)}${verdict}\n`,
      );
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
