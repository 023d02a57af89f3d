import { BulkheadRejectedError, bulkhead as cockatielBulkhead, type BulkheadPolicy as CockatielBulkheadPolicy } from 'cockatiel';
import type { Registry } from 'prom-client';
import { BulkheadFullError, invalidOption } from './errors.js';
import { MetricsRecorder, registerPolicyMetrics, type PolicyMetrics, type RegisterMetricsOptions } from './metrics.js';
import type { PolicyContext, ResiliencePolicy } from './types.js';

/** Options of `bulkhead`. */
export interface BulkheadOptions {
  /** Calls running at once. */
  readonly maxConcurrent: number;
  /** Calls waiting for a slot; more are rejected at once. Default 0. */
  readonly maxQueue?: number;
}

/** A concurrency limiter (on cockatiel's `BulkheadPolicy`). */
export class BulkheadPolicy implements ResiliencePolicy {
  declare readonly _altReturn: never;
  readonly kind = 'bulkhead';
  private readonly inner: CockatielBulkheadPolicy;
  private readonly recorder = new MetricsRecorder();
  private readonly maxConcurrent: number;
  private readonly maxQueue: number;

  constructor(opts: BulkheadOptions) {
    if (!Number.isInteger(opts.maxConcurrent) || opts.maxConcurrent < 1) invalidOption('maxConcurrent', 'must be an integer >= 1');
    const q = opts.maxQueue ?? 0;
    if (!Number.isInteger(q) || q < 0) invalidOption('maxQueue', 'must be an integer >= 0');
    this.maxConcurrent = opts.maxConcurrent;
    this.maxQueue = q;
    this.inner = cockatielBulkhead(opts.maxConcurrent, q);
  }

  get onSuccess(): CockatielBulkheadPolicy['onSuccess'] {
    return this.inner.onSuccess;
  }

  get onFailure(): CockatielBulkheadPolicy['onFailure'] {
    return this.inner.onFailure;
  }

  /** Free execution slots right now. */
  get executionSlots(): number {
    return this.inner.executionSlots;
  }

  /** Free queue slots right now. */
  get queueSlots(): number {
    return this.inner.queueSlots;
  }

  /**
   * Runs `fn` when a slot is free.
   * @throws BulkheadFullError (`FL_ERR_RESILIENCE_BULKHEAD_FULL`) when every slot and queue place is taken.
   */
  async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    return this.recorder.measure(
      () =>
        this.inner.execute((ctx) => {
          this.recorder.attempts++;
          return fn({ signal: ctx.signal, attempt: 1 });
        }, signal),
      (err) => (err instanceof BulkheadRejectedError ? new BulkheadFullError(this.maxConcurrent, this.maxQueue, err) : err),
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
 * Builds a bulkhead: at most `maxConcurrent` calls run, `maxQueue` wait, the rest are rejected.
 * @throws ValidationError `FL_ERR_RESILIENCE_INVALID_OPTIONS` on bad options.
 */
export function bulkhead(opts: BulkheadOptions): BulkheadPolicy {
  return new BulkheadPolicy(opts);
}
