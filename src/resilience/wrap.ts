import { RetryPolicy as CockatielRetryPolicy, type IDefaultPolicyContext, type IPolicy } from 'cockatiel';
import type { Registry } from 'prom-client';
import { MetricsRecorder, registerPolicyMetrics, type MetricsSource, type PolicyMetrics, type RegisterMetricsOptions } from './metrics.js';
import { neverAbortedSignal } from './signal.js';
import type { PolicyContext } from './types.js';

/** Anything `wrap` composes: faultline policies, injectors, or plain cockatiel policies. */
export type AnyPolicy = IPolicy<IDefaultPolicyContext, unknown>;

/** Several policies run as one, outermost first; keeps metrics of the whole. */
export interface WrappedPolicy {
  readonly policies: readonly AnyPolicy[];
  /**
   * Runs `fn` through every policy. `fn` receives the innermost signal and the attempt number
   * of the nearest enclosing retry (1 = first).
   */
  execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T>;
  /** Counts for whole executions; attempts are passes below the innermost retry; breaker counts add up the breakers inside. */
  metrics(): PolicyMetrics;
  registerMetrics(registry: Registry, opts?: RegisterMetricsOptions): void;
}

function isRetry(p: AnyPolicy): boolean {
  return (p as { kind?: unknown }).kind === 'retry' || p instanceof CockatielRetryPolicy;
}

function hasMetrics(p: unknown): p is MetricsSource {
  return typeof (p as { metrics?: unknown }).metrics === 'function';
}

/**
 * Composes injectors and policies into one, outermost first (cockatiel's `wrap` order).
 * A fallback's value type is the caller's to match with `T`.
 * @example
 * const policy = wrap(fallback(null), retry({...}), circuitBreaker({...}), timeout({ totalMs: 500 }), injector);
 * const user = await policy.execute(({ signal }) => db.getUser(id, { signal }));
 */
export function wrap(...policies: AnyPolicy[]): WrappedPolicy {
  const list = [...policies];
  const retryAt = list.map(isRetry);
  const cockatielRetry = list.map((p) => p instanceof CockatielRetryPolicy);
  // An attempt is one pass below the innermost retry, so faults injected there count too.
  const attemptAt = retryAt.lastIndexOf(true) + 1;
  const recorder = new MetricsRecorder(list.filter(hasMetrics) as unknown as MetricsSource[]);
  const wrapped: WrappedPolicy = {
    policies: list,
    async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
      let calls = 0;
      const run = (ctx: PolicyContext, i: number): PromiseLike<T> | T => {
        if (i === attemptAt) {
          calls++;
          recorder.attempts++;
        }
        if (i === list.length) return fn(ctx);
        const p = list[i] as AnyPolicy;
        return p.execute((next: IDefaultPolicyContext & { attempt?: number }) => {
          let attempt = ctx.attempt;
          if (retryAt[i] && typeof next.attempt === 'number') attempt = cockatielRetry[i] ? next.attempt + 1 : next.attempt;
          return run({ signal: next.signal, attempt }, i + 1);
        }, ctx.signal) as PromiseLike<T>;
      };
      try {
        return await recorder.measure(async () => run({ signal: signal ?? neverAbortedSignal, attempt: 1 }, 0));
      } finally {
        recorder.retries += Math.max(0, calls - 1);
      }
    },
    metrics: () => recorder.metrics(),
    registerMetrics(registry: Registry, opts?: RegisterMetricsOptions) {
      registerPolicyMetrics(wrapped, registry, opts);
    },
  };
  return wrapped;
}
