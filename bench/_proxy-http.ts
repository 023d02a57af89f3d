/**
 * HTTP proxy benchmark, sections (b) and (c) of `npm run bench -- proxy` (bench/proxy.ts calls
 * `main` at its end). Alone: `npx tsx bench/_proxy-http.ts [--quick]`.
 *
 *   (b) requests/s (wrk -t1 -c50, or an undici loop when wrk is missing) and added p50/p99
 *       latency (sequential keep-alive requests): direct, through faultline with no rules, with
 *       100 non-matching rules. Rounds are interleaved; the median is shown.
 *   (c) delay accuracy: a 50 ms delay rule; observed minus requested, p50/p99/max.
 *
 * Every server runs in its own process; this process only generates load:
 *
 *   wrk / this process ──▶ [direct | faultline 0 rules | faultline 100 rules | faultline delay] ──▶ upstream child
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { createHttpProxy } from '../src/proxy/http/index.js';
import { compileMatcher } from '../src/proxy/http/matcher.js';
import type { HttpRuleSpec } from '../src/proxy/types.js';

const self = fileURLToPath(import.meta.url);
const children: ChildProcess[] = [];

// ---------------------------------------------------------------- child roles

async function runUpstream(): Promise<void> {
  const body = Buffer.from('hello world\n');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  answerCpu();
}

/** Answers each `cpu` line on stdin with this process's CPU time (µs), so load on a shared machine does not hide the cost. */
function answerCpu(): void {
  createInterface({ input: process.stdin }).on('line', () => {
    const u = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: u.user + u.system })}\n`);
  });
}

/** 100 rules that never match `GET /`: globs, exact paths, methods and headers, all evaluated. */
function nonMatchingRules(): HttpRuleSpec[] {
  const rules: HttpRuleSpec[] = [];
  for (let i = 0; i < 100; i++) {
    const base = { id: `n${i}`, type: 'abort' as const, percentage: 100, config: { httpStatus: 503, phase: 'request' as const, skip: 0 } };
    if (i % 4 === 0) rules.push({ ...base, path: `/api/v${i}/**` });
    else if (i % 4 === 1) rules.push({ ...base, path: `/orders/${i}/*/items` });
    else if (i % 4 === 2) rules.push({ ...base, path: '/', headers: { 'x-tenant': `t${i}` } });
    else rules.push({ ...base, method: 'POST', path: `/exact/${i}` });
  }
  return rules;
}

async function runProxy(upstreamPort: number, mode: string): Promise<void> {
  const proxy = createHttpProxy({ name: mode, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` });
  await proxy.start();
  if (mode === 'rules100') for (const r of nonMatchingRules()) proxy.addRule(r);
  if (mode === 'delay50') proxy.addRule({ id: 'd', type: 'delay', percentage: 100, config: { delayMs: 50, phase: 'request', skip: 0 } });
  process.stdout.write(`${JSON.stringify({ port: Number(proxy.listen.split(':').pop()) })}\n`);
  answerCpu();
}

// ---------------------------------------------------------------- harness

interface Child {
  readonly port: number;
  /** CPU time (µs) the child has used so far. */
  cpu(): Promise<number>;
}

function child(args: string[]): Promise<Child> {
  const c = spawn(process.execPath, ['--import', 'tsx', self, '--child', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  const lines = createInterface({ input: c.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = (): Promise<string> => new Promise((resolve) => waiting.push(resolve));
  return new Promise((resolve, reject) => {
    c.once('exit', (code) => reject(new Error(`bench child ${args.join(' ')} exited ${code}`)));
    void next().then((line) =>
      resolve({
        port: (JSON.parse(line) as { port: number }).port,
        cpu: async () => {
          const answer = next();
          c.stdin!.write('cpu\n');
          return (JSON.parse(await answer) as { cpu: number }).cpu;
        },
      }),
    );
  });
}

function cleanup(): void {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
}

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 but exists
    return (err as { code?: string }).code !== 'ENOENT';
  }
}

/** Runs wrk; returns requests/s and the request count. */
function wrk(port: number, seconds: number): { rps: number; n: number } {
  const out = execFileSync('wrk', ['-t1', '-c50', `-d${seconds}s`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const n = /(\d+) requests in/.exec(out);
  return { rps: rps ? Number(rps[1]) : NaN, n: n ? Number(n[1]) : NaN };
}

/** Fallback load: 50 keep-alive connections hammering for `seconds`. */
async function loop(port: number, seconds: number): Promise<{ rps: number; n: number }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 50 });
  const end = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (performance.now() < end) {
        const r = await pool.request({ method: 'GET', path: '/' });
        await r.body.dump();
        n++;
      }
    }),
  );
  await pool.destroy();
  return { rps: n / seconds, n };
}

/** Round-trip times (ms) of `n` requests, `concurrency` at a time, over keep-alive. */
async function latencies(port: number, n: number, concurrency = 1): Promise<number[]> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency });
  const out: number[] = [];
  const per = Math.ceil(n / concurrency);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < per; i++) {
        const t0 = performance.now();
        const r = await pool.request({ method: 'GET', path: '/' });
        await r.body.dump();
        out.push(performance.now() - t0);
      }
    }),
  );
  await pool.destroy();
  return out;
}

/** µs to run a `GET /` through the 100 non-matching rules' precompiled matchers (best of 5). */
function matchingCost(): number {
  const matchers = nonMatchingRules().map((r) => compileMatcher(r));
  const headers = { host: '127.0.0.1', 'user-agent': 'wrk' };
  const n = 100_000;
  let best = Infinity;
  let hits = 0;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) for (const m of matchers) if (m.matches('GET', '/', headers)) hits++;
    best = Math.min(best, ((performance.now() - t0) * 1000) / n);
  }
  if (hits !== 0) throw new Error('a non-matching rule matched');
  return best;
}

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

const median = (xs: readonly number[]): number => percentile(xs, 50);
const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '-');

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

/** Prints sections (b) and (c). `--quick` shortens every run. */
export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const rounds = quick ? 2 : 5;
  const seconds = 2;
  const latN = quick ? 500 : 2000;
  process.on('exit', cleanup);
  try {
    const upstream = await child(['upstream']);
    const up = String(upstream.port);
    // For `direct` the CPU column is the upstream's own cost per request (the reference).
    const targets: [string, Child][] = [
      ['direct', upstream],
      ['faultline, no rules', await child(['proxy', up, 'rules0'])],
      ['faultline, 100 non-matching rules', await child(['proxy', up, 'rules100'])],
    ];
    const delayProxy = await child(['proxy', up, 'delay50']);
    const useWrk = hasWrk();

    // warm-up (JIT, keep-alive pools): the first seconds of a Node process are much slower
    for (const [, c] of targets) {
      await latencies(c.port, 300, 4);
      if (useWrk) wrk(c.port, 1);
      else await loop(c.port, 1);
    }

    const rps = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    const lat = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const [name, c] of targets) {
        const before = await c.cpu();
        const r = useWrk ? wrk(c.port, seconds) : await loop(c.port, seconds);
        const used = (await c.cpu()) - before;
        rps.set(name, [...(rps.get(name) ?? []), r.rps]);
        cpu.set(name, [...(cpu.get(name) ?? []), used / r.n]);
      }
      for (const [name, c] of targets) lat.set(name, [...(lat.get(name) ?? []), ...(await latencies(c.port, latN / rounds))]);
    }

    const direct = median(rps.get('direct') ?? []);
    const base = lat.get('direct') ?? [];
    process.stdout.write(
      `\n(b) HTTP proxy: ${useWrk ? 'wrk -t1 -c50' : 'undici loop, 50 connections'} -d${seconds}s x ${rounds} round(s), median req/s; ` +
        `latency over ${latN} sequential keep-alive requests; CPU = µs of the proxy process per request (direct: the upstream's)\n`,
    );
    process.stdout.write(
      `${table(
        ['target', 'req/s', 'x direct', 'CPU µs/req', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms'],
        targets.map(([name]) => {
          const r = median(rps.get(name) ?? []);
          const l = lat.get(name) ?? [];
          return [
            name,
            fmt(r, 0),
            `${fmt(r / direct)}x`,
            fmt(median(cpu.get(name) ?? []), 1),
            fmt(percentile(l, 50), 3),
            fmt(percentile(l, 99), 3),
            fmt(percentile(l, 50) - percentile(base, 50), 3),
            fmt(percentile(l, 99) - percentile(base, 99), 3),
          ];
        }),
      )}\n`,
    );
    const r0 = median(rps.get('faultline, no rules') ?? []);
    const r100 = median(rps.get('faultline, 100 non-matching rules') ?? []);
    const c0 = median(cpu.get('faultline, no rules') ?? []);
    const c100 = median(cpu.get('faultline, 100 non-matching rules') ?? []);
    process.stdout.write(`100 rules / no rules: ${fmt(r100 / r0)}x by req/s, ${fmt(c0 / c100)}x by proxy CPU per request (target >= 0.9x)\n`);
    const matchUs = matchingCost();
    process.stdout.write(
      `matching the 100 rules alone (in-process loop, same matchers): ${fmt(matchUs, 2)} µs per request, ` +
        `i.e. at most ${fmt(c0 / (c0 + matchUs))}x of the no-rules proxy by CPU\n`,
    );

    // (c) delay accuracy
    const samples = quick ? 200 : 600;
    await latencies(delayProxy.port, 100, 10); // warm-up, discarded
    const delayed = await latencies(delayProxy.port, samples, 10);
    const plain = await latencies(targets[1]?.[1].port ?? upstream.port, samples, 10);
    const err = delayed.map((ms) => ms - 50);
    process.stdout.write(`\n(c) delay accuracy: 50 ms delay rule, ${samples} requests, 10 concurrent; observed minus requested (ms)\n`);
    process.stdout.write(
      `${table(
        ['', 'p50', 'p99', 'max', 'min'],
        [
          ['observed - 50 ms', fmt(percentile(err, 50), 3), fmt(percentile(err, 99), 3), fmt(Math.max(...err), 3), fmt(Math.min(...err), 3)],
          ['same proxy, no delay (overhead)', fmt(percentile(plain, 50), 3), fmt(percentile(plain, 99), 3), fmt(Math.max(...plain), 3), fmt(Math.min(...plain), 3)],
        ],
      )}\n`,
    );
    process.stdout.write(`delay error p99 ${fmt(percentile(err, 99), 3)} ms (target < 2 ms)\n`);
  } finally {
    cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [flag, role, ...rest] = process.argv.slice(2);
  if (flag === '--child') {
    if (role === 'upstream') await runUpstream();
    else if (role === 'proxy') await runProxy(Number(rest[0]), rest[1] ?? 'rules0');
    else throw new Error(`unknown child role ${role}`);
  } else {
    await main(process.argv.slice(2));
  }
}
