/**
 * `npm run bench -- load [--connections N] [--duration S] [--rounds R]`: the drill load generator's
 * sustainable request rate against a trivial node:http server, side by side with autocannon at
 * the same concurrency, in one run.
 *
 *   this process (autocannon | faultline LoadGenerator) ──▶ child process: node:http "ok"
 *
 * Rows:
 *   - autocannon, N connections (closed loop, its own HTTP parser over raw sockets)
 *   - faultline closed loop, N workers (every request recorded: per-second buckets + HDR)
 *   - faultline open model at fixed arrival rates (a share of autocannon's rate): the achieved
 *     rate and p99 show where the open model saturates (latency counts from the scheduled time).
 * Closed-loop figures are the medians of interleaved rounds (shared, noisy machines).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { LoadGenerator } from '../src/drill/load/index.js';

const require = createRequire(import.meta.url);

interface Row {
  tool: string;
  mode: string;
  conns: number;
  target: string;
  rps: number;
  p50: number;
  p99: number;
  recorded: string;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  duration: number;
}

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
}

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const src = `
    const http = require('node:http');
    const s = http.createServer((req, res) => { req.resume(); res.setHeader('content-type','text/plain'); res.end('ok'); });
    s.keepAliveTimeout = 60000;
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function runAutocannon(url: string, connections: number, durationS: number): Promise<Row> {
  const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;
  const r = await autocannon({ url, connections, duration: durationS, pipelining: 1 });
  return {
    tool: 'autocannon',
    mode: 'closed loop',
    conns: connections,
    target: '-',
    rps: Math.round(r.requests.total / durationS),
    p50: r.latency.p50,
    p99: r.latency.p99,
    recorded: 'sampled histogram',
  };
}

async function runOurs(url: string, connections: number, durationS: number, openRate?: number): Promise<Row> {
  const gen = new LoadGenerator({
    streams: [{ name: 'bench', ratePerS: openRate ?? 1, templates: [{ name: 'bench', weight: 1, url: `${url}/`, method: 'GET', ack: false }] }],
    durationS,
    timeoutMs: 10_000,
    connections,
    ...(openRate === undefined ? { closedLoopConcurrency: connections } : {}),
  });
  const t0 = performance.now();
  gen.start();
  await gen.done;
  // Achieved rate: completions over the time until the last one (a saturated open model finishes late).
  const elapsedS = (performance.now() - t0) / 1000;
  await gen.close();
  const s = gen.summary();
  const recordedAll = s.completed === s.sent && s.timeline.reduce((a, b) => a + b.ok + b.errors, 0) === s.completed;
  return {
    tool: 'faultline',
    mode: openRate === undefined ? 'closed loop' : 'open model',
    conns: connections,
    target: openRate === undefined ? '-' : `${openRate}/s`,
    rps: Math.round(s.completed / elapsedS),
    p50: s.latencyMs.p50,
    p99: s.latencyMs.p99,
    recorded: recordedAll ? `every request (${s.completed})` : `MISSING ${s.sent - s.completed}`,
  };
}

function median(rows: Row[]): Row {
  const sorted = [...rows].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function table(rows: Row[], base: number): string {
  const head = ['tool', 'mode', 'conns', 'target', 'req/s', 'vs autocannon', 'p50 ms', 'p99 ms', 'recorded'];
  const body = rows.map((r) => [r.tool, r.mode, String(r.conns), r.target, String(r.rps), `${(r.rps / base).toFixed(2)}x`, r.p50.toFixed(2), r.p99.toFixed(2), r.recorded]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Entry point for `npm run bench -- load`. */
export async function main(args: string[]): Promise<void> {
  const connections = arg(args, '--connections', 50);
  const durationS = arg(args, '--duration', 3);
  const rounds = arg(args, '--rounds', 4);
  const { url, child } = await startServer();
  try {
    // Warm up both clients and the server's JIT.
    await runAutocannon(url, connections, 1);
    await runOurs(url, connections, 1);
    // Short interleaved rounds, compared by their medians: the machine's noise hits both alike.
    const ac: Row[] = [];
    const ours: Row[] = [];
    for (let round = 0; round < rounds; round++) {
      const acFirst = round % 2 === 0;
      if (acFirst) ac.push(await runAutocannon(url, connections, durationS));
      ours.push(await runOurs(url, connections, durationS));
      if (!acFirst) ac.push(await runAutocannon(url, connections, durationS));
    }
    const bestAc = median(ac);
    const bestOurs = median(ours);
    const open: Row[] = [];
    for (const share of [0.5, 1.0, 1.5]) {
      open.push(await runOurs(url, Math.max(connections, 256), durationS, Math.round(bestAc.rps * share)));
    }
    process.stdout.write(`\nload generator vs autocannon: GET ${url}/ ("ok"), server in its own process, ${durationS} s per run, Node ${process.version}\n\n`);
    process.stdout.write(`${table([bestAc, bestOurs, ...open], bestAc.rps)}\n\n`);
    process.stdout.write(`closed-loop ratio faultline/autocannon (medians of ${rounds} interleaved rounds): ${(bestOurs.rps / bestAc.rps).toFixed(2)} (target >= 0.80)\n`);
    process.stdout.write(`rounds: autocannon ${ac.map((r) => r.rps).join(', ')}; faultline ${ours.map((r) => r.rps).join(', ')} req/s\n`);
  } finally {
    child.kill('SIGKILL');
  }
}
