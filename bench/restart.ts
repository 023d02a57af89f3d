/**
 * `npm run bench -- restart [--runs 20] [--gap-ms 1100] [--poll-ms 2] [--no-pm2]`
 *
 * Kill -> serving again: SIGKILL the server, then poll `GET /` every `--poll-ms` until a 200
 * comes back from a NEW pid. Side by side, interleaved per run (order rotating) so machine noise
 * hits all alike:
 *   bare      spawn the same server and wait for its first response (the floor: Node's start-up),
 *             in its own session as faultline spawns it (with Linux autogroup scheduling a new
 *             session gets its own CPU share, which matters on a loaded machine), and without
 *   faultline the supervisor (defaults + an HTTP health check) restarting it
 *   pm2       PM2 (own PM2_HOME in a temp folder) restarting it
 * Each supervised server has been up >= --gap-ms before it is killed, past both tools' "stable
 * uptime" (faultline stable_after_s = 1, PM2 min_uptime = 1000 ms), so every kill is a plain restart.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSupervisor } from '../src/supervisor/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const server = join(root, 'test/fixtures/http-server.mjs');
const pm2Bin = join(root, 'node_modules/.bin/pm2');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** The pid the server answers `GET /` with, or null (refused, reset, timeout). */
function pidOf(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as { pid: number }).pid : null);
        } catch {
          resolve(null);
        }
      });
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Polls until a pid other than `old` answers; returns it. */
async function servedBy(port: number, old: number | null, pollMs: number, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pid = await pidOf(port);
    if (pid !== null && pid !== old) return pid;
    if (performance.now() > deadline) throw new Error(`port ${port}: no new pid within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

interface Stats {
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), max: s[s.length - 1] ?? NaN, mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

/** A supervised server: kill it (SIGKILL, from outside) and time until a new pid answers. */
class Target {
  pid: number | null = null;
  servingSince = 0;
  readonly samples: number[] = [];
  constructor(
    readonly label: string,
    readonly port: number,
  ) {}

  async ready(pollMs: number): Promise<void> {
    this.pid = await servedBy(this.port, null, pollMs);
    this.servingSince = performance.now();
  }

  async killAndTime(gapMs: number, pollMs: number): Promise<number> {
    const wait = this.servingSince + gapMs - performance.now();
    if (wait > 0) await sleep(wait);
    const old = this.pid!;
    const t0 = performance.now();
    process.kill(old, 'SIGKILL');
    this.pid = await servedBy(this.port, old, pollMs);
    const ms = performance.now() - t0;
    this.servingSince = performance.now();
    return ms;
  }
}

async function bareOnce(port: number, pollMs: number, detached: boolean): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [server], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore', detached });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await servedBy(port, null, pollMs);
    return performance.now() - t0;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

function fmt(n: number): string {
  return Number.isFinite(n) ? n.toFixed(1).padStart(8) : '       -';
}

export async function main(args: string[]): Promise<void> {
  const runs = option(args, '--runs', 20);
  const gapMs = option(args, '--gap-ms', 1100);
  const pollMs = option(args, '--poll-ms', 2);
  const withPm2 = !args.includes('--no-pm2');

  const dir = await mkdtemp(join(tmpdir(), 'faultline-bench-restart-'));
  const pm2Env = { ...process.env, PM2_HOME: join(dir, 'pm2') };
  const barePort = await freePort();
  const flPort = await freePort();
  const pm2Port = await freePort();

  const sup = createSupervisor(
    [
      {
        name: 'web',
        command: process.execPath,
        args: [server],
        env: { PORT: String(flPort) },
        health: { http: { url: `http://127.0.0.1:${flPort}/health` } },
      },
    ],
    { runsDir: join(dir, 'runs') },
  );
  const bare: number[] = [];
  const bareSameSession: number[] = [];
  const faultline = new Target('faultline', flPort);
  const pm2 = new Target('pm2', pm2Port);
  let pm2Error: string | null = null;
  try {
    await sup.start();
    await faultline.ready(pollMs);
    if (withPm2) {
      try {
        await run(pm2Bin, ['start', server, '--name', 'fl-bench-web', '--max-restarts', '1000'], {
          env: { ...pm2Env, PORT: String(pm2Port) },
          timeout: 60_000,
        });
        await pm2.ready(pollMs);
      } catch (err) {
        pm2Error = (err as Error).message.split('\n')[0] ?? String(err);
      }
    }
    // one warm-up round, not timed (page cache, PM2's first restart)
    await bareOnce(barePort, pollMs, true);
    await faultline.killAndTime(gapMs, pollMs);
    if (withPm2 && !pm2Error) await pm2.killAndTime(gapMs, pollMs);

    // Interleaved, the order rotating each run, so that no contender always follows the same one.
    const steps: Array<() => Promise<void>> = [
      async () => void bare.push(await bareOnce(barePort, pollMs, true)),
      async () => void bareSameSession.push(await bareOnce(barePort, pollMs, false)),
      async () => void faultline.samples.push(await faultline.killAndTime(gapMs, pollMs)),
      async () => {
        if (withPm2 && !pm2Error) pm2.samples.push(await pm2.killAndTime(gapMs, pollMs));
      },
    ];
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!();
    }
  } finally {
    await sup.stop();
    if (withPm2) await run(pm2Bin, ['kill'], { env: pm2Env, timeout: 30_000 }).catch(() => undefined);
  }

  const info = sup.get('web')!;
  const manifest = (await import('node:fs')).readFileSync(sup.manifestPath, 'utf8');
  const restarts = (JSON.parse(manifest) as { processes: Record<string, { restarts: Array<{ restart_ms: number | null; recovery_ms: number | null }> }> })
    .processes.web!.restarts.slice(1);
  await rm(dir, { recursive: true, force: true });

  const rows: Array<[string, Stats | null, string]> = [
    ['bare spawn (floor)', stats(bare), 'spawn -> first response, own session (setsid) as faultline spawns'],
    ['bare, same session', stats(bareSameSession), 'the same, without setsid (shares the bench\'s CPU autogroup)'],
    ['faultline', stats(faultline.samples), 'SIGKILL -> first response from new pid'],
    ['pm2', pm2Error || !withPm2 ? null : stats(pm2.samples), pm2Error ? `unavailable: ${pm2Error}` : withPm2 ? 'SIGKILL -> first response from new pid' : 'skipped (--no-pm2)'],
  ];
  const out: string[] = [];
  out.push(`restart: ${runs} runs, poll every ${pollMs} ms, each server up >= ${gapMs} ms before its kill (node ${process.version})`);
  out.push('');
  out.push(`${'ms'.padEnd(20)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'max'.padStart(8)}${'mean'.padStart(8)}  what`);
  for (const [label, s, what] of rows) {
    out.push(`${label.padEnd(20)}${fmt(s?.p50 ?? NaN)}${fmt(s?.p95 ?? NaN)}${fmt(s?.max ?? NaN)}${fmt(s?.mean ?? NaN)}  ${what}`);
  }
  const fl = rows[2]![1]!;
  const floor = rows[0]![1]!;
  const peer = rows[3]![1];
  out.push('');
  out.push(`faultline p50 / bare p50 = ${(fl.p50 / floor.p50).toFixed(2)}x (target <= 1.20x)`);
  if (peer) out.push(`faultline p50 / pm2 p50  = ${(fl.p50 / peer.p50).toFixed(2)}x (target < 1.00x)`);
  const restartMs = stats(restarts.map((r) => r.restart_ms ?? NaN).filter(Number.isFinite));
  const recoveryMs = stats(restarts.map((r) => r.recovery_ms ?? NaN).filter(Number.isFinite));
  out.push(
    `faultline manifest (same kills): restart_ms p50 ${restartMs.p50.toFixed(2)} max ${restartMs.max.toFixed(2)}; ` +
      `recovery_ms p50 ${recoveryMs.p50.toFixed(1)} max ${recoveryMs.max.toFixed(1)}; restart_count ${info.restartCount}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
