import { TaskCancelledError, TimeoutStrategy, timeout as cockatielTimeout, type TimeoutPolicy as CockatielTimeoutPolicy } from 'cockatiel';
import type { Registry } from 'prom-client';
import { TimeoutError, invalidOption } from './errors.js';
import { MetricsRecorder, registerPolicyMetrics, type PolicyMetrics, type RegisterMetricsOptions } from './metrics.js';
import type { PolicyContext, ResiliencePolicy } from './types.js';

/** Options of `timeout`. */
export interface TimeoutOptions {
  /** Whole-call budget; the signal passed to the function aborts when it runs out. */
  readonly totalMs: number;
  /**
   * Connect budget, not enforced by the policy: pass `policy.connectMs` to your client
   * (undici `connect.timeout`, pg `connectionTimeoutMillis`), which knows when a connect ends.
   */
  readonly connectMs?: number;
  /**
   * `cooperative` (default): abort the signal and let the function settle; `aggressive`: also
   * reject at once, leaving the function running in the background.
   */
  readonly strategy?: 'cooperative' | 'aggressive';
}

/** A timeout policy (on cockatiel's `TimeoutPolicy`). Throws `TimeoutError` when the budget runs out. */
export class TimeoutPolicy implements ResiliencePolicy {
  declare readonly _altReturn: never;
  readonly kind = 'timeout';
  readonly totalMs: number;
  /** The connect timeout to hand to your client, or undefined. */
  readonly connectMs: number | undefined;
  private readonly inner: CockatielTimeoutPolicy;
  private readonly recorder = new MetricsRecorder();

  constructor(opts: TimeoutOptions) {
    if (!(opts.totalMs > 0) || !Number.isFinite(opts.totalMs)) invalidOption('totalMs', 'must be a number > 0');
    if (opts.connectMs !== undefined && (!(opts.connectMs > 0) || opts.connectMs > opts.totalMs)) {
      invalidOption('connectMs', 'must be > 0 and <= totalMs');
    }
    this.totalMs = opts.totalMs;
    this.connectMs = opts.connectMs;
    // abortOnReturn: false keeps the inner signal un-aborted after a normal return, so that an
    // aborted inner signal means the timer (or the caller) fired.
    this.inner = cockatielTimeout(opts.totalMs, {
      strategy: opts.strategy === 'aggressive' ? TimeoutStrategy.Aggressive : TimeoutStrategy.Cooperative,
      abortOnReturn: false,
    });
  }

  get onSuccess(): CockatielTimeoutPolicy['onSuccess'] {
    return this.inner.onSuccess;
  }

  get onFailure(): CockatielTimeoutPolicy['onFailure'] {
    return this.inner.onFailure;
  }

  /** Fires when the budget runs out. */
  get onTimeout(): CockatielTimeoutPolicy['onTimeout'] {
    return this.inner.onTimeout;
  }

  /**
   * Runs `fn` with a signal that aborts after `totalMs`.
   * @throws TimeoutError when the budget ran out and the call failed (or, aggressive, did not finish).
   */
  async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    let inner: AbortSignal | undefined;
    this.recorder.attempts++;
    return this.recorder.measure(
      () =>
        this.inner.execute((ctx) => {
          inner = ctx.signal;
          return fn({ signal: ctx.signal, attempt: 1 });
        }, signal),
      (err) => {
        // The inner signal aborts for our timer or the caller's signal; only the timer is a timeout.
        const ours = (inner?.aborted === true && signal?.aborted !== true) || err instanceof TaskCancelledError;
        return ours ? new TimeoutError(this.totalMs, err) : err;
      },
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
 * Builds a timeout policy: the function gets an `AbortSignal` that aborts after `totalMs`;
 * `connectMs` is carried for the caller's client.
 * @throws ValidationError `FL_ERR_RESILIENCE_INVALID_OPTIONS` on bad options.
 * @example
 * const t = timeout({ totalMs: 2000, connectMs: 500 });
 * await t.execute(({ signal }) => request(url, { signal, connectTimeout: t.connectMs }));
 */
export function timeout(opts: TimeoutOptions): TimeoutPolicy {
  return new TimeoutPolicy(opts);
}
