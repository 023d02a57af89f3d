/**
 * `npm run bench -- executor [--tries N]`: how fast a fault takes effect and goes away.
 *
 *   (1) apply → effective: from `POST /v1/faults/apply` returning to the first probe through the
 *       proxy that sees the fault (an HTTP abort rule, 503);
 *   (2) DELETE → clean: from `DELETE /v1/faults/:id` returning to the first clean probe (200).
 *
 *   (3) halt with 100 active faults across doors (40 v1 HTTP rules, 20 v1 TCP toxics, 20
 *       Toxiproxy-API toxics, 10 policies, 10 drill-sourced rules): the POST /v1/halt round trip
 *       and the executor's own `revert_ms`, p50/p99 over `--halt-rounds` rounds (default 20).
 *
 * (1) and (2) include one probe round trip, so the floor is printed beside them, and how often the very
 * first probe after the answer already saw the change (then the change took effect before the
 * answer left, and the time is all probe round trip): a probe through the
 * clean proxy, and a probe straight to the upstream. Two executors side by side in one run: a
 * real `faultline serve` child (the daemon) and the same executor embedded in this process.
 *
 *   this process ──probe──▶ HTTP proxy (in the executor) ──▶ upstream (this process)
 *        └───────API──────▶ executor
 */
import { createServer, type Server } from 'node:http';
import { Pool } from 'undici';
import pino from 'pino';
import { startExecutor } from '../src/executor/index.js';
import { startDaemon } from '../test/helpers/daemon.js';

interface Target {
  readonly label: string;
  readonly api: string;
  readonly proxy: string;
  /** A TCP proxy to the same upstream. */
  readonly tcp: string;
  close(): Promise<void>;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: number[]): { p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1] ?? NaN };
}

async function probe(pool: Pool): Promise<number> {
  const res = await pool.request({ method: 'GET', path: '/' });
  await res.body.dump();
  return res.statusCode;
}

/** Probes until `want`; returns the time and how many probes it took (1 = the first probe already saw it). */
async function untilStatus(pool: Pool, want: number, limitMs = 2000): Promise<{ ms: number; probes: number }> {
  const t0 = performance.now();
  for (let probes = 1; ; probes++) {
    if ((await probe(pool)) === want) return { ms: performance.now() - t0, probes };
    if (performance.now() - t0 > limitMs) throw new Error(`no ${want} within ${limitMs} ms`);
  }
}

async function measure(target: Target, upstreamPort: number, tries: number): Promise<Record<string, number[]>> {
  const api = new Pool(target.api, { connections: 1, pipelining: 1 });
  const proxy = new Pool(`http://${target.proxy}`, { connections: 1, pipelining: 1 });
  const direct = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 1, pipelining: 1 });
  const out: Record<string, number[]> = { apply_call: [], apply_effective: [], delete_call: [], delete_clean: [], probe_proxy: [], probe_direct: [], apply_probes: [], delete_probes: [] };
  const plan = JSON.stringify({ service: 'web', fault_type: 'abort', fault_config: { http_status: 503 }, duration_seconds: 60 });
  // Warm up connections and JIT.
  for (let i = 0; i < 20; i++) {
    await probe(proxy);
    await probe(direct);
  }
  for (let i = 0; i < tries; i++) {
    let t = performance.now();
    await probe(proxy);
    out.probe_proxy!.push(performance.now() - t);
    t = performance.now();
    await probe(direct);
    out.probe_direct!.push(performance.now() - t);

    t = performance.now();
    const res = await api.request({ method: 'POST', path: '/v1/faults/apply', body: plan, headers: { 'content-type': 'application/json' } });
    const { apply_id: id } = (await res.body.json()) as { apply_id: string };
    out.apply_call!.push(performance.now() - t);
    const on = await untilStatus(proxy, 503);
    out.apply_effective!.push(on.ms);
    out.apply_probes!.push(on.probes);

    t = performance.now();
    const del = await api.request({ method: 'DELETE', path: `/v1/faults/${id}` });
    await del.body.dump();
    out.delete_call!.push(performance.now() - t);
    const off = await untilStatus(proxy, 200);
    out.delete_clean!.push(off.ms);
    out.delete_probes!.push(off.probes);
  }
  await Promise.all([api.close(), proxy.close(), direct.close()]);
  return out;
}

const proxiesConfig = (upstreamPort: number) => [
  { name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, protocol: 'http' },
  { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, protocol: 'tcp' },
];

async function daemonTarget(upstreamPort: number): Promise<Target> {
  const d = await startDaemon({ config: { proxies: proxiesConfig(upstreamPort) }, env: { FAULTLINE_LOG_LEVEL: 'error' } });
  const listen = async (name: string): Promise<string> => ((await (await fetch(`${d.url}/v1/proxies/${name}`)).json()) as { listen: string }).listen;
  return { label: 'faultline serve (child)', api: d.url, proxy: await listen('web'), tcp: await listen('db'), close: async () => void (await d.stop()) };
}

async function embeddedTarget(upstreamPort: number): Promise<Target> {
  const ex = await startExecutor({
    listen: '127.0.0.1:0',
    statePath: ':memory:',
    logger: pino({ level: 'error' }),
    config: { proxies: proxiesConfig(upstreamPort) },
  });
  return { label: 'startExecutor (embedded)', api: ex.url, proxy: ex.proxies.require('web').listen, tcp: ex.proxies.require('db').listen, close: () => ex.close() };
}

/** Opens 100 faults across doors, halts, and checks nothing is left; returns the halt's timings. */
async function haltRounds(target: Target, rounds: number): Promise<{ halt_call: number[]; revert_ms: number[] }> {
  const api = new Pool(target.api, { connections: 8 });
  const send = async (method: 'POST' | 'DELETE', path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> => {
    const res = await api.request({ method, path, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
    const text = await res.body.text();
    return { status: res.statusCode, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };
  const out = { halt_call: [] as number[], revert_ms: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const opens: Array<Promise<{ status: number; body: unknown }>> = [];
    for (let i = 0; i < 40; i++) opens.push(send('POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', api: `/v1-${i}`, duration_seconds: 60 }));
    for (let i = 0; i < 20; i++) opens.push(send('POST', '/v1/faults/apply', { service: 'db', fault_type: 'latency', fault_config: { latency: 1 }, percentage: 0, duration_seconds: 60 }));
    for (let i = 0; i < 20; i++) opens.push(send('POST', '/proxies/db/toxics', { name: `tp-${i}`, type: 'latency', toxicity: 0, attributes: { latency: 1 } }));
    for (let i = 0; i < 10; i++) opens.push(send('POST', '/v1/policies', { id: `p-${i}`, service: 'web', fault_type: 'abort', api: `/p-${i}`, duration_seconds: 60 }));
    for (let i = 0; i < 10; i++) {
      opens.push(send('POST', '/v1/faults/apply', { service: 'web', fault_type: 'delay', api: `/d-${i}`, fault_config: { delay_ms: 1000 }, duration_seconds: 60 }, { 'x-faultline-source': 'drill' }));
    }
    const answers = await Promise.all(opens);
    const bad = answers.filter((a) => a.status >= 300);
    if (bad.length > 0) throw new Error(`${bad.length} faults were not opened: ${JSON.stringify(bad[0])}`);
    const t0 = performance.now();
    const h = await send('POST', '/v1/halt', {});
    out.halt_call.push(performance.now() - t0);
    const body = h.body as { cancelled: number; revert_ms: number };
    if (body.cancelled !== 100) throw new Error(`halt cancelled ${body.cancelled}, not 100`);
    out.revert_ms.push(body.revert_ms);
    const health = (await (await api.request({ method: 'GET', path: '/v1/health' })).body.json()) as { active_faults: number };
    if (health.active_faults !== 0) throw new Error(`${health.active_faults} faults left after halt`);
  }
  await api.close();
  return out;
}

/** Runs the benchmark and prints the table. */
export async function main(args: string[]): Promise<void> {
  const i = args.indexOf('--tries');
  const tries = i >= 0 ? Number(args[i + 1]) : 200;
  const h = args.indexOf('--halt-rounds');
  const rounds = h >= 0 ? Number(args[h + 1]) : 20;
  const upstream: Server = createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamPort = (upstream.address() as { port: number }).port;

  const rows: Array<[string, Record<string, number[]>]> = [];
  for (const make of [daemonTarget, embeddedTarget]) {
    const target = await make(upstreamPort);
    try {
      rows.push([target.label, { ...(await measure(target, upstreamPort, tries)), ...(await haltRounds(target, rounds)) }]);
    } finally {
      await target.close();
    }
  }
  upstream.close();

  const f = (n: number): string => n.toFixed(2).padStart(7);
  const metrics: Array<[string, string]> = [
    ['apply_effective', 'POST apply returned -> fault seen on data path'],
    ['delete_clean', 'DELETE returned -> clean traffic'],
    ['halt_call', 'halt, 100 faults across doors: round trip'],
    ['revert_ms', 'halt, 100 faults: revert inside the executor'],
    ['apply_call', 'POST /v1/faults/apply round trip'],
    ['delete_call', 'DELETE /v1/faults/:id round trip'],
    ['probe_proxy', 'floor: one probe through the clean proxy'],
    ['probe_direct', 'floor: one probe straight to the upstream'],
  ];
  process.stdout.write(`\nexecutor: ${tries} tries each, ${rounds} halt rounds, ms (target: apply->effective and DELETE->clean p99 < 5 ms)\n\n`);
  const header = `${'measure'.padEnd(50)}${rows.map(([l]) => `| ${l.padEnd(30)}`).join('')}\n${' '.repeat(50)}${rows.map(() => `| ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}       `).join('')}\n`;
  process.stdout.write(header);
  for (const [key, label] of metrics) {
    let line = label.padEnd(50);
    for (const [, data] of rows) {
      const s = summary(data[key]!);
      line += `| ${f(s.p50)} ${f(s.p99)} ${f(s.max)}       `;
    }
    process.stdout.write(`${line}\n`);
  }
  for (const [label, d] of rows) {
    const first = (k: string): number => d[k]!.filter((n) => n === 1).length;
    process.stdout.write(`${label}: first probe after the answer already faulted ${first('apply_probes')}/${tries}, already clean ${first('delete_probes')}/${tries}\n`);
  }
  const ok = rows.every(([, d]) => summary(d.apply_effective!).p99 < 5 && summary(d.delete_clean!).p99 < 5);
  process.stdout.write(`\n${ok ? 'PASS' : 'MISS'}: p99 of apply->effective and DELETE->clean ${ok ? '<' : 'not all <'} 5 ms\n`);
}
