import { LatencyHistogram } from '../common/index.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { classify } from './classify.js';
import { invalidOption } from './errors.js';

/** A policy's counters and latency percentiles, as a plain JSON-safe object. */
export interface PolicyMetrics {
  /** Calls of the protected function (each retry is one more attempt). */
  readonly attempts: number;
  readonly retries: number;
  /** Executions that returned a value (after retries, breaker, fallback). */
  readonly successes: number;
  /** Executions that threw. */
  readonly failures: number;
  /** Failures counted by `classify(err).kind`. */
  readonly failuresByKind: Readonly<Record<string, number>>;
  readonly breakerOpens: number;
  readonly breakerHalfOpens: number;
  /** Latency of whole executions, from an HDR histogram (microsecond resolution). */
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
}

/** Options for `registerMetrics`. */
export interface RegisterMetricsOptions {
  /** Metric name prefix, e.g. `payments_db` gives `payments_db_attempts_total`. Default `faultline_policy`. */
  readonly prefix?: string;
  /** Constant labels that tell this policy apart from others sharing the prefix. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Anything that can report `PolicyMetrics`. */
export interface MetricsSource {
  metrics(): PolicyMetrics;
}

/**
 * Records what a policy saw. One per policy; cheap enough for every call (a few increments and
 * one histogram record).
 */
export class MetricsRecorder implements MetricsSource {
  attempts = 0;
  retries = 0;
  successes = 0;
  failures = 0;
  breakerOpens = 0;
  breakerHalfOpens = 0;
  private readonly byKind = new Map<string, number>();
  private readonly histogram = new LatencyHistogram();
  /** Adds breaker counts of child policies (used by `wrap`). */
  private readonly children: MetricsSource[] = [];

  constructor(children: readonly MetricsSource[] = []) {
    this.children.push(...children);
  }

  success(durationMs: number): void {
    this.successes++;
    this.record(durationMs);
  }

  failure(err: unknown, durationMs: number): void {
    this.failures++;
    const kind = classify(err).kind;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    this.record(durationMs);
  }

  /**
   * Times one execution of `run` and records its outcome. A failure is first passed through
   * `mapError` (e.g. cockatiel's error to faultline's), recorded, and rethrown mapped.
   */
  async measure<T>(run: () => PromiseLike<T>, mapError: (err: unknown) => unknown = (err) => err): Promise<T> {
    const start = performance.now();
    try {
      const value = await run();
      this.success(performance.now() - start);
      return value;
    } catch (err) {
      const out = mapError(err);
      this.failure(out, performance.now() - start);
      throw out;
    }
  }

  private record(durationMs: number): void {
    this.histogram.recordMs(durationMs);
  }

  metrics(): PolicyMetrics {
    let opens = this.breakerOpens;
    let halfOpens = this.breakerHalfOpens;
    for (const c of this.children) {
      const m = c.metrics();
      opens += m.breakerOpens;
      halfOpens += m.breakerHalfOpens;
    }
    const h = this.histogram;
    return {
      attempts: this.attempts,
      retries: this.retries,
      successes: this.successes,
      failures: this.failures,
      failuresByKind: Object.fromEntries(this.byKind),
      breakerOpens: opens,
      breakerHalfOpens: halfOpens,
      latencyMs: { p50: h.percentileMs(50), p95: h.percentileMs(95), p99: h.percentileMs(99), max: h.maxMs },
    };
  }

  /** Clears every counter and the histogram. */
  reset(): void {
    this.attempts = this.retries = this.successes = this.failures = this.breakerOpens = this.breakerHalfOpens = 0;
    this.byKind.clear();
    this.histogram.reset();
  }
}

interface Registered {
  readonly labelNames: readonly string[];
  readonly sources: Map<MetricsSource, Readonly<Record<string, string>>>;
}

const registries = new WeakMap<Registry, Map<string, Registered>>();

/**
 * Exposes a policy's metrics on a prom-client registry, read at scrape time:
 * `<prefix>_attempts_total`, `_retries_total`, `_successes_total`, `_failures_total{kind}`,
 * `_breaker_opens_total`, `_breaker_half_opens_total`, `_latency_ms{quantile}`. Several policies
 * may share a prefix when their label names match and their label values differ.
 * @throws FaultlineError `FL_ERR_RESILIENCE_INVALID_OPTIONS` when the label names differ from
 * those already registered under the prefix.
 */
export function registerPolicyMetrics(source: MetricsSource, registry: Registry, opts: RegisterMetricsOptions = {}): void {
  const prefix = opts.prefix ?? 'faultline_policy';
  const labels = opts.labels ?? {};
  const labelNames = Object.keys(labels).sort();
  let byPrefix = registries.get(registry);
  if (!byPrefix) {
    byPrefix = new Map();
    registries.set(registry, byPrefix);
  }
  const existing = byPrefix.get(prefix);
  if (existing) {
    if (existing.labelNames.join(',') !== labelNames.join(',')) {
      invalidOption('labels', `prefix '${prefix}' is registered with labels [${existing.labelNames.join(', ')}]`);
    }
    existing.sources.set(source, labels);
    return;
  }
  const entry: Registered = { labelNames, sources: new Map([[source, labels]]) };
  byPrefix.set(prefix, entry);

  const counter = (name: string, help: string, pick: (m: PolicyMetrics) => number): void => {
    new Counter({
      name: `${prefix}_${name}`,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [src, l] of entry.sources) this.inc(l, pick(src.metrics()));
      },
    });
  };
  counter('attempts_total', 'Calls of the protected function, retries included.', (m) => m.attempts);
  counter('retries_total', 'Retries made.', (m) => m.retries);
  counter('successes_total', 'Executions that returned a value.', (m) => m.successes);
  counter('breaker_opens_total', 'Times the circuit breaker opened.', (m) => m.breakerOpens);
  counter('breaker_half_opens_total', 'Times the circuit breaker went half-open.', (m) => m.breakerHalfOpens);
  new Counter({
    name: `${prefix}_failures_total`,
    help: 'Executions that threw, by classified kind.',
    labelNames: [...labelNames, 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [src, l] of entry.sources) {
        for (const [kind, n] of Object.entries(src.metrics().failuresByKind)) this.inc({ ...l, kind }, n);
      }
    },
  });
  new Gauge({
    name: `${prefix}_latency_ms`,
    help: 'Execution latency percentiles in milliseconds (HDR histogram).',
    labelNames: [...labelNames, 'quantile'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [src, l] of entry.sources) {
        const { p50, p95, p99, max } = src.metrics().latencyMs;
        this.set({ ...l, quantile: '0.5' }, p50);
        this.set({ ...l, quantile: '0.95' }, p95);
        this.set({ ...l, quantile: '0.99' }, p99);
        this.set({ ...l, quantile: '1' }, max);
      }
    },
  });
}
