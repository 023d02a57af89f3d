/**
 * The load's statistics: per template, per second of completion, counts, status codes, error
 * kinds and an HDR histogram; windows, the live line and the report's summary are merged from
 * those buckets when asked.
 */
import { LatencyHistogram } from '../../common/index.js';
import type { LatencyStats, LoadStreamSummary, TimelineBucket } from '../journal.js';

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

const newHist = () => new LatencyHistogram({ digits: 2 });

/** Completions in one second for one template. */
class Bucket {
  completed = 0;
  errors = 0;
  timeouts = 0;
  readonly status = new Map<number, number>();
  readonly kinds = new Map<string, number>();
  readonly hist = newHist();
}

export function inc<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

function toRecord<K>(m: Map<K, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) out[String(k)] = v;
  return out;
}

/** Everything recorded for one request template. */
export class TemplateStats {
  /** Per-second completion buckets. */
  readonly buckets: (Bucket | undefined)[] = [];
  /** Per-second sent counts (by scheduled time). */
  readonly sent: number[] = [];
  totalSent = 0;
  totalCompleted = 0;
  totalErrors = 0;
  readonly status = new Map<number, number>();
  readonly kinds = new Map<string, number>();

  /** A request was sent (or refused as backlog) in second `second` of its schedule. */
  countSent(second: number): void {
    this.totalSent++;
    this.sent[second] = (this.sent[second] ?? 0) + 1;
  }

  /**
   * A request completed in second `second` of the load: with a status, or with an error kind.
   * A status of 500 and more, or none, is an error. Backlog refusals have no latency.
   */
  record(second: number, latencyMs: number, status: number | null, kind: string | null): void {
    let b = this.buckets[second];
    if (!b) {
      b = new Bucket();
      this.buckets[second] = b;
    }
    b.completed++;
    this.totalCompleted++;
    if (status === null || status >= 500) {
      b.errors++;
      this.totalErrors++;
    }
    if (status !== null) {
      inc(b.status, status);
      inc(this.status, status);
    } else if (kind !== null) {
      inc(b.kinds, kind);
      inc(this.kinds, kind);
      if (kind === 'timeout') b.timeouts++;
    }
    // One histogram per second and template; totals are merged from them when asked.
    if (kind !== 'client_backlog') b.hist.recordMs(latencyMs);
  }

  /** A request cut when the load stopped. */
  cancelled(): void {
    inc(this.kinds, 'cancelled');
  }

  /** Every latency recorded, merged. */
  latency(): LatencyHistogram {
    const h = newHist();
    for (const b of this.buckets) if (b) h.add(b.hist);
    return h;
  }
}

/** Aggregates completions of `templates` with completion time in seconds [fromS, toS). */
export function windowStats(templates: readonly TemplateStats[], fromS: number, toS: number, elapsedS: number): WindowStats {
  const from = Math.max(0, Math.floor(fromS));
  const to = Math.max(from, Math.ceil(toS));
  const hist = newHist();
  let requests = 0;
  let errors = 0;
  let timeouts = 0;
  const status = new Map<number, number>();
  const kinds = new Map<string, number>();
  for (const t of templates) {
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
  const span = Math.max(1e-9, Math.min(toS, elapsedS) - fromS);
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
    latencyMs: hist.summary(),
  };
}

/** The report's per-second timeline, from second 0 to the last second anything was sent or completed. */
export function timeline(templates: readonly TemplateStats[]): TimelineBucket[] {
  const out: TimelineBucket[] = [];
  const seconds = Math.max(0, ...templates.map((t) => Math.max(t.buckets.length, t.sent.length)));
  for (let sec = 0; sec < seconds; sec++) {
    const hist = newHist();
    const st = new Map<number, number>();
    let sent = 0;
    let ok = 0;
    let errors = 0;
    for (const t of templates) {
      sent += t.sent[sec] ?? 0;
      const b = t.buckets[sec];
      if (!b) continue;
      ok += b.completed - b.errors;
      errors += b.errors;
      for (const [k, v] of b.status) inc(st, k, v);
      hist.add(b.hist);
    }
    const l = hist.summary();
    out.push({ t: sec, sent, ok, errors, statusCounts: toRecord(st), p50: l.p50, p95: l.p95, p99: l.p99, max: l.max });
  }
  return out;
}

/** One template's line in the report (`load.streams[]`). */
export function templateSummary(stats: TemplateStats, name: string, target: string, ratePerS: number): { summary: LoadStreamSummary; latency: LatencyHistogram } {
  const latency = stats.latency();
  return {
    latency,
    summary: {
      name,
      target,
      ratePerS,
      sent: stats.totalSent,
      completed: stats.totalCompleted,
      statusCounts: toRecord(stats.status),
      errorKinds: toRecord(stats.kinds),
      latencyMs: latency.summary(),
    },
  };
}

/** Totals over templates: counts, status codes, error kinds. */
export function totals(templates: readonly TemplateStats[]): { sent: number; completed: number; errors: number; statusCounts: Record<string, number>; errorKinds: Record<string, number> } {
  const status = new Map<string, number>();
  const kinds = new Map<string, number>();
  let sent = 0;
  let completed = 0;
  let errors = 0;
  for (const t of templates) {
    sent += t.totalSent;
    completed += t.totalCompleted;
    errors += t.totalErrors;
    for (const [k, v] of t.status) inc(status, String(k), v);
    for (const [k, v] of t.kinds) inc(kinds, k, v);
  }
  return { sent, completed, errors, statusCounts: toRecord(status), errorKinds: toRecord(kinds) };
}
