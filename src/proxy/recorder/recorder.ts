/**
 * What passed through a proxy: counters, a latency histogram and the last N events, at proxy
 * level and per installed fault. The data path calls the record methods (sync, O(1), no
 * allocation except for events); readers call `snapshot`, which copies and summarises.
 *
 *   data path ──seen/faulted/status/latency/bytes/error──▶ Counters (proxy total)
 *             └─────────────── same, for a fault ────────▶ Counters (per fault id) ──▶ snapshot()
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { LatencySummary, Observation, ProxyEvent } from '../types.js';

/** Level of a recorded event. */
export type EventLevel = ProxyEvent['level'];

/** Record calls for one scope (the whole proxy, or one fault). All are sync and cheap. */
export interface Counters {
  /** `undefined` for the proxy-level scope, else the fault id (toxic name / rule id). */
  readonly id: string | undefined;
  /** One request (HTTP) or connection (TCP) seen. */
  seen(): void;
  /** One request or connection a fault acted on. */
  faulted(): void;
  /** An HTTP status sent to the client; a 5xx also counts as an error. */
  status(code: number): void;
  /** Latency of one request (HTTP) or connection/round trip (TCP), in milliseconds. */
  latency(ms: number): void;
  /** Bytes client -> upstream. */
  bytesIn(n: number): void;
  /** Bytes upstream -> client. */
  bytesOut(n: number): void;
  /** A request/connection that ended in an error with no 5xx status (reset, refused, timeout). */
  error(): void;
  /** A structured event in this scope's ring buffer (a fault's events also reach the proxy's). */
  event(level: EventLevel, msg: string, fields?: Record<string, unknown>): void;
  /** A copy of the figures so far. */
  snapshot(): Observation;
  /** Clears every figure and event of this scope. */
  reset(): void;
}

/** A proxy's recorder: proxy-level counters plus one {@link Counters} per fault id. */
export interface Recorder extends Counters {
  readonly id: undefined;
  /** The counters of one fault id, created on first use; cache the result on the data path. */
  fault(id: string): Counters;
  /** Whether counters exist for that fault id. */
  has(id: string): boolean;
  /** Proxy totals when `faultId` is absent. */
  snapshot(): Observation;
  /** One fault's figures, `undefined` when none were recorded (or they were forgotten). */
  snapshot(faultId: string): Observation | undefined;
  /** Drops a fault's figures. */
  forget(id: string): void;
  /** Clears proxy totals and drops every fault's figures. */
  reset(): void;
  /** Called for every event (proxy and fault scope), e.g. to print it. @returns an unsubscribe function. */
  onEvent(listener: (event: ProxyEvent) => void): () => void;
}

/** Options of {@link createRecorder}. */
export interface RecorderOptions {
  /** Events kept per scope (ring buffer). Default 100. */
  readonly maxEvents?: number;
}

interface StoredEvent {
  readonly t: number;
  readonly level: EventLevel;
  readonly msg: string;
  readonly fields: Record<string, unknown> | undefined;
}

const EMPTY_LATENCY: LatencySummary = { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 };

function newHistogram(): Histogram {
  // Microsecond integers: 1 us resolution, 3 significant digits, grows as needed. Pure JS build.
  return hdr.build({ useWebAssembly: false, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true });
}

const round3 = (us: number): number => Math.round(us) / 1000;

class Scope implements Counters {
  requests = 0;
  faultedCount = 0;
  errors = 0;
  bytesInCount = 0;
  bytesOutCount = 0;
  codes = new Map<number, number>();
  hist: Histogram | undefined;
  ring: (StoredEvent | undefined)[];
  head = 0;
  size = 0;

  constructor(
    readonly id: string | undefined,
    private readonly maxEvents: number,
    private readonly sink: (event: StoredEvent, scope: Scope) => void,
  ) {
    this.ring = new Array<StoredEvent | undefined>(maxEvents);
  }

  seen(): void {
    this.requests++;
  }
  faulted(): void {
    this.faultedCount++;
  }
  status(code: number): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    if (code >= 500) this.errors++;
  }
  latency(ms: number): void {
    if (!(ms >= 0)) return;
    (this.hist ??= newHistogram()).recordValue(Math.max(1, Math.round(ms * 1000)));
  }
  bytesIn(n: number): void {
    this.bytesInCount += n;
  }
  bytesOut(n: number): void {
    this.bytesOutCount += n;
  }
  error(): void {
    this.errors++;
  }
  event(level: EventLevel, msg: string, fields?: Record<string, unknown>): void {
    const e: StoredEvent = { t: Date.now(), level, msg, fields };
    this.push(e);
    this.sink(e, this);
  }
  push(e: StoredEvent): void {
    if (this.maxEvents === 0) return;
    this.ring[this.head] = e;
    this.head = (this.head + 1) % this.maxEvents;
    if (this.size < this.maxEvents) this.size++;
  }
  snapshot(): Observation {
    const statusCodes: Record<string, number> = {};
    for (const [code, n] of this.codes) statusCodes[String(code)] = n;
    const h = this.hist;
    const latencyMs: LatencySummary =
      h === undefined || h.totalCount === 0
        ? EMPTY_LATENCY
        : {
            avg: round3(h.mean),
            p50: round3(h.getValueAtPercentile(50)),
            p95: round3(h.getValueAtPercentile(95)),
            p99: round3(h.getValueAtPercentile(99)),
            max: round3(h.maxValue),
          };
    return {
      requests: this.requests,
      faulted: this.faultedCount,
      statusCodes,
      latencyMs,
      bytesIn: this.bytesInCount,
      bytesOut: this.bytesOutCount,
      errorRate: this.requests === 0 ? 0 : Math.min(1, this.errors / this.requests),
      errors: this.errors,
      logs: this.logs(),
    };
  }
  logs(): ProxyEvent[] {
    const out: ProxyEvent[] = [];
    const start = (this.head - this.size + this.maxEvents) % Math.max(1, this.maxEvents);
    for (let i = 0; i < this.size; i++) {
      const e = this.ring[(start + i) % this.maxEvents];
      if (e !== undefined) out.push(toProxyEvent(e, this.id));
    }
    return out;
  }
  reset(): void {
    this.requests = 0;
    this.faultedCount = 0;
    this.errors = 0;
    this.bytesInCount = 0;
    this.bytesOutCount = 0;
    this.codes = new Map();
    this.hist = undefined;
    this.ring = new Array<StoredEvent | undefined>(this.maxEvents);
    this.head = 0;
    this.size = 0;
  }
}

function toProxyEvent(e: StoredEvent, faultId: string | undefined): ProxyEvent {
  const base: Record<string, unknown> = { time: new Date(e.t).toISOString(), level: e.level, msg: e.msg };
  if (faultId !== undefined) base.fault = faultId;
  if (e.fields !== undefined) for (const [k, v] of Object.entries(e.fields)) if (!(k in base)) base[k] = v;
  return base as ProxyEvent;
}

class ProxyRecorder extends Scope implements Recorder {
  declare readonly id: undefined;
  private readonly faults = new Map<string, Scope>();
  private readonly listeners = new Set<(event: ProxyEvent) => void>();
  private readonly max: number;

  constructor(maxEvents: number) {
    super(undefined, maxEvents, (e, scope) => this.emit(e, scope));
    this.max = maxEvents;
  }

  private emit(e: StoredEvent, scope: Scope): void {
    // A fault's events are also the proxy's: copy them into the proxy ring, tagged with the id.
    if (scope !== this) this.push({ ...e, fields: { fault: scope.id, ...e.fields } });
    if (this.listeners.size === 0) return;
    const pe = toProxyEvent(e, scope.id);
    for (const l of this.listeners) {
      try {
        l(pe);
      } catch {
        // a listener's failure must never reach the data path
      }
    }
  }

  fault(id: string): Counters {
    let s = this.faults.get(id);
    if (s === undefined) {
      s = new Scope(id, this.max, (e, scope) => this.emit(e, scope));
      this.faults.set(id, s);
    }
    return s;
  }
  has(id: string): boolean {
    return this.faults.has(id);
  }
  override snapshot(): Observation;
  override snapshot(faultId: string): Observation | undefined;
  override snapshot(faultId?: string): Observation | undefined {
    if (faultId === undefined) return super.snapshot();
    return this.faults.get(faultId)?.snapshot();
  }
  forget(id: string): void {
    this.faults.delete(id);
  }
  override reset(): void {
    super.reset();
    this.faults.clear();
  }
  onEvent(listener: (event: ProxyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/**
 * Creates a recorder for one proxy.
 * @example
 * const rec = createRecorder();
 * rec.seen(); rec.status(200); rec.latency(1.2);
 * const rule = rec.fault('apply-1'); rule.seen(); rule.faulted();
 * rec.snapshot().requests; // 1
 */
export function createRecorder(options: RecorderOptions = {}): Recorder {
  const maxEvents = options.maxEvents ?? 100;
  if (!Number.isInteger(maxEvents) || maxEvents < 0) throw new RangeError('maxEvents must be a non-negative integer');
  return new ProxyRecorder(maxEvents);
}
