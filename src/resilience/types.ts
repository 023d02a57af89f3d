import type { IDefaultPolicyContext, IPolicy } from 'cockatiel';
import type { PolicyMetrics, RegisterMetricsOptions } from './metrics.js';
import type { Registry } from 'prom-client';

/** What a protected function receives: the signal to honour and the attempt number (1 = first). */
export interface PolicyContext extends IDefaultPolicyContext {
  readonly signal: AbortSignal;
  readonly attempt: number;
}

/**
 * A faultline policy: a cockatiel `IPolicy` (so it composes in cockatiel's and faultline's
 * `wrap`) that also keeps metrics. `Alt` is the type a fallback may return instead.
 */
export interface ResiliencePolicy<Alt = never> extends IPolicy<IDefaultPolicyContext, Alt> {
  execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T | Alt>;
  /** Counters and latency percentiles as a plain object. */
  metrics(): PolicyMetrics;
  /** Exposes `metrics()` on a prom-client registry. */
  registerMetrics(registry: Registry, opts?: RegisterMetricsOptions): void;
}
