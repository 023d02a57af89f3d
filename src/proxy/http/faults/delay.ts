/**
 * `delay`: holds matching requests (or their responses) for `delay_ms`, or for a draw from a
 * uniform, normal or pareto distribution. Removing the rule releases what it holds.
 */
import { MAX_TIMER_MS, type FaultConfigOf } from '../../../plan/index.js';
import type { HttpFaultDef } from '../fault.js';

type DelayConfig = FaultConfigOf<'delay'>;

/** Returns a sampler of delays in ms for a `delay` fault's config (never negative, never beyond Node's timer range). */
export function delaySampler(config: DelayConfig): () => number {
  const draw = sampler(config);
  return () => Math.min(draw(), MAX_TIMER_MS);
}

function sampler(config: DelayConfig): () => number {
  if (config.delayMs !== undefined) {
    const ms = config.delayMs;
    return () => ms;
  }
  const d = config.distribution;
  if (d === undefined) return () => 0;
  switch (d.type) {
    case 'uniform': {
      const { minMs, maxMs } = d;
      return () => minMs + Math.random() * (maxMs - minMs);
    }
    case 'normal': {
      const { meanMs, stddevMs } = d;
      return () => Math.max(0, meanMs + stddevMs * gaussian());
    }
    case 'pareto': {
      const { scaleMs, shape } = d;
      const cap = d.maxMs ?? Number.POSITIVE_INFINITY;
      // Inverse CDF: x = scale / U^(1/shape), U in (0, 1].
      return () => Math.min(cap, scaleMs / Math.pow(1 - Math.random(), 1 / shape));
    }
  }
}

/** A standard normal draw (Box–Muller). */
function gaussian(): number {
  const u = 1 - Math.random();
  const v = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The `delay` HTTP fault. */
export const delay: HttpFaultDef<'delay'> = {
  type: 'delay',
  create: (config) => ({ phase: config.phase, delayMs: delaySampler(config) }),
};
