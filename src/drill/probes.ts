/**
 * Probes (steady state, verify, method `probe` steps) and preflight checks. Each one answers
 * with a result, never throws: a broken probe is a failed probe with a message.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, statfs } from 'node:fs/promises';
import { connect } from 'node:net';
import { request } from 'undici';
import { sleep } from '../common/index.js';
import type { CheckResult, PhaseName, ProbeResult } from './journal.js';
import type { LoadGenerator, WindowStats } from './load/index.js';
import { METRIC_RE, type PreflightCheck, type Probe } from './spec.js';
import { renderActivity, type TemplateContext } from './template.js';

/** The executor calls probes and actions need (HttpExecutorClient has them all). */
export interface DrillExecutorClient {
  apply(plan: never): Promise<{ applyId: string; status: string }>;
  status(applyId: string): Promise<{ status: string; startTime: string | null; endTime: string | null; errorMsg: string | null }>;
  metrics(applyId: string): Promise<unknown>;
  cancel(applyId: string): Promise<void>;
  halt(): Promise<void>;
  checkHealth(): Promise<boolean>;
  listProcesses(): Promise<Record<string, unknown>[]>;
  getProcess(name: string): Promise<Record<string, unknown>>;
  killProcess(name: string, signal?: string): Promise<Record<string, unknown>>;
  pauseProcess(name: string, durationMs: number): Promise<Record<string, unknown>>;
  restartProcess(name: string): Promise<Record<string, unknown>>;
  call<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** What probes can reach. */
export interface ProbeEnv {
  readonly ctx: () => TemplateContext;
  readonly client?: DrillExecutorClient | undefined;
  readonly load?: LoadGenerator | undefined;
  /** Phase windows in seconds of the load (for `metric` probes with `window: <phase>`). */
  readonly phaseWindow?: (phase: PhaseName) => { fromS: number; toS: number } | undefined;
  /** The window of a `metric` probe that names none (the runner's current phase); default the whole load. */
  readonly defaultWindow?: (() => { fromS: number; toS: number } | undefined) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A probe's result plus the value to keep under its `output` name. */
export interface ProbeOutcome extends ProbeResult {
  readonly output: unknown;
}

const now = () => new Date().toISOString();
const errMsg = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Reads `a.b.0.c` inside a value. */
export function pathValue(value: unknown, path: string | undefined): unknown {
  if (path === undefined || path === '') return value;
  let v = value;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = Array.isArray(v) && /^\d+$/.test(key) ? v[Number(key)] : (v as Record<string, unknown>)[key];
  }
  return v;
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' || typeof b === 'number') {
    const na = Number(a);
    const nb = Number(b);
    if (a !== null && b !== null && a !== '' && b !== '' && !Number.isNaN(na) && na === nb) return true;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Expectation {
  path?: string | undefined;
  equals?: unknown;
  notEquals?: unknown;
  in?: unknown[] | undefined;
  min?: number | undefined;
  max?: number | undefined;
  contains?: string | undefined;
}

/** Checks expectations; returns the failures (empty when all hold). */
export function checkExpectations(value: unknown, expectations: readonly Expectation[] | undefined): string[] {
  const failures: string[] = [];
  for (const e of expectations ?? []) {
    const v = pathValue(value, e.path);
    const where = e.path ? `${e.path} = ${JSON.stringify(v)}` : `value ${JSON.stringify(v)}`;
    if ('equals' in e && !looseEqual(v, e.equals)) failures.push(`${where}, expected ${JSON.stringify(e.equals)}`);
    if ('notEquals' in e && looseEqual(v, e.notEquals)) failures.push(`${where}, expected anything but ${JSON.stringify(e.notEquals)}`);
    if (e.in !== undefined && !e.in.some((x) => looseEqual(v, x))) failures.push(`${where}, expected one of ${JSON.stringify(e.in)}`);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (e.min !== undefined && !(n >= e.min)) failures.push(`${where}, expected >= ${e.min}`);
    if (e.max !== undefined && !(n <= e.max)) failures.push(`${where}, expected <= ${e.max}`);
    if (e.contains !== undefined && !(typeof v === 'string' ? v : JSON.stringify(v) ?? '').includes(e.contains)) failures.push(`${where}, expected to contain ${JSON.stringify(e.contains)}`);
  }
  return failures;
}

/** The value of a load metric over a window. */
export function metricValue(metric: string, w: WindowStats): number {
  switch (metric) {
    case 'error_rate':
      return w.errorRate;
    case 'latency_p50_ms':
      return w.latencyMs.p50;
    case 'latency_p95_ms':
      return w.latencyMs.p95;
    case 'latency_p99_ms':
      return w.latencyMs.p99;
    case 'latency_max_ms':
      return w.latencyMs.max;
    case 'latency_mean_ms':
      return w.latencyMs.mean;
    case 'rate_per_s':
      return w.ratePerS;
    case 'requests':
      return w.requests;
    case 'errors':
      return w.errors;
    case 'timeouts':
      return w.timeouts;
  }
  const exact = /^status_(\d{3})$/.exec(metric);
  if (exact) return w.statusCounts[exact[1]!] ?? 0;
  const klass = /^status_(\d)xx$/.exec(metric);
  if (klass) return Object.entries(w.statusCounts).reduce((a, [k, v]) => (k.startsWith(klass[1]!) ? a + v : a), 0);
  throw new Error(`unknown metric '${metric}'`);
}

/** `a op b`. */
export function compare(a: number, op: string, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default:
      return false;
  }
}

/** Parses `error_rate <= 0.01`. */
export function parseMetricExpr(expr: string): { metric: string; op: string; threshold: number } {
  const m = METRIC_RE.exec(expr);
  if (!m) throw new Error(`not a metric expression: ${expr}`);
  return { metric: m[1]!, op: m[2]!, threshold: Number(m[3]) };
}

/** An HTTP call with a timeout; the body is parsed as JSON when it is JSON. */
export async function httpCall(
  spec: { url: string; method: string; headers?: Record<string, string> | undefined; body?: unknown; timeoutMs: number },
  signal?: AbortSignal,
): Promise<{ status: number; headers: Record<string, string>; body: unknown; latencyMs: number }> {
  const started = performance.now();
  const headers: Record<string, string> = { ...spec.headers };
  let body: string | undefined;
  if (spec.body !== undefined) {
    if (typeof spec.body === 'string') body = spec.body;
    else {
      body = JSON.stringify(spec.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${spec.timeoutMs} ms`)), spec.timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let res: Awaited<ReturnType<typeof request>>;
  let text: string;
  try {
    res = await request(spec.url, {
      method: spec.method as 'GET',
      headers,
      body: body ?? null,
      signal: controller.signal,
      headersTimeout: spec.timeoutMs,
      bodyTimeout: spec.timeoutMs,
    });
    text = await res.body.text();
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  let parsed: unknown = text;
  if (text !== '') {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = text.length > 4096 ? `${text.slice(0, 4096)}…` : text;
    }
  }
  const outHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) outHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { status: res.statusCode, headers: outHeaders, body: parsed, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
}

/** Runs a command (`string` through the shell, a list without); captures bounded stdout/stderr. */
export async function runCommand(
  spec: { run: string | readonly string[]; cwd?: string | undefined; env?: Record<string, string> | undefined; timeoutMs: number },
  signal?: AbortSignal,
): Promise<{ exitCode: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }> {
  const [cmd, ...args] = typeof spec.run === 'string' ? [spec.run] : spec.run;
  const child = spawn(cmd ?? 'true', args, {
    shell: typeof spec.run === 'string',
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cap = 1 << 20;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    if (stdout.length < cap) stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr = (stderr + c).slice(-16_384);
  });
  let timedOut = false;
  const kill = () => child.kill('SIGKILL');
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, spec.timeoutMs);
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const [code, sig] = await new Promise<[number | null, string | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    });
    return { exitCode: code, signal: sig, stdout, stderr, timedOut };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', kill);
  }
}

/** Runs a SQL query on PostgreSQL or SQLite; rows as plain objects. */
export async function runSql(spec: { driver: 'postgres' | 'sqlite'; url?: string | undefined; path?: string | undefined; query: string; params?: unknown[] | undefined }): Promise<{ rows: Record<string, unknown>[] }> {
  if (spec.driver === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(spec.path ?? '', { fileMustExist: true, timeout: 5000 });
    try {
      const stmt = db.prepare(spec.query);
      if (stmt.reader) return { rows: stmt.all(...((spec.params ?? []) as unknown[])) as Record<string, unknown>[] };
      const info = stmt.run(...((spec.params ?? []) as unknown[]));
      return { rows: [{ changes: info.changes }] };
    } finally {
      db.close();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: spec.url, connectionTimeoutMillis: 5000, statement_timeout: 30_000 });
  await client.connect();
  try {
    const res = await client.query(spec.query, (spec.params ?? []) as unknown[]);
    return { rows: res.rows as Record<string, unknown>[] };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sqlValue(rows: Record<string, unknown>[], mode: 'scalar' | 'row' | 'rows'): unknown {
  if (mode === 'rows') return rows;
  const first = rows[0];
  if (mode === 'row') return first ?? null;
  if (!first) return null;
  const v = Object.values(first)[0];
  // pg returns bigint counts as strings: a count is a number to compare.
  return typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : (v ?? null);
}

function probeName(p: { name?: string | undefined; kind: string }, fallback: string): string {
  return p.name ?? fallback;
}

/** Reads a supervised process's state from the executor (snake_case view). */
export function processOk(view: Record<string, unknown>, healthy: boolean): { ok: boolean; message: string } {
  const state = (view.state as { kind?: string } | undefined)?.kind ?? 'unknown';
  const health = String(view.health ?? 'unknown');
  const running = state === 'running' && view.paused !== true;
  const ok = running && (!healthy || health === 'healthy');
  return { ok, message: `state ${state}, health ${health}${view.paused === true ? ', paused' : ''}, pid ${String(view.pid ?? '-')}, restarts ${String(view.restart_count ?? 0)}` };
}

/**
 * Runs one probe. Never throws: errors become a failed result.
 * @param fallbackName the name used when the probe has none (e.g. `steady_state[0]`)
 */
export async function runProbe(probe: Probe, env: ProbeEnv, fallbackName: string): Promise<ProbeOutcome> {
  const started = performance.now();
  const at = now();
  const name = probeName(probe, fallbackName);
  const done = (ok: boolean, value: unknown, expected: unknown, message: string, output: unknown = value): ProbeOutcome => ({
    name,
    kind: probe.kind,
    ok,
    value: value ?? null,
    expected: expected ?? null,
    message,
    at,
    durationMs: Math.round(performance.now() - started),
    output: output ?? null,
  });
  try {
    const p = (probe.kind === 'metric' ? probe : renderActivity(probe, env.ctx())) as Probe;
    switch (p.kind) {
      case 'http': {
        const res = await httpCall(p, env.signal);
        const okStatus = p.status ? p.status.includes(res.status) : res.status >= 200 && res.status < 300;
        const failures = checkExpectations(res.body, p.expect);
        const expected = { status: p.status ?? '2xx', ...(p.expect ? { expect: p.expect } : {}) };
        const ok = okStatus && failures.length === 0;
        const msg = ok ? `${p.method} ${p.url} -> ${res.status}` : [!okStatus ? `${p.method} ${p.url} -> ${res.status}, expected ${JSON.stringify(p.status ?? '2xx')}` : '', ...failures].filter(Boolean).join('; ');
        return done(ok, res.status, expected, msg, { status: res.status, headers: res.headers, body: res.body, latency_ms: res.latencyMs });
      }
      case 'metric': {
        const load = env.load;
        if (!load) return done(false, null, p.metric, 'no load is running');
        const { metric, op, threshold } = parseMetricExpr(p.metric);
        const elapsed = load.elapsedS();
        let fromS = 0;
        let toS = elapsed + 1;
        if (p.windowS !== undefined) fromS = Math.max(0, elapsed - p.windowS);
        else if (p.window !== undefined && p.window !== 'all') {
          const w = env.phaseWindow?.(p.window);
          if (!w) return done(false, null, p.metric, `phase ${p.window} has not run`);
          fromS = w.fromS;
          toS = w.toS;
        } else if (p.window === undefined) {
          const w = env.defaultWindow?.();
          if (w) {
            fromS = w.fromS;
            toS = w.toS;
          }
        }
        const w = load.window(fromS, toS, p.stream);
        if (w.requests < p.minRequests) return done(false, null, p.metric, `${w.requests} requests completed in the window (fewer than ${p.minRequests}): no data`);
        const value = metricValue(metric, w);
        const ok = compare(value, op, threshold);
        const rounded = Math.round(value * 10_000) / 10_000;
        return done(ok, rounded, p.metric, `${metric} = ${rounded} over ${w.requests} requests (${fromS.toFixed(0)}-${Math.min(toS, elapsed).toFixed(0)} s)${ok ? '' : `, expected ${op} ${threshold}`}`, {
          value: rounded,
          requests: w.requests,
          errors: w.errors,
          status_counts: w.statusCounts,
          latency_ms: w.latencyMs,
        });
      }
      case 'sql': {
        const { rows } = await runSql(p);
        const value = sqlValue(rows, p.value);
        const failures = checkExpectations(value, p.expect);
        return done(failures.length === 0, value, p.expect ?? null, failures.length === 0 ? `${JSON.stringify(value)?.slice(0, 200)}` : failures.join('; '));
      }
      case 'process': {
        if (!env.client) return done(false, null, 'running', 'no executor to ask');
        const view = await env.client.getProcess(p.process);
        const r = processOk(view, p.healthy);
        return done(r.ok, { state: (view.state as { kind?: string } | undefined)?.kind, health: view.health, pid: view.pid, restart_count: view.restart_count }, p.healthy ? 'healthy' : 'running', `${p.process}: ${r.message}`);
      }
      case 'command': {
        const res = await runCommand(p, env.signal);
        let value: unknown = res.stdout.trim();
        if (p.json) {
          try {
            value = JSON.parse(res.stdout) as unknown;
          } catch {
            return done(false, value, p.expect ?? null, `stdout is not JSON: ${String(value).slice(0, 200)}`);
          }
        }
        const codeOk = res.exitCode === p.exitCode && !res.timedOut;
        const failures = checkExpectations(value, p.expect);
        const msg = codeOk
          ? failures.join('; ') || `exit ${res.exitCode}`
          : `${res.timedOut ? `timed out after ${p.timeoutMs} ms` : `exit ${res.exitCode ?? res.signal}, expected ${p.exitCode}`}${res.stderr ? `: ${res.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`;
        return done(codeOk && failures.length === 0, value, { exit_code: p.exitCode, ...(p.expect ? { expect: p.expect } : {}) }, msg);
      }
    }
  } catch (err) {
    return done(false, null, null, `probe error: ${errMsg(err)}`);
  }
}

async function portOpen(host: string, port: number, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.end();
      resolve();
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function findProcessByName(name: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const comm = (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim();
    if (comm === name) return pid;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    if (cmdline.includes(name) && !cmdline.includes('faultline')) return pid;
  }
  return undefined;
}

async function checkOnce(c: PreflightCheck, env: ProbeEnv): Promise<string> {
  switch (c.kind) {
    case 'process': {
      if (c.process !== undefined) {
        if (!env.client) throw new Error('no executor to ask');
        const r = processOk(await env.client.getProcess(c.process), c.healthy);
        if (!r.ok) throw new Error(`${c.process}: ${r.message}`);
        return `${c.process}: ${r.message}`;
      }
      if (c.pidFile !== undefined) {
        const pid = Number((await readFile(c.pidFile, 'utf8')).trim());
        if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${c.pidFile} holds no pid`);
        process.kill(pid, 0);
        return `pid ${pid} from ${c.pidFile} is alive`;
      }
      const pid = await findProcessByName(c.processName ?? '');
      if (pid === undefined) throw new Error(`no process named '${c.processName}'`);
      return `'${c.processName}' runs as pid ${pid}`;
    }
    case 'port': {
      const port = Number(c.port);
      await portOpen(c.host, port, c.timeoutMs);
      return `${c.host}:${port} accepts connections`;
    }
    case 'http': {
      const res = await httpCall({ url: c.url, method: c.method, headers: c.headers, timeoutMs: c.timeoutMs }, env.signal);
      if (!c.status.includes(res.status)) throw new Error(`${c.method} ${c.url} -> ${res.status}, expected ${c.status.join(' or ')}`);
      return `${c.method} ${c.url} -> ${res.status}`;
    }
    case 'disk': {
      const s = await statfs(c.path);
      const freeMb = Math.floor((s.bavail * s.bsize) / (1024 * 1024));
      if (freeMb < c.minFreeMb) throw new Error(`${freeMb} MB free at ${c.path}, need ${c.minFreeMb} MB`);
      return `${freeMb} MB free at ${c.path}`;
    }
    case 'sqlite': {
      if (!existsSync(c.path)) throw new Error(`${c.path} does not exist`);
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(c.path, { fileMustExist: true, readonly: true, timeout: 5000 });
      try {
        const integrity = db.pragma('integrity_check', { simple: true });
        if (integrity !== 'ok') throw new Error(`integrity_check: ${String(integrity)}`);
        const mode = String(db.pragma('journal_mode', { simple: true }));
        if (c.requireWal && mode !== 'wal') throw new Error(`journal_mode is ${mode}, expected wal`);
        return `${c.path}: integrity ok, journal_mode ${mode}`;
      } finally {
        db.close();
      }
    }
    case 'postgres': {
      const { rows } = await runSql({ driver: 'postgres', url: c.url, query: c.query });
      return `connected; ${c.query} -> ${JSON.stringify(rows[0] ?? null)?.slice(0, 100)}`;
    }
    case 'command': {
      const res = await runCommand(c, env.signal);
      if (res.timedOut) throw new Error(`timed out after ${c.timeoutMs} ms`);
      if (res.exitCode !== c.exitCode) throw new Error(`exit ${res.exitCode ?? res.signal}, expected ${c.exitCode}${res.stderr ? `: ${res.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`);
      return `exit ${res.exitCode}`;
    }
  }
}


/**
 * Runs one preflight check; with `waitS` it retries until it passes or the time is up (a
 * service the executor just started needs a moment). Never throws.
 */
export async function runCheck(check: PreflightCheck, env: ProbeEnv, fallbackName: string): Promise<CheckResult> {
  const started = performance.now();
  const name = check.name ?? fallbackName;
  const deadline = started + (check.waitS ?? 0) * 1000;
  let last = '';
  for (;;) {
    try {
      const rendered = renderActivity(check, env.ctx());
      const message = await checkOnce(rendered, env);
      return { name, kind: check.kind, ok: true, message, guidance: check.guidance ?? null, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      last = errMsg(err);
    }
    if (performance.now() >= deadline || env.signal?.aborted) break;
    await sleep(Math.min(250, Math.max(10, deadline - performance.now())), env.signal);
  }
  return { name, kind: check.kind, ok: false, message: last, guidance: check.guidance ?? null, durationMs: Math.round(performance.now() - started) };
}
