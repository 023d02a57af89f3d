/**
 * The HTTP fault proxy: a streaming reverse proxy (node:http in front, an undici keep-alive Pool
 * behind) with route-aware faults decided per request.
 *
 *   client ──▶ node:http server ──match rules (precompiled; none = fast path)──┐
 *                                                                            │
 *      request phase: hold ─▶ │ answer ─▶ respond │ reset ─▶ destroy socket   │
 *                              ▼                                             ▼
 *                     undici Pool.request(body = req stream) ──▶ upstream
 *                              │
 *      response phase: hold ─▶ │ answer/reset ─▶ drain upstream body, then respond/destroy
 *                              ▼
 *      res.writeHead + res.write(chunk) per upstream chunk [─▶ body transform] ──▶ client
 *
 * A rule's fault (one file under faults/) is an effect: hold (delay), answer (abort), reset, or a
 * body transform (throttle). Removing a rule releases what it holds: held requests go on at once,
 * a throttled body streams on at full speed.
 *      (undici dispatch handler; a full client socket pauses the upstream socket)
 *
 * Bodies stream both ways; nothing is buffered whole. With no rule and no header faults a
 * request costs one array-length check beyond plain proxying.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { MAX_TIMER_MS } from '../../plan/index.js';
import { ProxyConflictError, ProxyListenError } from '../errors.js';
import { createRecorder, type Counters, type Recorder } from '../recorder/index.js';
import type { HttpProxy, HttpRuleSpec, Observation, ProxyOptions } from '../types.js';
import { pathOf } from './matcher.js';
import type { HttpFaultEffect, ReleasableTransform } from './fault.js';
import { compileRule, normalizeRule, type CompiledRule } from './rules.js';

/** Options of {@link createHttpProxy}. */
export interface HttpProxyOptions extends ProxyOptions {
  /** Honour `x-faultline-delay-ms` / `x-faultline-abort-status` request headers (as Envoy). Default false. */
  readonly headerFaults?: boolean;
  /** How long to wait for the upstream's headers (and between body chunks) before a 504. Default 30000. */
  readonly upstreamTimeoutMs?: number;
  /** Where observations go; default a fresh recorder. */
  readonly recorder?: Recorder;
}

/** The JSON body of a 502/504 the proxy answers itself. */
export interface ProxyErrorBody {
  readonly error: string;
  readonly code: 'FL_ERR_PROXY_UPSTREAM_UNAVAILABLE' | 'FL_ERR_PROXY_UPSTREAM_TIMEOUT';
}

const HEADER_DELAY = 'x-faultline-delay-ms';
const HEADER_ABORT = 'x-faultline-abort-status';
const HEADER_FAULT_ID = 'x-faultline-header';

/** Request headers never forwarded (hop-by-hop, or handled by the proxy itself). */
const HOP_REQ = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'http2-settings']);
const HOP_RES = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'trailer', 'upgrade'];
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

const kIn = Symbol('faultline.bytesIn');
const kOut = Symbol('faultline.bytesOut');
type CountedSocket = Socket & { [kIn]?: number; [kOut]?: number };

/** One request in flight. */
interface Exchange {
  readonly start: number;
  /** Captured up front: `req.socket` is null once the response is detached. */
  readonly socket: CountedSocket;
  readonly matched: CompiledRule[] | undefined;
  readonly rule: CompiledRule | undefined;
  status: number;
  failed: boolean;
  upstream: UpstreamHandler | undefined;
}

/** Parses `host:port` / `[v6]:port` / `http://host:port`. */
export function parseHostPort(address: string): { host: string; port: number } {
  const s = address.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  if (m === null) throw new RangeError(`expected host:port, got '${address}'`);
  const port = Number(m[3]);
  if (port > 65_535) throw new RangeError(`port out of range in '${address}'`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

function originOf(upstream: string): string {
  if (/^https?:\/\//i.test(upstream)) return new URL(upstream).origin;
  const { host, port } = parseHostPort(upstream);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

class HttpFaultProxy implements HttpProxy {
  readonly protocol = 'http' as const;
  readonly name: string;
  readonly upstream: string;
  readonly #recorder: Recorder;
  readonly #origin: string;
  readonly #timeoutMs: number;
  readonly #headerFaults: boolean;
  readonly #host: string;
  #port: number;
  #server: Server | undefined;
  #pool: Pool | undefined;
  #enabled = false;
  #closed = false;
  /** Copy-on-write: the data path iterates a stable snapshot. */
  #rules: CompiledRule[] = [];
  readonly #closeListeners = new Set<() => void>();
  #headerCounters: Counters | undefined;

  constructor(options: HttpProxyOptions) {
    this.name = options.name;
    this.upstream = options.upstream;
    this.#origin = originOf(options.upstream);
    const { host, port } = parseHostPort(options.listen);
    this.#host = host;
    this.#port = port;
    this.#timeoutMs = options.upstreamTimeoutMs ?? 30_000;
    this.#headerFaults = options.headerFaults ?? false;
    this.#recorder = options.recorder ?? createRecorder();
  }

  get listen(): string {
    return formatAddress(this.#host, this.#port);
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** The recorder this proxy writes to (e.g. to subscribe to its events). */
  get recorder(): Recorder {
    return this.#recorder;
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error(`proxy '${this.name}' is closed`);
    if (this.#server !== undefined) return;
    this.#pool ??= new Pool(this.#origin, {
      keepAliveTimeout: 4_000,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      connect: { timeout: this.#timeoutMs },
    });
    const server = createServer({ requestTimeout: 0, keepAliveTimeout: 5_000 }, (req, res) => this.#onRequest(req, res));
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new ProxyListenError(this.listen, err));
      server.once('error', onError);
      server.listen(this.#port, this.#host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') this.#port = addr.port;
    this.#server = server;
    this.#enabled = true;
    this.#recorder.event('info', 'proxy listening', { proxy: this.name, listen: this.listen, upstream: this.upstream });
  }

  async #stopListening(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#enabled = false;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled === this.#enabled) return;
    if (enabled) {
      await this.start();
    } else {
      await this.#stopListening();
      this.#recorder.event('warn', 'proxy disabled', { proxy: this.name });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#stopListening();
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) await pool.destroy().catch(() => undefined);
    for (const l of [...this.#closeListeners]) {
      try {
        l();
      } catch {
        // a listener's failure must not stop the others
      }
    }
    this.#closeListeners.clear();
  }

  /** Calls `listener` once when the proxy is closed. @returns an unsubscribe function. */
  onClose(listener: () => void): () => void {
    if (this.#closed) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.#closeListeners.add(listener);
    return () => {
      this.#closeListeners.delete(listener);
    };
  }

  stats(): Observation {
    return this.#recorder.snapshot();
  }

  observe(faultId: string): Observation | undefined {
    return this.#recorder.snapshot(faultId);
  }

  forget(faultId: string): void {
    this.#recorder.forget(faultId);
  }

  addRule(rule: HttpRuleSpec): void {
    const spec = normalizeRule(rule);
    if (this.#rules.some((r) => r.spec.id === spec.id)) throw new ProxyConflictError('rule', spec.id, this.name);
    const counters = this.#recorder.fault(spec.id);
    this.#rules = [...this.#rules, compileRule(spec, counters)];
    counters.event('info', 'rule added', { type: spec.type, method: spec.method, path: spec.path, percentage: spec.percentage });
  }

  removeRule(id: string): boolean {
    const rule = this.#rules.find((r) => r.spec.id === id);
    if (rule === undefined) return false;
    this.#rules = this.#rules.filter((r) => r !== rule);
    // Requests the rule holds (delays, throttled bodies) go on now, not at their own deadline.
    rule.release();
    this.#recorder.fault(id).event('info', 'rule removed');
    return true;
  }

  listRules(): HttpRuleSpec[] {
    return this.#rules.map((r) => r.spec);
  }

  removeAllRules(): void {
    for (const r of this.#rules) this.removeRule(r.spec.id);
  }

  // ── data path ────────────────────────────────────────────────────────────────

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    this.#recorder.seen();
    let matched: CompiledRule[] | undefined;
    let rule: CompiledRule | undefined;
    const rules = this.#rules;
    if (rules.length > 0) {
      const method = req.method;
      const path = pathOf(req.url);
      const headers = req.headers;
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i] as CompiledRule;
        if (!r.matcher.matches(method, path, headers)) continue;
        (matched ??= []).push(r);
        r.counters.seen();
        // Rules are tried in the order added; the first one that decides to fault takes the request.
        if (rule === undefined && r.decide()) rule = r;
      }
    }
    const ex: Exchange = { start, socket: req.socket, matched, rule, status: 0, failed: false, upstream: undefined };
    res.once('close', () => this.#finish(req, res, ex));

    let effect: HttpFaultEffect | undefined = rule?.effect;
    let headerDelay = 0;
    if (this.#headerFaults) {
      const hf = this.#headerFault(req);
      if (hf !== undefined) {
        headerDelay = hf.delayMs;
        if (hf.abortStatus !== undefined && effect === undefined) {
          effect = { phase: 'request', answer: { status: hf.abortStatus, body: undefined } };
        }
      }
    }
    if (rule !== undefined && effect !== undefined) {
      rule.counters.faulted();
      this.#recorder.faulted();
      rule.counters.event('info', 'fault', { type: rule.spec.type, phase: effect.phase, method: req.method, path: pathOf(req.url) });
    }
    if (effect === undefined && headerDelay === 0) {
      this.#forward(req, res, ex, undefined);
      return;
    }
    void this.#faulted(req, res, ex, effect, headerDelay);
  }

  #headerFault(req: IncomingMessage): { delayMs: number; abortStatus: number | undefined } | undefined {
    const d = req.headers[HEADER_DELAY];
    const a = req.headers[HEADER_ABORT];
    if (d === undefined && a === undefined) return undefined;
    const delayMs = typeof d === 'string' ? Math.min(Math.max(Number(d) || 0, 0), this.#timeoutMs) : 0;
    const status = typeof a === 'string' ? Number(a) : NaN;
    const abortStatus = Number.isInteger(status) && status >= 200 && status <= 599 ? status : undefined;
    if (delayMs === 0 && abortStatus === undefined) return undefined;
    const c = (this.#headerCounters ??= this.#recorder.fault(HEADER_FAULT_ID));
    c.seen();
    c.faulted();
    this.#recorder.faulted();
    c.event('info', 'header fault', { delay_ms: delayMs, abort_status: abortStatus, method: req.method, path: pathOf(req.url) });
    return { delayMs, abortStatus };
  }

  async #faulted(req: IncomingMessage, res: ServerResponse, ex: Exchange, effect: HttpFaultEffect | undefined, headerDelay: number): Promise<void> {
    if (headerDelay > 0 && !(await wait(headerDelay, res, undefined))) return;
    if (effect === undefined) return this.#forward(req, res, ex, undefined);
    if (effect.phase === 'request') {
      if (effect.delayMs !== undefined && !(await wait(effect.delayMs(), res, ex.rule))) return;
      if (effect.answer !== undefined) return this.#abort(res, ex, effect.answer.status, effect.answer.body);
      if (effect.reset === true) return this.#reset(req, res, ex);
    }
    return this.#forward(req, res, ex, effect);
  }

  #abort(res: ServerResponse, ex: Exchange, status: number, body: string | undefined): void {
    if (res.destroyed) return;
    const text = body ?? JSON.stringify({ error: 'fault injected by faultline', rule: ex.rule?.spec.id ?? HEADER_FAULT_ID });
    const type = body === undefined || /^\s*[[{]/.test(body) ? 'application/json' : 'text/plain; charset=utf-8';
    ex.status = status;
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'x-faultline-fault': 'abort' });
    res.end(text);
  }

  #reset(req: IncomingMessage, res: ServerResponse, ex: Exchange): void {
    ex.failed = true;
    const socket = ex.socket;
    if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
    else socket.destroy();
    res.destroy();
  }

  #upstreamError(res: ServerResponse, ex: Exchange, err: unknown): void {
    const code = (err as { code?: string } | null)?.code ?? 'UNKNOWN';
    const message = err instanceof Error ? err.message : String(err);
    if (res.destroyed || res.writableEnded) return;
    ex.failed = true;
    this.#recorder.event('error', 'upstream failed', { proxy: this.name, upstream: this.upstream, error: code, message });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const timeout = TIMEOUT_CODES.has(code);
    const status = timeout ? 504 : 502;
    const body: ProxyErrorBody = timeout
      ? { error: `upstream ${this.upstream} did not answer in time (${code})`, code: 'FL_ERR_PROXY_UPSTREAM_TIMEOUT' }
      : { error: `upstream ${this.upstream} failed: ${code} ${message}`, code: 'FL_ERR_PROXY_UPSTREAM_UNAVAILABLE' };
    const text = JSON.stringify(body);
    ex.status = status;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
    res.end(text);
  }

  #forward(req: IncomingMessage, res: ServerResponse, ex: Exchange, effect: HttpFaultEffect | undefined): void {
    const pool = this.#pool;
    if (pool === undefined || res.destroyed) {
      res.destroy();
      return;
    }
    const raw = req.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      const lower = name.toLowerCase();
      if (HOP_REQ.has(lower)) continue;
      if (this.#headerFaults && lower.startsWith('x-faultline-')) continue;
      headers.push(name, raw[i + 1] as string);
    }
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const handler = new UpstreamHandler(this, req, res, ex, effect);
    ex.upstream = handler;
    pool.dispatch(
      { method: (req.method ?? 'GET') as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body: hasBody ? req : null },
      handler,
    );
  }

  /** Called by {@link UpstreamHandler} when the upstream fails before or while answering. */
  upstreamFailed(res: ServerResponse, ex: Exchange, err: unknown): void {
    this.#upstreamError(res, ex, err);
  }

  /** Called by {@link UpstreamHandler} for a response-phase answer or reset once the upstream answered. */
  responseFault(req: IncomingMessage, res: ServerResponse, ex: Exchange, effect: HttpFaultEffect): void {
    if (effect.answer !== undefined) this.#abort(res, ex, effect.answer.status, effect.answer.body);
    else this.#reset(req, res, ex);
  }

  #finish(req: IncomingMessage, res: ServerResponse, ex: Exchange): void {
    const finished = res.writableEnded;
    if (!finished) ex.upstream?.cancel();
    const ms = performance.now() - ex.start;
    const socket = ex.socket;
    const inTotal = socket.bytesRead;
    const outTotal = socket.bytesWritten;
    const bytesIn = inTotal - (socket[kIn] ?? 0);
    const bytesOut = outTotal - (socket[kOut] ?? 0);
    socket[kIn] = inTotal;
    socket[kOut] = outTotal;
    const rec = this.#recorder;
    const failed = ex.failed || (!finished && ex.status !== 0);
    record(rec, ex, ms, bytesIn, bytesOut, failed);
    if (ex.matched !== undefined) for (const r of ex.matched) record(r.counters, ex, ms, bytesIn, bytesOut, failed);
    if (ex.rule !== undefined) ex.rule.active--;
  }
}

function record(c: Counters, ex: Exchange, ms: number, bytesIn: number, bytesOut: number, failed: boolean): void {
  if (ex.status !== 0) c.status(ex.status);
  if (failed && ex.status < 500) c.error();
  c.latency(ms);
  c.bytesIn(bytesIn);
  c.bytesOut(bytesOut);
}

/**
 * Waits `ms`; resolves true at once when `rule` is removed meanwhile (what it holds goes on), and
 * false (and stops waiting) if the response closes first.
 */
function wait(ms: number, res: ServerResponse, rule: CompiledRule | undefined): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (!(ms > 0)) return Promise.resolve(true);
  return new Promise((resolve) => {
    let settled = false;
    let unhold: () => void = () => undefined;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.off('close', onClose);
      unhold();
      resolve(ok);
    };
    const onClose = (): void => done(false);
    const timer = setTimeout(() => done(true), Math.min(ms, MAX_TIMER_MS));
    res.once('close', onClose);
    if (rule !== undefined) unhold = rule.hold(() => done(true));
  });
}

const kClientGone = new Error('client closed the connection');

/**
 * Streams one upstream response to the client (undici's dispatch API: no intermediate Readable,
 * backpressure by pausing the upstream socket), applying response-phase effects and the body
 * transform.
 */
class UpstreamHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #cancelled = false;
  #waiting = false;
  /** Chunks that arrived while a response-phase hold kept the headers back. */
  #held: Buffer[] | undefined;
  #ended = false;
  #transform: ReleasableTransform | undefined;
  #sink: { write(chunk: Buffer): boolean; end(): void; once(event: 'drain', fn: () => void): unknown };
  /** The effect's response-phase part, if any. */
  readonly #late: HttpFaultEffect | undefined;
  /** A response-phase answer or reset: the upstream body is drained and dropped. */
  readonly #drop: boolean;

  constructor(
    private readonly proxy: HttpFaultProxy,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly ex: Exchange,
    private readonly effect: HttpFaultEffect | undefined,
  ) {
    this.#sink = res;
    this.#late = effect?.phase === 'response' ? effect : undefined;
    this.#drop = this.#late !== undefined && (this.#late.answer !== undefined || this.#late.reset === true);
  }

  /** The client went away: stop the upstream exchange. */
  cancel(): void {
    this.#cancelled = true;
    const c = this.#controller;
    if (c !== undefined && !c.aborted) c.abort(kClientGone);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#cancelled) controller.abort(kClientGone);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: wait for the final answer
    const res = this.res;
    if (res.destroyed) {
      controller.abort(kClientGone);
      return;
    }
    // answer / reset: the body is drained (onResponseData drops it), then the fault acts.
    if (this.#drop) return;
    const hold = this.#late?.delayMs;
    if (hold !== undefined) {
      this.#waiting = true;
      this.#held = [];
      controller.pause();
      void wait(hold(), res, this.ex.rule).then((ok) => {
        this.#waiting = false;
        if (!ok) {
          controller.abort(kClientGone);
          return;
        }
        if (!this.#head(statusCode, headers)) return;
        const held = this.#held ?? [];
        this.#held = undefined;
        for (const chunk of held) this.#sink.write(chunk);
        if (this.#ended) this.#sink.end();
        else controller.resume();
      });
      return;
    }
    this.#head(statusCode, headers);
  }

  /** Writes the response head and sets up the body transform, if any. */
  #head(statusCode: number, headers: IncomingHttpHeaders): boolean {
    for (const h of HOP_RES) delete headers[h];
    this.ex.status = statusCode;
    try {
      this.res.writeHead(statusCode, headers as Record<string, string | string[]>);
    } catch (err) {
      this.#controller?.abort(err as Error);
      return false;
    }
    const body = this.effect?.body;
    if (body !== undefined) {
      const res = this.res;
      const t = body();
      t.on('error', () => res.destroy());
      t.pipe(res);
      const rule = this.ex.rule;
      if (rule !== undefined) t.once('close', rule.hold(() => t.release()));
      this.#transform = t;
      this.#sink = t;
    }
    return true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#drop) return;
    if (this.#waiting) {
      this.#held?.push(chunk);
      return;
    }
    if (!this.#sink.write(chunk) && !controller.paused) {
      controller.pause();
      this.#sink.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.#ended = true;
    if (this.#drop) {
      this.proxy.responseFault(this.req, this.res, this.ex, this.#late as HttpFaultEffect);
      return;
    }
    if (this.#waiting) return; // the hold's end writes the rest
    this.#sink.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#cancelled || err === kClientGone) return;
    this.#transform?.destroy();
    this.proxy.upstreamFailed(this.res, this.ex, err);
  }
}

/**
 * Creates an HTTP fault proxy (call `start()` to listen).
 * @example
 * const proxy = createHttpProxy({ name: 'api', listen: '127.0.0.1:0', upstream: 'http://127.0.0.1:8080' });
 * await proxy.start();
 * proxy.addRule({ id: 'r1', method: 'POST', path: '/payment/*', type: 'abort', percentage: 50,
 *   config: { httpStatus: 503, phase: 'request', skip: 0 } });
 * @throws RangeError when `listen` or `upstream` is not `host:port` / a URL.
 */
export function createHttpProxy(options: HttpProxyOptions): HttpProxy & { readonly recorder: Recorder } {
  return new HttpFaultProxy(options);
}
