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
 * one ends) exists for benchmarks. Transport (undici) and statistics live next door.
 */
import { LatencyHistogram } from '../../common/index.js';
import type { LoadSummary } from '../journal.js';
import { TemplateError, type TemplateContext } from '../template.js';
import { pickWeighted, recentPicker, RequestTemplate, type AckRecord, type LoadStream } from './requests.js';
import { templateSummary, timeline, totals, windowStats, type LiveStats, type WindowStats } from './stats.js';
import { errorKind, InFlight, LoadCancelledError, Transport } from './transport.js';

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

interface Meta {
  readonly tpl: RequestTemplate;
  readonly seq: number;
  readonly vars: Readonly<Record<string, unknown>> | undefined;
}

interface Stream {
  readonly def: LoadStream;
  readonly templates: RequestTemplate[];
  readonly cumWeights: number[];
  next: number;
  readonly intervalMs: number;
  end: number;
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
  readonly #transport: Transport;
  readonly #streams: Stream[];
  readonly #templates: RequestTemplate[] = [];
  readonly #inflight = new Set<InFlight<Meta>>();
  #workers = 0;
  #t0 = 0;
  #epoch0 = 0;
  #seq = 0;
  #skipped = 0;
  #timer: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #scheduling = false;
  #started = false;
  #resolveDone: (() => void) | undefined;
  /** Resolves when scheduling ended and every request completed or timed out. */
  readonly done: Promise<void>;

  /** @throws TemplateError when a template does not compile. */
  constructor(options: LoadOptions) {
    this.#opts = options;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxInFlight = options.maxInFlight ?? 20_000;
    this.#transport = new Transport(this.#timeoutMs, options.connections ?? 128);
    this.done = new Promise((r) => (this.#resolveDone = r));
    this.#streams = options.streams.map((s) => {
      const templates = s.templates.map((t) => {
        const tpl = new RequestTemplate(t, this.#ctx());
        this.#templates.push(tpl);
        return tpl;
      });
      let acc = 0;
      const cumWeights = templates.map((t) => (acc += t.def.weight));
      return { def: s, templates, cumWeights, next: 0, intervalMs: 1000 / s.ratePerS, end: 0 };
    });
  }

  #ctx(): TemplateContext {
    return this.#opts.context?.() ?? { env: process.env };
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
    for (const s of this.#streams) s.end = Math.ceil(this.#opts.durationS * s.def.ratePerS - 1e-9);
    this.#sweep = setInterval(() => this.#expire(), Math.min(50, Math.max(5, this.#timeoutMs / 4)));
    this.#sweep.unref?.();
    if (this.#opts.closedLoopConcurrency !== undefined) {
      const tpl = this.#templates[0];
      if (tpl) this.#workers = this.#transport.openWorkers(tpl.origin, this.#opts.closedLoopConcurrency);
      for (let w = 0; w < this.#workers; w++) this.#closedNext(w);
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
    await this.#transport.close();
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
        this.#send(pickWeighted(s.templates, s.cumWeights), at, Math.floor((at - this.#t0) / 1000));
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

  #send(tpl: RequestTemplate, scheduled: number, sentSecond: number, worker = -1): void {
    const seq = this.#seq++;
    let req;
    try {
      req = tpl.render(tpl.dynamic ? this.#ctx() : undefined, seq, recentPicker(this.#templates));
    } catch (err) {
      // No data yet for `recent.*` (or a missing value): not a request, so not sent.
      if (err instanceof TemplateError) {
        this.#skipped++;
        return;
      }
      throw err;
    }
    tpl.stats.countSent(sentSecond);
    if (this.#inflight.size >= this.#maxInFlight) {
      this.#record({ tpl, seq, vars: req.vars }, scheduled, null, 'client_backlog');
      return;
    }
    const f = new InFlight<Meta>({ tpl, seq, vars: req.vars }, scheduled, scheduled + this.#timeoutMs, this.#onDone, worker);
    this.#inflight.add(f);
    try {
      if (worker >= 0) this.#transport.sendOnWorker(worker, req.opts, f as InFlight<unknown>);
      else this.#transport.send(tpl.origin, req.opts, f as InFlight<unknown>);
    } catch (err) {
      this.#complete(f, null, err);
    }
  }

  #onDone = (f: InFlight<Meta>, status: number | null, err: unknown): void => this.#complete(f, status, err);

  #closedNext(worker: number): void {
    if (!this.#scheduling) return;
    const tpl = this.#templates[0];
    if (!tpl) return;
    const now = performance.now();
    this.#send(tpl, now, Math.floor((now - this.#t0) / 1000), worker);
  }

  #complete(f: InFlight<Meta>, status: number | null, err: unknown): void {
    if (f.done) return;
    f.done = true;
    this.#inflight.delete(f);
    if (!(err instanceof LoadCancelledError)) this.#record(f.meta, f.scheduled, status, err === null ? null : errorKind(err));
    if (f.worker >= 0) queueMicrotask(() => this.#closedNext(f.worker));
    this.#maybeFinish();
  }

  #cancel(f: InFlight<Meta>): void {
    if (f.done) return;
    f.done = true;
    this.#inflight.delete(f);
    f.meta.tpl.stats.cancelled();
    f.controller?.abort(new LoadCancelledError('load stopped'));
    this.#maybeFinish();
  }

  #expire(): void {
    const now = performance.now();
    for (const f of this.#inflight) {
      if (f.deadline > now) break;
      f.done = true;
      this.#inflight.delete(f);
      this.#record(f.meta, f.scheduled, null, 'timeout');
      f.controller?.abort(new LoadCancelledError('timed out'));
    }
    this.#maybeFinish();
  }

  #record(m: Meta, scheduled: number, status: number | null, kind: string | null): void {
    const now = performance.now();
    m.tpl.stats.record(Math.max(0, Math.floor((now - this.#t0) / 1000)), now - scheduled, status, kind);
    if (m.tpl.def.ack && status !== null && status >= 200 && status < 300) {
      const v = m.vars ?? {};
      m.tpl.remember(v);
      this.#opts.onAck?.({ template: m.tpl.def.name, seq: m.seq, status, vars: v, at: Date.now() });
    }
  }

  #select(filter?: string): RequestTemplate[] {
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
    return windowStats(this.#select(filter).map((t) => t.stats), fromS, toS, this.elapsedS());
  }

  /** The last complete second (or the current one during the first second). */
  live(): LiveStats {
    const elapsed = this.elapsedS();
    const sec = Math.max(0, Math.floor(elapsed) - 1);
    const w = this.window(sec, sec + 1);
    const t = totals(this.#templates.map((x) => x.stats));
    return { elapsedS: elapsed, sent: t.sent, completed: t.completed, inFlight: this.#inflight.size, ratePerS: w.requests, errorRate: w.errorRate, p95Ms: w.latencyMs.p95 };
  }

  /** Requests not sent because a template had no value yet (`recent.*` before any ack). */
  get skipped(): number {
    return this.#skipped;
  }

  /** Total sent so far. */
  get sent(): number {
    return this.#templates.reduce((a, t) => a + t.stats.totalSent, 0);
  }

  /** The journal's load section. */
  summary(): LoadSummary {
    const stats = this.#templates.map((t) => t.stats);
    const all = totals(stats);
    const streams = this.#streams.flatMap((s) =>
      s.templates.map((t) => templateSummary(t.stats, t.def.name, `${t.def.method} ${t.def.url}`, s.def.ratePerS * (t.def.weight / (s.cumWeights[s.cumWeights.length - 1] ?? 1)))),
    );
    const total = new LatencyHistogram({ digits: 2 });
    for (const s of streams) total.add(s.latency);
    return {
      target: [...new Set(this.#templates.map((t) => t.origin))].join(', '),
      ratePerS: this.#streams.reduce((a, s) => a + s.def.ratePerS, 0),
      durationS: this.#opts.durationS,
      startedAt: new Date(this.#epoch0 || Date.now()).toISOString(),
      sent: all.sent,
      completed: all.completed,
      errors: all.errors,
      errorRate: all.completed === 0 ? 0 : all.errors / all.completed,
      statusCounts: all.statusCounts,
      errorKinds: all.errorKinds,
      latencyMs: total.summary(),
      timeline: timeline(stats),
      streams: streams.map((s) => s.summary),
    };
  }
}
