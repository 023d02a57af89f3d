/**
 * What watches a run while it goes: the stop conditions (every second of the load), the
 * steady-state probes `during` the method, and the progress ticker. Each returns its stop function.
 *
 *   load ──every 200 ms──▶ last complete seconds ──▶ condition held N s in a row ──▶ onTrip
 */
import { parseDuration } from '../common/index.js';
import { compare, metricValue, parseMetricExpr } from './activities/metric.js';
import type { FaultRecord } from './journal.js';
import type { LoadGenerator } from './load/index.js';
import { STOP_RE, type StopConditionSpec } from './spec.js';

/** A stop condition in code form: `error_rate > 0.5 for 5s` held `forS` whole seconds. */
export interface StopCondition {
  readonly spec: StopConditionSpec;
  readonly metric: string;
  readonly op: string;
  readonly threshold: number;
  readonly forS: number;
}

/** Parses a validated stop condition (`for` in the one duration grammar, whole seconds, at least 1). */
export function parseStopCondition(spec: StopConditionSpec): StopCondition {
  const m = STOP_RE.exec(spec.condition);
  const expr = parseMetricExpr(m ? (m[1] ?? '') : spec.condition);
  const forMs = m ? parseDuration(m[2] ?? '1s') : 1000;
  return { spec, ...expr, forS: Math.max(1, Math.ceil((typeof forMs === 'number' ? forMs : 1000) / 1000)) };
}

/**
 * Checks every complete second of the load against the conditions; calls `onTrip` once per
 * second a condition has held for its `forS` seconds in a row. Seconds with fewer than
 * `min_requests` completions do not count (and do not break a streak).
 */
export function startStopMonitor(load: LoadGenerator, conditions: readonly StopConditionSpec[], onTrip: (rule: string, value: number, forS: number) => void): () => void {
  if (conditions.length === 0) return () => undefined;
  const conds = conditions.map((c) => ({ ...parseStopCondition(c), streak: 0 }));
  let lastSecond = -1;
  const timer = setInterval(() => {
    const sec = Math.floor(load.elapsedS()) - 1;
    if (sec <= lastSecond || sec < 0) return;
    for (let s = lastSecond + 1; s <= sec; s++) {
      for (const c of conds) {
        const w = load.window(s, s + 1, c.spec.stream);
        if (w.requests < c.spec.minRequests) continue;
        const value = metricValue(c.metric, w);
        c.streak = compare(value, c.op, c.threshold) ? c.streak + 1 : 0;
        if (c.streak >= c.forS) onTrip(c.spec.condition, value, c.forS);
      }
    }
    lastSecond = sec;
  }, 200);
  return () => clearInterval(timer);
}

/** Runs `check` every `intervalS` seconds, skipping a beat while the previous one still runs. */
export function startPeriodic(intervalS: number, check: () => Promise<void>): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void check().finally(() => (busy = false));
  }, intervalS * 1000);
  return () => clearInterval(timer);
}

/** Calls `tick` every `ms` until stopped. */
export function startTicker(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
}

/** Faults running now, as `type@target` (for the progress line). */
export function activeFaults(faults: readonly FaultRecord[]): string[] {
  const now = new Date().toISOString();
  return faults.filter((f) => f.start !== null && f.start <= now && f.end !== null && f.end > now).map((f) => `${f.faultType}@${f.target}`);
}
