/**
 * The load generator: an open model (constant arrival rate) that records every request.
 *
 *   schedule: t0 + i/rate ──▶ render template ──▶ a free connection (or a FIFO) ──▶ status | error kind
 *        │ (sent late when the loop is busy;          │                        │
 *        │  latency still counts from t0 + i/rate)    └── sweep: timeout from the scheduled time
 *        ▼                                                                     ▼
 *   sent[second of schedule]                     per template, per second of completion:
 *                                                counts, status codes, error kinds, HDR histogram
 *
 * Requests are sent at their scheduled times whatever the server does, so a stalled server
 * shows up as latency (measured from the scheduled send time) instead of as fewer requests
 * (no coordinated omission). A closed-loop mode (N workers, next request when the previous
 * one ends) exists for benchmarks.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import { Client, type Dispatcher } from 'undici';
import type { LatencyStats, LoadStreamSummary, LoadSummary, TimelineBucket } from './journal.js';
import type { LoadSpec } from './spec.js';
import { compileTemplate, compileValue, TemplateError, type CompiledValue, type Template, type TemplateContext } from './template.js';

/** One request template (a mix entry). */
export interface LoadTemplate {
  readonly name: string;
  readonly weight: number;
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly ack: boolean;
}

/** One stream: an arrival rate shared by weighted templates. */
export interface LoadStream {
  readonly name: string;
  readonly ratePerS: number;
  readonly templates: readonly LoadTemplate[];
}

/** An acknowledged (2xx) request of a template with `ack: true`. */
export interface AckRecord {
  readonly template: string;
  readonly seq: number;
  readonly status: number;
  readonly vars: Readonly<Record<string, unknown>>;
  /** Epoch ms of completion. */
  readonly at: number;
}

export interface LoadOptions {
  readonly streams: readonly LoadStream[];
  readonly durationS: number;
  readonly timeoutMs?: number;
  /** Connections per origin (default 128). */
  readonly connections?: number;
  /** In-flight requests above this are not sent and count as `client_backlog` errors (default 20000). */
  readonly maxInFlight?: number;
  /** What templates read besides seq/vars/recent (env, run, steps...). Read at each request. */
  readonly context?: () => TemplateContext;
  readonly onAck?: (ack: AckRecord) => void;
  /** Closed-loop (benchmark) mode: this many workers, each sends its next request when the previous ends. Rates are ignored. */
  readonly closedLoopConcurrency?: number;
}

/** Aggregates over a window of the load. */
export interface WindowStats {
  readonly fromS: number;
  readonly toS: number;
  readonly requests: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly errorRate: number;
  readonly ratePerS: number;
  readonly statusCounts: Record<string, number>;
  readonly errorKinds: Record<string, number>;
  readonly latencyMs: LatencyStats;
}

/** What the live progress line shows. */
export interface LiveStats {
  readonly elapsedS: number;
  readonly sent: number;
  readonly completed: number;
  readonly inFlight: number;
  /** Over the last complete second. */
  readonly ratePerS: number;
  readonly errorRate: number;
  readonly p95Ms: number;
}

/** Splits a load spec into streams of weighted templates. */
export function streamsFromSpec(spec: LoadSpec): LoadStream[] {
  type T = { name: string; weight?: number; url?: string; method?: string; headers?: Record<string, string>; body?: unknown; vars?: Record<string, unknown>; ack?: boolean };
  const tpl = (t: T, fallbackName: string): LoadTemplate => ({
    name: t.name || fallbackName,
    weight: t.weight ?? 1,
    url: t.url ?? '',
    method: t.method ?? 'GET',
    ...(t.headers !== undefined ? { headers: t.headers } : {}),
    ...(t.body !== undefined ? { body: t.body } : {}),
    ...(t.vars !== undefined ? { vars: t.vars } : {}),
    ack: t.ack ?? false,
  });
  const one = (s: T & { mix?: readonly T[] }, name: string, rate: number): LoadStream => ({
    name,
    ratePerS: rate,
    templates: s.mix ? s.mix.map((m) => tpl(m, m.name)) : [tpl({ ...s, name }, name)],
  });
  if (spec.streams) return spec.streams.map((s) => one(s as T & { mix?: T[] }, s.name, s.ratePerS));
  return [one({ ...(spec as unknown as T & { mix?: T[] }), name: 'load' }, 'load', spec.ratePerS ?? 1)];
}

/** Splits a URL template at the first `/` of its path (outside `{{ }}` and after `scheme://`). */
export function splitUrlTemplate(url: string): { origin: string; path: string } {
  let depth = 0;
  let i = /^[a-z]+:\/\//i.test(url) ? url.indexOf('//') + 2 : 0;
  for (; i < url.length; i++) {
    if (url.startsWith('{{', i)) {
      depth++;
      i++;
    } else if (url.startsWith('}}', i)) {
      depth = Math.max(0, depth - 1);
      i++;
    } else if (depth === 0 && (url[i] === '/' || url[i] === '?')) break;
  }
  const path = url.slice(i);
  return { origin: url.slice(0, i), path: path.startsWith('?') ? `/${path}` : path };
}

const newHist = (digits: 2 | 3): Histogram =>
  build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: digits, autoResize: true });

/** Completions in one second for one template. */
class Bucket {
  completed = 0;
  errors = 0;
  timeouts = 0;
  readonly status = new Map<number, number>();
  readonly kinds = new Map<string, number>();
  readonly hist = newHist(2);
}

interface CompiledTemplate {
  readonly def: LoadTemplate;
  readonly index: number;
  readonly origin: string;
  readonly path: Template;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: CompiledValue | undefined;
  readonly body: CompiledValue | undefined;
  readonly jsonBody: boolean;
  readonly vars: [string, CompiledValue][];
  /** Per-second completion buckets. */
  readonly buckets: (Bucket | undefined)[];
  /** Per-second sent counts (by scheduled time). */
  readonly sent: number[];
  totalSent: number;
  totalCompleted: number;
  totalErrors: number;
  readonly status: Map<number, number>;
  readonly kinds: Map<string, number>;
  readonly recent: Readonly<Record<string, unknown>>[];
  recentNext: number;
}

/** One request in flight; it is its own undici handler (no closures per request). */
class InFlight implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | undefined = undefined;
  done = false;
  status = 0;
  constructor(
    readonly tpl: CompiledTemplate,
    readonly scheduled: number,
    readonly deadline: number,
    readonly seq: number,
    readonly vars: Readonly<Record<string, unknown>> | undefined,
    private readonly onDone: (f: InFlight, status: number | null, err: unknown) => void,
    /** The closed-loop worker that sent it, -1 in the open model. */
    readonly worker: number,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.done) controller.abort(new LoadCancelledError('expired'));
    else this.controller = controller;
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    this.release?.();
    this.onDone(this, this.status, null);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.release?.();
    this.onDone(this, null, err);
  }

  /** Set by {@link Connections} when the request got a connection; frees it for the next one. */
  release: (() => void) | undefined = undefined;
}

/**
 * Connections to one origin: one undici Client (one socket, no pipelining) per connection, an
 * idle stack and a FIFO of requests waiting for one. O(1) per request, where a Pool scans its
 * clients; a queued request's latency still counts from its scheduled time.
 */
class Connections {
  readonly #idle: Client[] = [];
  readonly #all: Client[] = [];
  #queue: [Dispatcher.DispatchOptions, InFlight][] = [];
  #head = 0;

  constructor(
    private readonly origin: string,
    private readonly max: number,
    private readonly options: Client.Options,
  ) {}

  send(opts: Dispatcher.DispatchOptions, f: InFlight): void {
    let client = this.#idle.pop();
    if (!client && this.#all.length < this.max) {
      client = new Client(this.origin, this.options);
      this.#all.push(client);
    }
    if (client) this.#dispatch(client, opts, f);
    else this.#queue.push([opts, f]);
  }

  #dispatch(client: Client, opts: Dispatcher.DispatchOptions, f: InFlight): void {
    let released = false;
    f.release = () => {
      if (released) return;
      released = true;
      this.#next(client);
    };
    client.dispatch(opts, f);
  }

  #next(client: Client): void {
    while (this.#head < this.#queue.length) {
      const [opts, f] = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as never;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      // Expired while waiting (already recorded as a timeout): never sent.
      if (f.done) continue;
      this.#dispatch(client, opts, f);
      return;
    }
    this.#idle.push(client);
  }

  clients(): Client[] {
    return this.#all;
  }
}

const RECENT_MAX = 1000;

class LoadTimeoutError extends Error {
  override readonly name = 'LoadTimeoutError';
}
class LoadCancelledError extends Error {
  override readonly name = 'LoadCancelledError';
}

function errorKind(err: unknown): string {
  if (err instanceof LoadTimeoutError) return 'timeout';
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.cause?.code ?? e.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection_refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'connection_reset';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect_timeout';
    case undefined:
      return (e.name ?? 'error').toLowerCase();
    default:
      return code.toLowerCase();
  }
}

function inc<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

function latencyOf(h: Histogram): LatencyStats {
  if (h.totalCount === 0) return { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const max = h.maxValue;
  // Percentiles are bucket upper bounds; never report one above the true max.
  const ms = (us: number) => Math.round(Math.min(us, max)) / 1000;
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(max),
    mean: ms(h.mean),
  };
}

function toRecord<K>(m: Map<K, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) out[String(k)] = v;
  return out;
}

/**
 * Generates load and records every request.
 * @example
 * const gen = new LoadGenerator({ streams: [{ name: 'load', ratePerS: 100, templates: [{ name: 'load', weight: 1, url: 'http://127.0.0.1:8080/', method: 'GET', ack: false }] }], durationS: 10 });
 * gen.start(); await gen.done; console.log(gen.summary());
 */
export class LoadGenerator {
  readonly #opts: LoadOptions;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #pools = new Map<string, Connections>();
  readonly #workers: Client[] = [];
  readonly #streams: { def: LoadStream; templates: CompiledTemplate[]; cumWeights: number[]; next: number; intervalMs: number; end: number }[];
  readonly #templates: CompiledTemplate[] = [];
  readonly #inflight = new Set<InFlight>();
  #t0 = 0;
  #epoch0 = 0;
  #seq = 0;
  #skipped = 0;
  #timer: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #scheduling = false;
  #started = false;
  #resolveDone: (() => void) | undefined;
  #lastSecond = -1;
  /** Resolves when scheduling ended and every request completed or timed out. */
  readonly done: Promise<void>;

  /** @throws TemplateError when a template does not compile. */
  constructor(options: LoadOptions) {
    this.#opts = options;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxInFlight = options.maxInFlight ?? 20_000;
    this.done = new Promise((r) => (this.#resolveDone = r));
    this.#streams = options.streams.map((s) => {
      const templates = s.templates.map((t) => this.#compile(t));
      let acc = 0;
      const cumWeights = templates.map((t) => (acc += t.def.weight));
      return { def: s, templates, cumWeights, next: 0, intervalMs: 1000 / s.ratePerS, end: 0 };
    });
  }

  #compile(def: LoadTemplate): CompiledTemplate {
    // The origin is rendered once (one pool per origin); the path is rendered per request.
    const { origin: originSource, path: pathSource } = splitUrlTemplate(def.url);
    const origin = compileTemplate(originSource).renderString(this.#ctx()).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(origin)) throw new TemplateError(`load url '${def.url}': '${origin}' is not an http://host:port origin`);
    const tpl: CompiledTemplate = {
      def,
      index: this.#templates.length,
      origin,
      path: compileTemplate(pathSource || '/'),
      method: def.method as Dispatcher.HttpMethod,
      headers: def.headers ? compileValue(def.headers) : undefined,
      body: def.body !== undefined ? compileValue(def.body) : undefined,
      jsonBody: def.body !== undefined && typeof def.body !== 'string',
      vars: Object.entries(def.vars ?? {}).map(([k, v]) => [k, compileValue(v)]),
      buckets: [],
      sent: [],
      totalSent: 0,
      totalCompleted: 0,
      totalErrors: 0,
      status: new Map(),
      kinds: new Map(),
      recent: [],
      recentNext: 0,
    };
    this.#templates.push(tpl);
    return tpl;
  }

  #ctx(): TemplateContext {
    return this.#opts.context?.() ?? { env: process.env };
  }

  #pool(origin: string): Connections {
    let pool = this.#pools.get(origin);
    if (!pool) {
      const backstop = this.#timeoutMs * 2 + 1000;
      pool = new Connections(origin, this.#opts.connections ?? 128, {
        pipelining: 1,
        keepAliveTimeout: 10_000,
        headersTimeout: backstop,
        bodyTimeout: backstop,
        connectTimeout: Math.min(this.#timeoutMs, 10_000),
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Epoch ms at which the load started (0 before `start`). */
  get startedAt(): number {
    return this.#epoch0;
  }

  /** True from `start` until the last request ended. */
  get active(): boolean {
    return this.#started && (this.#scheduling || this.#inflight.size > 0);
  }

  /** Seconds since start. */
  elapsedS(): number {
    return this.#started ? (performance.now() - this.#t0) / 1000 : 0;
  }

  /** Starts sending. Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#t0 = performance.now();
    this.#epoch0 = Date.now();
    this.#scheduling = true;
    for (const s of this.#streams) s.end = Math.ceil((this.#opts.durationS * s.def.ratePerS) - 1e-9);
    this.#sweep = setInterval(() => this.#expire(), Math.min(50, Math.max(5, this.#timeoutMs / 4)));
    this.#sweep.unref?.();
    if (this.#opts.closedLoopConcurrency !== undefined) {
      // One connection per worker: no pool queue between a worker and its socket.
      const tpl = this.#templates[0];
      if (tpl) for (let w = 0; w < this.#opts.closedLoopConcurrency; w++) this.#workers.push(new Client(tpl.origin, { pipelining: 1, keepAliveTimeout: 10_000 }));
      for (let w = 0; w < this.#workers.length; w++) this.#closedNext(w);
      this.#timer = setTimeout(() => this.#endScheduling(), this.#opts.durationS * 1000);
    } else {
      this.#tick();
    }
  }

  /**
   * Stops sending now. With `abort`, requests in flight are cut and not counted; otherwise they
   * complete or time out. Resolves when nothing is in flight.
   */
  async stop(options: { abort?: boolean } = {}): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      this.#finish();
      return this.done;
    }
    this.#endScheduling();
    if (options.abort) {
      for (const f of this.#inflight) this.#cancel(f);
    }
    return this.done;
  }

  /** Closes the connection pools. Call after `done`. */
  async close(): Promise<void> {
    await Promise.all([...[...this.#pools.values()].flatMap((p) => p.clients()), ...this.#workers].map((p) => p.destroy().catch(() => undefined)));
    this.#pools.clear();
    this.#workers.length = 0;
  }

  #endScheduling(): void {
    if (!this.#scheduling) return;
    this.#scheduling = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (!this.#scheduling && this.#inflight.size === 0) this.#finish();
  }

  #finish(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    this.#resolveDone?.();
    this.#resolveDone = undefined;
  }

  #tick = (): void => {
    this.#timer = undefined;
    if (!this.#scheduling) return;
    const now = performance.now();
    let nextAt = Infinity;
    let pending = false;
    for (const s of this.#streams) {
      // A bounded batch per tick keeps the loop responsive at very high rates.
      let batch = 0;
      while (s.next < s.end) {
        const at = this.#t0 + s.next * s.intervalMs;
        if (at > now || batch >= 2000) {
          nextAt = Math.min(nextAt, at);
          break;
        }
        this.#fire(s, at);
        s.next++;
        batch++;
      }
      if (s.next < s.end) pending = true;
    }
    if (!pending) {
      this.#endScheduling();
      return;
    }
    this.#timer = setTimeout(this.#tick, Math.max(0, nextAt - performance.now()));
  };

  #pick(s: { templates: CompiledTemplate[]; cumWeights: number[] }): CompiledTemplate {
    if (s.templates.length === 1) return s.templates[0]!;
    const total = s.cumWeights[s.cumWeights.length - 1] ?? 1;
    const r = Math.random() * total;
    for (let i = 0; i < s.cumWeights.length; i++) if (r < s.cumWeights[i]!) return s.templates[i]!;
    return s.templates[s.templates.length - 1]!;
  }

  /**
   * `recent.<template>.<var>` for one request: the first use picks a random acknowledged request
   * of that template, later uses in the same request read the same one (so `order_id` and
   * `amount` of a retried payment belong together).
   */
  #recentFor(): (template: string, name: string) => unknown {
    let picked: Map<string, Readonly<Record<string, unknown>> | undefined> | undefined;
    return (template, name) => {
      picked ??= new Map();
      if (!picked.has(template)) {
        const tpl = this.#templates.find((t) => t.def.name === template);
        picked.set(template, tpl && tpl.recent.length > 0 ? tpl.recent[Math.floor(Math.random() * tpl.recent.length)] : undefined);
      }
      return picked.get(template)?.[name];
    };
  }

  #fire(s: { templates: CompiledTemplate[]; cumWeights: number[] }, scheduled: number): void {
    this.#send(this.#pick(s), scheduled, Math.floor((scheduled - this.#t0) / 1000));
  }

  #send(tpl: CompiledTemplate, scheduled: number, sentSecond: number, worker = -1): void {
    const seq = this.#seq++;
    let path: string;
    let headers: Record<string, string> | undefined;
    let body: string | undefined;
    let vars: Record<string, unknown> | undefined;
    try {
      const base = tpl.vars.length > 0 || !tpl.path.constant || tpl.body || tpl.headers ? this.#ctx() : undefined;
      let ctx: TemplateContext | undefined;
      if (base) {
        ctx = { ...base, seq, recent: this.#recentFor() };
        if (tpl.vars.length > 0) {
          vars = {};
          ctx = { ...ctx, vars };
          for (const [k, f] of tpl.vars) vars[k] = f(ctx);
        }
      }
      path = tpl.path.constant ? tpl.path.source : tpl.path.renderString(ctx!);
      headers = tpl.headers ? (tpl.headers(ctx!) as Record<string, string>) : undefined;
      if (tpl.body) {
        const b = tpl.body(ctx!);
        body = typeof b === 'string' ? b : JSON.stringify(b);
        if (tpl.jsonBody) headers = { 'content-type': 'application/json', ...headers };
      }
    } catch (err) {
      // No data yet for `recent.*` (or a missing value): not a request, so not sent.
      if (err instanceof TemplateError) {
        this.#skipped++;
        return;
      }
      throw err;
    }
    tpl.totalSent++;
    tpl.sent[sentSecond] = (tpl.sent[sentSecond] ?? 0) + 1;
    if (this.#inflight.size >= this.#maxInFlight) {
      this.#record(tpl, scheduled, null, 'client_backlog', seq, vars);
      return;
    }
    const f = new InFlight(tpl, scheduled, scheduled + this.#timeoutMs, seq, vars, this.#onDone, worker);
    this.#inflight.add(f);
    const opts: Dispatcher.DispatchOptions = { path, method: tpl.method, headers: headers ?? null, body: body ?? null };
    try {
      if (worker >= 0) this.#workers[worker]!.dispatch(opts, f);
      else this.#pool(tpl.origin).send(opts, f);
    } catch (err) {
      this.#complete(f, null, err);
    }
  }

  #onDone = (f: InFlight, status: number | null, err: unknown): void => this.#complete(f, status, err);

  #closedNext(worker: number): void {
    if (!this.#scheduling) return;
    const tpl = this.#templates[0];
    if (!tpl) return;
    const now = performance.now();
    this.#send(tpl, now, Math.floor((now - this.#t0) / 1000), worker);
  }

  #complete(f: InFlight, status: number | null, err: unknown): void {
    if (f.done) return;
    f.done = true;
    this.#inflight.delete(f);
    if (!(err instanceof LoadCancelledError)) this.#record(f.tpl, f.scheduled, status, err === null ? null : errorKind(err), f.seq, f.vars);
    if (f.worker >= 0) queueMicrotask(() => this.#closedNext(f.worker));
    this.#maybeFinish();
  }

  #cancel(f: InFlight): void {
    if (f.done) return;
    f.done = true;
    this.#inflight.delete(f);
    inc(f.tpl.kinds, 'cancelled');
    f.controller?.abort(new LoadCancelledError('load stopped'));
    this.#maybeFinish();
  }

  #expire(): void {
    const now = performance.now();
    for (const f of this.#inflight) {
      if (f.deadline > now) break;
      f.done = true;
      this.#inflight.delete(f);
      this.#record(f.tpl, f.scheduled, null, 'timeout', f.seq, f.vars);
      f.controller?.abort(new LoadCancelledError('timed out'));
    }
    this.#maybeFinish();
  }

  #record(tpl: CompiledTemplate, scheduled: number, status: number | null, kind: string | null, seq: number, vars: Readonly<Record<string, unknown>> | undefined): void {
    const now = performance.now();
    const second = Math.max(0, Math.floor((now - this.#t0) / 1000));
    let b = tpl.buckets[second];
    if (!b) {
      b = new Bucket();
      tpl.buckets[second] = b;
      if (second > this.#lastSecond) this.#lastSecond = second;
    }
    const latencyUs = Math.max(1, Math.round((now - scheduled) * 1000));
    b.completed++;
    tpl.totalCompleted++;
    const failed = status === null || status >= 500;
    if (failed) {
      b.errors++;
      tpl.totalErrors++;
    }
    if (status !== null) {
      inc(b.status, status);
      inc(tpl.status, status);
    } else if (kind !== null) {
      inc(b.kinds, kind);
      inc(tpl.kinds, kind);
      if (kind === 'timeout') b.timeouts++;
    }
    // One histogram per second and template; totals are merged from them when asked.
    if (kind !== 'client_backlog') b.hist.recordValue(latencyUs);
    if (tpl.def.ack && status !== null && status >= 200 && status < 300) {
      const v = vars ?? {};
      if (tpl.recent.length < RECENT_MAX) tpl.recent.push(v);
      else {
        tpl.recent[tpl.recentNext] = v;
        tpl.recentNext = (tpl.recentNext + 1) % RECENT_MAX;
      }
      this.#opts.onAck?.({ template: tpl.def.name, seq, status, vars: v, at: Date.now() });
    }
  }

  #select(filter?: string): CompiledTemplate[] {
    if (filter === undefined) return this.#templates;
    const stream = this.#streams.find((s) => s.def.name === filter);
    if (stream) return stream.templates;
    return this.#templates.filter((t) => t.def.name === filter);
  }

  /**
   * Aggregates completions with completion time in seconds [fromS, toS) of the load.
   * @param filter a stream or template name (default: all)
   */
  window(fromS: number, toS: number, filter?: string): WindowStats {
    const from = Math.max(0, Math.floor(fromS));
    const to = Math.max(from, Math.ceil(toS));
    const hist = newHist(2);
    let requests = 0;
    let errors = 0;
    let timeouts = 0;
    const status = new Map<number, number>();
    const kinds = new Map<string, number>();
    for (const t of this.#select(filter)) {
      for (let s = from; s < to; s++) {
        const b = t.buckets[s];
        if (!b) continue;
        requests += b.completed;
        errors += b.errors;
        timeouts += b.timeouts;
        for (const [k, v] of b.status) inc(status, k, v);
        for (const [k, v] of b.kinds) inc(kinds, k, v);
        hist.add(b.hist);
      }
    }
    const span = Math.max(1e-9, Math.min(toS, this.elapsedS()) - fromS);
    return {
      fromS,
      toS,
      requests,
      errors,
      timeouts,
      errorRate: requests === 0 ? 0 : errors / requests,
      ratePerS: requests / Math.max(1, Math.min(span, to - from)),
      statusCounts: toRecord(status),
      errorKinds: toRecord(kinds),
      latencyMs: latencyOf(hist),
    };
  }

  /** The last complete second (or the current one during the first second). */
  live(): LiveStats {
    const elapsed = this.elapsedS();
    const sec = Math.max(0, Math.floor(elapsed) - 1);
    const w = this.window(sec, sec + 1);
    let sent = 0;
    let completed = 0;
    for (const t of this.#templates) {
      sent += t.totalSent;
      completed += t.totalCompleted;
    }
    return { elapsedS: elapsed, sent, completed, inFlight: this.#inflight.size, ratePerS: w.requests, errorRate: w.errorRate, p95Ms: w.latencyMs.p95 };
  }

  /** Requests not sent because a template had no value yet (`recent.*` before any ack). */
  get skipped(): number {
    return this.#skipped;
  }

  /** Total sent so far. */
  get sent(): number {
    return this.#templates.reduce((a, t) => a + t.totalSent, 0);
  }

  /** The journal's load section. */
  summary(): LoadSummary {
    const total = newHist(2);
    const status = new Map<string, number>();
    const kinds = new Map<string, number>();
    let sent = 0;
    let completed = 0;
    let errors = 0;
    const streams: LoadStreamSummary[] = [];
    for (const s of this.#streams) {
      for (const t of s.templates) {
        const tplHist = newHist(2);
        for (const b of t.buckets) if (b) tplHist.add(b.hist);
        total.add(tplHist);
        sent += t.totalSent;
        completed += t.totalCompleted;
        errors += t.totalErrors;
        for (const [k, v] of t.status) inc(status, String(k), v);
        for (const [k, v] of t.kinds) inc(kinds, k, v);
        streams.push({
          name: t.def.name,
          target: `${t.def.method} ${t.def.url}`,
          ratePerS: s.def.ratePerS * (t.def.weight / (s.cumWeights[s.cumWeights.length - 1] ?? 1)),
          sent: t.totalSent,
          completed: t.totalCompleted,
          statusCounts: toRecord(t.status),
          errorKinds: toRecord(t.kinds),
          latencyMs: latencyOf(tplHist),
        });
      }
    }
    const timeline: TimelineBucket[] = [];
    const seconds = Math.max(this.#lastSecond + 1, ...this.#templates.map((t) => t.sent.length));
    for (let sec = 0; sec < seconds; sec++) {
      const hist = newHist(2);
      const st = new Map<number, number>();
      let bs = 0;
      let ok = 0;
      let err = 0;
      for (const t of this.#templates) {
        bs += t.sent[sec] ?? 0;
        const b = t.buckets[sec];
        if (!b) continue;
        ok += b.completed - b.errors;
        err += b.errors;
        for (const [k, v] of b.status) inc(st, k, v);
        hist.add(b.hist);
      }
      const l = latencyOf(hist);
      timeline.push({ t: sec, sent: bs, ok, errors: err, statusCounts: toRecord(st), p50: l.p50, p95: l.p95, p99: l.p99, max: l.max });
    }
    const targets = [...new Set(this.#templates.map((t) => t.origin))];
    return {
      target: targets.join(', '),
      ratePerS: this.#streams.reduce((a, s) => a + s.def.ratePerS, 0),
      durationS: this.#opts.durationS,
      startedAt: new Date(this.#epoch0 || Date.now()).toISOString(),
      sent,
      completed,
      errors,
      errorRate: completed === 0 ? 0 : errors / completed,
      statusCounts: toRecord(status),
      errorKinds: toRecord(kinds),
      latencyMs: latencyOf(total),
      timeline,
      streams,
    };
  }
}
