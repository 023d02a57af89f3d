/**
 * `metric`: a comparison over the drill's own load in a window (`error_rate <= 0.01` over the
 * inject phase). A window with too few completed requests proves nothing: the probe is
 * `inconclusive`, neither held nor violated.
 */
import { z } from 'zod';
import type { WindowStats } from '../load/index.js';
import { name, positiveSeconds, probeCommon, text } from './fields.js';
import { defineActivity, probeUse } from './types.js';

/** `error_rate <= 0.01`, `latency_p95_ms < 300`, `status_5xx == 0`, `rate_per_s >= 40`. */
export const METRIC_RE = /^\s*(error_rate|latency_p50_ms|latency_p95_ms|latency_p99_ms|latency_max_ms|latency_mean_ms|rate_per_s|requests|errors|timeouts|status_\d{3}|status_\dxx)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export const metricExpr = text.regex(METRIC_RE, {
  error: 'must be `<metric> <op> <number>`, metric one of error_rate, latency_p50_ms, latency_p95_ms, latency_p99_ms, latency_max_ms, latency_mean_ms, rate_per_s, requests, errors, timeouts, status_NNN, status_Nxx; op one of < <= > >= == !=',
});

const VALUES: Readonly<Record<string, (w: WindowStats) => number>> = {
  error_rate: (w) => w.errorRate,
  latency_p50_ms: (w) => w.latencyMs.p50,
  latency_p95_ms: (w) => w.latencyMs.p95,
  latency_p99_ms: (w) => w.latencyMs.p99,
  latency_max_ms: (w) => w.latencyMs.max,
  latency_mean_ms: (w) => w.latencyMs.mean,
  rate_per_s: (w) => w.ratePerS,
  requests: (w) => w.requests,
  errors: (w) => w.errors,
  timeouts: (w) => w.timeouts,
};

/** The value of a load metric over a window. */
export function metricValue(metric: string, w: WindowStats): number {
  const named = VALUES[metric];
  if (named) return named(w);
  const exact = /^status_(\d{3})$/.exec(metric);
  if (exact) return w.statusCounts[exact[1]!] ?? 0;
  const klass = /^status_(\d)xx$/.exec(metric);
  if (klass) return Object.entries(w.statusCounts).reduce((a, [k, v]) => (k.startsWith(klass[1]!) ? a + v : a), 0);
  throw new Error(`unknown metric '${metric}'`);
}

const OPS: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/** `a op b`. */
export function compare(a: number, op: string, b: number): boolean {
  return OPS[op]?.(a, b) ?? false;
}

/** Parses `error_rate <= 0.01`. */
export function parseMetricExpr(expr: string): { metric: string; op: string; threshold: number } {
  const m = METRIC_RE.exec(expr);
  if (!m) throw new Error(`not a metric expression: ${expr}`);
  return { metric: m[1]!, op: m[2]!, threshold: Number(m[3]) };
}

export const metric = defineActivity({
  kind: 'metric',
  probe: probeUse({
    render: false,
    windowed: true,
    validate(p, v) {
      if (!v.hasLoad) v.issue(['metric'], 'a metric probe needs a load section');
      else if (p.stream !== undefined && !v.streams.has(p.stream)) v.issue(['stream'], `no load stream or template named '${p.stream}'`);
    },
    schema: z.strictObject({
      kind: z.literal('metric'),
      ...probeCommon,
      metric: metricExpr,
      /** The last N seconds of the load; default: the whole load so far. */
      window_s: positiveSeconds.optional(),
      /** Or the load during one phase (`inject`) / all of it. */
      window: z.enum(['all', 'baseline', 'inject', 'recover'], { error: 'must be all, baseline, inject or recover' }).optional(),
      /** Only this load stream. */
      stream: name.optional(),
      /** Fewer completed requests than this in the window: the probe is inconclusive (no data proves nothing). */
      min_requests: z.number().int().min(0).default(1),
      output: name.optional(),
    }),
    async run(p, env) {
      const load = env.load;
      if (!load) return { ok: false, value: null, expected: p.metric, message: 'no load is running' };
      const { metric: m, op, threshold } = parseMetricExpr(p.metric);
      const elapsed = load.elapsedS();
      let fromS = 0;
      let toS = elapsed + 1;
      if (p.windowS !== undefined) fromS = Math.max(0, elapsed - p.windowS);
      else if (p.window !== undefined && p.window !== 'all') {
        const w = env.phaseWindow?.(p.window);
        if (!w) return { ok: false, value: null, expected: p.metric, message: `phase ${p.window} has not run` };
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
      if (w.requests < p.minRequests) {
        return { ok: false, inconclusive: true, value: null, expected: p.metric, message: `${w.requests} requests completed in the window (fewer than ${p.minRequests}): no data` };
      }
      const value = metricValue(m, w);
      const ok = compare(value, op, threshold);
      const rounded = Math.round(value * 10_000) / 10_000;
      return {
        ok,
        value: rounded,
        expected: p.metric,
        message: `${m} = ${rounded} over ${w.requests} requests (${fromS.toFixed(0)}-${Math.min(toS, elapsed).toFixed(0)} s)${ok ? '' : `, expected ${op} ${threshold}`}`,
        output: { value: rounded, requests: w.requests, errors: w.errors, status_counts: w.statusCounts, latency_ms: w.latencyMs },
      };
    },
  }),
});
