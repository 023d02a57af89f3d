import { fallback as cockatielFallback, handleWhen, type FallbackPolicy as CockatielFallbackPolicy } from 'cockatiel';
import type { Registry } from 'prom-client';
import { MetricsRecorder, registerPolicyMetrics, type PolicyMetrics, type RegisterMetricsOptions } from './metrics.js';
import type { PolicyContext, ResiliencePolicy } from './types.js';

/** Options of `fallback`. */
export interface FallbackOptions {
  /** Which errors get the fallback; others propagate. Default: every error. */
  readonly shouldHandle?: (err: unknown) => boolean;
}

/** Returns a substitute value when the call fails (on cockatiel's `FallbackPolicy`). */
export class FallbackPolicy<R> implements ResiliencePolicy<R> {
  declare readonly _altReturn: R;
  readonly kind = 'fallback';
  private readonly inner: CockatielFallbackPolicy<R>;
  private readonly recorder = new MetricsRecorder();
  private fallbacks = 0;

  constructor(valueOrFn: R | (() => R | Promise<R>), opts: FallbackOptions = {}) {
    const shouldHandle = opts.shouldHandle ?? (() => true);
    const produce = typeof valueOrFn === 'function' ? (valueOrFn as () => R | Promise<R>) : () => valueOrFn;
    this.inner = cockatielFallback(
      handleWhen((err) => shouldHandle(err)),
      () => {
        this.fallbacks++;
        return produce();
      },
    );
  }

  get onSuccess(): CockatielFallbackPolicy<R>['onSuccess'] {
    return this.inner.onSuccess;
  }

  get onFailure(): CockatielFallbackPolicy<R>['onFailure'] {
    return this.inner.onFailure;
  }

  /** How many calls were answered by the fallback. */
  get fallbackCount(): number {
    return this.fallbacks;
  }

  /** Runs `fn`; if it throws an error `shouldHandle` accepts, returns the fallback instead. */
  async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T | R> {
    return this.recorder.measure(() =>
      this.inner.execute((ctx) => {
        this.recorder.attempts++;
        return fn({ signal: ctx.signal, attempt: 1 });
      }, signal),
    );
  }

  metrics(): PolicyMetrics {
    return this.recorder.metrics();
  }

  registerMetrics(registry: Registry, opts?: RegisterMetricsOptions): void {
    registerPolicyMetrics(this, registry, opts);
  }
}

/**
 * Builds a fallback: a value, or a function producing one, returned when the call fails.
 * @example
 * const f = fallback(() => cachedPrices(), { shouldHandle: (e) => classify(e).retryable });
 */
export function fallback<R>(valueOrFn: R | (() => R | Promise<R>), opts?: FallbackOptions): FallbackPolicy<R> {
  return new FallbackPolicy<R>(valueOrFn, opts);
}
