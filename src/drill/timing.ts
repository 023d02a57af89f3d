/**
 * Whether the load leaves room for the steady state "after" the faults: a window probe measures
 * the load after the last fault's end (plus the request timeout); when the method can end later
 * than the load, that window is empty and the probe is inconclusive. Validation warns.
 */
import type { FieldIssue } from '../plan/index.js';
import { useOf } from './activities/index.js';
import type { DrillWire } from './spec.js';

/** A warning when a fault in the method can end too late for the after-window, else undefined. */
export function afterWindowWarning(d: DrillWire): FieldIssue | undefined {
  if (!d.load) return undefined;
  const windowed = d.steady_state.probes.some((p) => useOf(p.kind, 'probe')?.windowed === true);
  if (!windowed) return undefined;
  const settleS = d.load.timeout_ms / 1000;
  let t = d.baseline_s ?? 3;
  let latest: { endS: number; index: number } | undefined;
  d.method.forEach((s, index) => {
    const timing = useOf(s.kind, 'step')?.timing?.(s as never) ?? {};
    if (timing.endsAfterS !== undefined && (latest === undefined || t + timing.endsAfterS > latest.endS)) latest = { endS: t + timing.endsAfterS, index };
    t += timing.blocksS ?? 0;
  });
  if (latest === undefined || latest.endS + settleS < d.load.duration_s) return undefined;
  return {
    path: `method[${latest.index}]`,
    message: `can end ${Math.round(latest.endS)} s into the load (+${settleS} s request timeout), but load.duration_s is ${d.load.duration_s}: the steady state 'after' would have no data (inconclusive); lengthen load.duration_s`,
  };
}
