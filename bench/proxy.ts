/**
 * `npm run bench -- proxy [--quick]`: the TCP proxy against direct, a bare Node pipe() proxy
 * (bench/pipe-proxy.ts) and HAProxy in TCP mode, side by side in one run on loopback.
 *
 *   (a) bulk throughput (MB/s, upstream -> client) and small-message round trips per second
 *   (d) small HTTP requests carried by the TCP proxy: wrk -t1 -c50 -d5s
 *   (e) added round-trip latency of a 64-byte echo, p50 and p99
 *
 * Every server and proxy runs in its own process (the load generator is this process or wrk):
 *
 *   this process / wrk ──▶ [direct | faultline | pipe | haproxy] ──▶ servers child (echo, source, http)
 *
 * Then, if bench/_proxy-http.ts exists, its `main(args)` prints the HTTP proxy sections (b), (c).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const children: ChildProcess[] = [];

interface Ports {
  echo: number;
  source: number;
  http: number;
}

// ---------------------------------------------------------------- child roles

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** Upstream servers: echo, an endless byte source, a tiny HTTP server. */
async function runServers(): Promise<void> {
  const echo = net.createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const block = Buffer.alloc(64 * 1024, 120);
  const source = net.createServer((s) => {
    s.on('error', () => {});
    const pump = (): void => {
      while (!s.destroyed && s.write(block));
    };
    s.on('drain', pump);
    pump();
  });
  const body = Buffer.from('hello world\n');
  const web = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  web.keepAliveTimeout = 60_000;
  const ports: Ports = { echo: await listen(echo), source: await listen(source), http: await listen(web) };
  process.stdout.write(`${JSON.stringify(ports)}\n`);
}

/** faultline TCP proxies, one per upstream port, plus one carrying a no-op toxic (the chain path). */
async function runFaultline(upstreams: number[]): Promise<void> {
  const { createTcpProxy } = await import('../src/proxy/tcp/index.js');
  const ports: number[] = [];
  let i = 0;
  for (const up of upstreams) {
    const p = createTcpProxy({ name: `bench${i++}`, listen: '127.0.0.1:0', upstream: `127.0.0.1:${up}` });
    await p.start();
    ports.push(Number(p.listen.split(':').pop()));
  }
  const toxic = createTcpProxy({ name: 'bench-toxic', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreams[1]}` });
  await toxic.start();
  toxic.addToxic({ name: 'noop', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: 0, jitter: 0 } });
  process.stdout.write(`${JSON.stringify({ ports, toxic: Number(toxic.listen.split(':').pop()) })}\n`);
}

// ---------------------------------------------------------------- helpers

function startChild<T>(args: string[], command = process.execPath): Promise<{ child: ChildProcess; info: T }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(here, '..') });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        child.removeAllListeners('exit');
        resolve({ child, info: JSON.parse(buf.slice(0, nl)) as T });
      }
    });
  });
}

function tsChild<T>(file: string, args: string[]): Promise<{ child: ChildProcess; info: T }> {
  return startChild<T>(['--import', 'tsx', join(here, file), ...args]);
}

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** HAProxy in TCP mode, one thread (as a single Node process), one frontend per upstream. */
async function startHaproxy(ports: Ports, dir: string): Promise<Ports & { pid: number | undefined }> {
  const front: Ports = { echo: await freePort(), source: await freePort(), http: await freePort() };
  const section = (name: keyof Ports): string =>
    `listen ${name}\n  bind 127.0.0.1:${front[name]}\n  option tcp-smart-accept\n  server s1 127.0.0.1:${ports[name]}\n`;
  const cfg = [
    'global\n  nbthread 1\n  maxconn 2000\n',
    'defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 120s\n  timeout server 120s\n',
    section('echo'),
    section('source'),
    section('http'),
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  await Promise.all([waitForPort(front.echo), waitForPort(front.source), waitForPort(front.http)]);
  return { ...front, pid: child.pid };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- measurements

/** MB/s read from an endless source, after a warm-up. */
/** CPU time (user + system) a process has used, in ms (Linux /proc; NaN elsewhere). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ = 100
  } catch {
    return NaN;
  }
}

/** MB/s read from an endless source after a warm-up, and the proxy's CPU ms per GB moved. */
async function bulk(port: number, seconds: number, pid?: number): Promise<{ mbps: number; cpuPerGB: number }> {
  const s = await connect(port);
  let bytes = 0;
  s.on('data', (b: Buffer) => (bytes += b.length));
  await sleep(200);
  const start = bytes;
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const moved = bytes - start;
  const ms = performance.now() - t0;
  const cpu = cpuMs(pid) - cpu0;
  s.destroy();
  return { mbps: moved / 1e6 / (ms / 1000), cpuPerGB: cpu / (moved / 1e9) };
}

/** Round trips per second of 64-byte messages over `conns` connections, each one at a time. */
async function roundTrips(port: number, conns: number, seconds: number): Promise<number> {
  const msg = Buffer.alloc(64, 97);
  const sockets = await Promise.all(Array.from({ length: conns }, () => connect(port)));
  let count = 0;
  let running = true;
  for (const s of sockets) {
    let got = 0;
    s.on('data', (b: Buffer) => {
      got += b.length;
      if (got < 64) return;
      got -= 64;
      count++;
      if (running) s.write(msg);
    });
  }
  await sleep(200);
  for (const s of sockets) s.write(msg);
  await sleep(200);
  const start = count;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const done = count - start;
  const ms = performance.now() - t0;
  running = false;
  for (const s of sockets) s.destroy();
  return done / (ms / 1000);
}

/** Round-trip times (ms) of a 64-byte echo, one at a time. */
async function echoLatency(port: number, samples: number): Promise<number[]> {
  const s = await connect(port);
  const msg = Buffer.alloc(64, 98);
  const out: number[] = [];
  await new Promise<void>((resolve) => {
    let got = 0;
    let t0 = 0;
    let n = 0;
    s.on('data', (b: Buffer) => {
      got += b.length;
      if (got < 64) return;
      got = 0;
      if (n >= 200) out.push(performance.now() - t0); // first 200: warm-up
      if (++n >= samples + 200) return resolve();
      t0 = performance.now();
      s.write(msg);
    });
    t0 = performance.now();
    s.write(msg);
  });
  s.destroy();
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function wrk(port: number, seconds: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('wrk', ['-t1', '-c50', `-d${seconds}s`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => {
      const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
      resolve(m ? Number(m[1]) : NaN);
    });
  });
}

// ---------------------------------------------------------------- report

/** `pipe+zod`: the same bare pipe proxy in a process that loaded faultline's plan module (zod). */
type Target = 'direct' | 'faultline' | 'pipe' | 'pipe+zod' | 'haproxy';

function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  process.stdout.write(`\n${title}\n`);
  cells.forEach((r, i) => {
    process.stdout.write(`  ${r.map((c, j) => String(c).padEnd(widths[j]!)).join('  ')}\n`);
    if (i === 0) process.stdout.write(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  });
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(3);
}

const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const bulkSeconds = quick ? 0.5 : 0.6;
  const rounds = quick ? 2 : 4;
  const wrkRounds = quick ? 1 : 2;
  const wrkSeconds = quick ? 2 : 5;
  const samples = quick ? 2000 : 5000;
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  const cleanup = (): void => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const { info: direct } = await tsChild<Ports>('proxy.ts', ['--child', 'servers']);
    const ups = [direct.echo, direct.source, direct.http].map(String);
    const { info: fl, child: flChild } = await tsChild<{ ports: number[]; toxic: number }>('proxy.ts', ['--child', 'faultline', ...ups]);
    const { info: pp, child: ppChild } = await tsChild<{ ports: number[] }>('pipe-proxy.ts', ups);
    const { info: pz, child: pzChild } = await tsChild<{ ports: number[] }>('pipe-proxy.ts', [...ups, '--with-plan']);
    const asPorts = (p: number[]): Ports => ({ echo: p[0]!, source: p[1]!, http: p[2]! });
    const targets = new Map<Target, Ports>([
      ['direct', direct],
      ['faultline', asPorts(fl.ports)],
      ['pipe', asPorts(pp.ports)],
      ['pipe+zod', asPorts(pz.ports)],
    ]);
    const pids = new Map<string, number | undefined>([
      ['faultline', flChild.pid],
      ['pipe', ppChild.pid],
      ['pipe+zod', pzChild.pid],
    ]);
    if (has('haproxy')) {
      const ha = await startHaproxy(direct, dir);
      targets.set('haproxy', ha);
      pids.set('haproxy', ha.pid);
    }
    const names: Target[] = ['direct', 'faultline', 'pipe', 'pipe+zod', 'haproxy'];
    process.stdout.write(
      `faultline TCP proxy bench (node ${process.version}, ${quick ? 'quick' : 'full'}; every process on the same loopback and cores)\n`,
    );

    // (a) many short interleaved rounds, median: a noisy neighbour hurts every target alike
    const bulkRuns = new Map<string, number[]>();
    const rtRuns = new Map<string, number[]>();
    const cpuRuns = new Map<string, number[]>();
    const push = (m: Map<string, number[]>, k: string, v: number): void => void (m.get(k) ?? m.set(k, []).get(k)!).push(v);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const t of order) {
        const p = targets.get(t);
        if (p === undefined) continue;
        const b = await bulk(p.source, bulkSeconds, pids.get(t));
        push(bulkRuns, t, b.mbps);
        push(cpuRuns, t, b.cpuPerGB);
        push(rtRuns, t, await roundTrips(p.echo, 16, bulkSeconds));
      }
      const b = await bulk(fl.toxic, bulkSeconds, pids.get('faultline'));
      push(bulkRuns, 'faultline+toxic', b.mbps);
      push(cpuRuns, 'faultline+toxic', b.cpuPerGB);
    }
    const mbps = new Map([...bulkRuns].map(([k, v]) => [k, median(v)]));
    const cpuPerGB = new Map([...cpuRuns].map(([k, v]) => [k, median(v)]));
    const rts = new Map([...rtRuns].map(([k, v]) => [k, median(v)]));
    table(
      `(a) TCP bulk (upstream -> client) and 64-byte round trips (16 connections), ${bulkSeconds} s each, median of ${rounds} interleaved rounds`,
      ['target', 'MB/s', 'vs direct', 'vs pipe', 'proxy CPU ms/GB', 'round trips/s', 'vs direct', 'vs pipe'],
      [...names, 'faultline+toxic' as const].map((t) => [
        t === 'faultline+toxic' ? 'faultline (latency 0 toxic)' : t,
        mbps.get(t) ?? NaN,
        ratio(mbps.get(t), mbps.get('direct')),
        ratio(mbps.get(t), mbps.get('pipe')),
        t === 'direct' ? '' : (cpuPerGB.get(t) ?? NaN),
        t === 'faultline+toxic' ? '' : (rts.get(t) ?? NaN),
        t === 'faultline+toxic' ? '' : ratio(rts.get(t), rts.get('direct')),
        t === 'faultline+toxic' ? '' : ratio(rts.get(t), rts.get('pipe')),
      ]),
    );

    // (d)
    const wrkRuns = new Map<string, number[]>();
    const wrkCpu = new Map<string, number[]>();
    for (let round = 0; round < wrkRounds && has('wrk'); round++) {
      for (const t of round % 2 === 0 ? names : [...names].reverse()) {
        const p = targets.get(t);
        if (p === undefined) continue;
        const cpu0 = cpuMs(pids.get(t));
        const r = await wrk(p.http, wrkSeconds);
        push(wrkRuns, t, r);
        push(wrkCpu, t, ((cpuMs(pids.get(t)) - cpu0) * 1000) / (r * wrkSeconds));
      }
    }
    const rps = new Map([...wrkRuns].map(([k, v]) => [k, median(v)]));
    const cpuPerReq = new Map([...wrkCpu].map(([k, v]) => [k, median(v)]));
    table(
      `(d) small HTTP requests through the TCP proxy: wrk -t1 -c50 -d${wrkSeconds}s, median of ${wrkRounds}${has('wrk') ? '' : ' (wrk not installed)'}`,
      ['target', 'requests/s', 'vs direct', 'vs pipe', 'proxy CPU us/req'],
      names.map((t) => [
        t,
        rps.get(t) ?? NaN,
        ratio(rps.get(t), rps.get('direct')),
        ratio(rps.get(t), rps.get('pipe')),
        t === 'direct' ? '' : (cpuPerReq.get(t) ?? NaN),
      ]),
    );

    // (e)
    const lat = new Map<string, number[]>();
    for (const t of names) {
      const p = targets.get(t);
      if (p !== undefined) lat.set(t, (await echoLatency(p.echo, samples)).sort((x, y) => x - y));
    }
    const base = lat.get('direct') ?? [];
    table(
      `(e) 64-byte echo round trip, ${samples} samples, no toxics (ms; added = minus direct)`,
      ['target', 'p50', 'p99', 'added p50', 'added p99'],
      names.map((t) => {
        const s = lat.get(t);
        if (s === undefined) return [t, NaN, NaN, NaN, NaN];
        return [t, percentile(s, 50), percentile(s, 99), percentile(s, 50) - percentile(base, 50), percentile(s, 99) - percentile(base, 99)];
      }),
    );
    process.stdout.write(
      `\nproxy CPU ms/GB: CPU time the proxy process used per GB it moved (robust to noisy neighbours; lower is better).` +
        `\npipe+zod: bench/pipe-proxy.ts after importing src/plan (zod), the runtime every faultline process has.` +
        `\ntargets: faultline >= 0.9x pipe in (a) and (d); added p50 < 0.2 ms. ` +
        `faultline/pipe: bulk ${ratio(mbps.get('faultline'), mbps.get('pipe'))} (CPU per GB ${ratio(cpuPerGB.get('faultline'), cpuPerGB.get('pipe'))}; ` +
        `vs pipe+zod: bulk ${ratio(mbps.get('faultline'), mbps.get('pipe+zod'))}, CPU per GB ${ratio(cpuPerGB.get('faultline'), cpuPerGB.get('pipe+zod'))}), round trips ${ratio(rts.get('faultline'), rts.get('pipe'))}, ` +
        `wrk ${ratio(rps.get('faultline'), rps.get('pipe'))} (CPU per request ${ratio(cpuPerReq.get('faultline'), cpuPerReq.get('pipe'))}); added p50 ${fmt(percentile(lat.get('faultline') ?? [], 50) - percentile(base, 50))} ms\n`,
    );
  } finally {
    cleanup();
  }

  const httpBench = join(here, '_proxy-http.ts');
  if (existsSync(httpBench)) {
    const mod = (await import(pathToFileURL(httpBench).href)) as { main?: (a: string[]) => Promise<void> };
    if (typeof mod.main === 'function') await mod.main(args);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child') {
  const [role, ...rest] = process.argv.slice(3);
  if (role === 'servers') await runServers();
  else if (role === 'faultline') await runFaultline(rest.map(Number));
  else throw new Error(`unknown child role ${role}`);
}
