import { DelegateBackoff, handleWhen, retry as cockatielRetry, type IRetryBackoffContext, type RetryPolicy as CockatielRetryPolicy } from 'cockatiel';
import type { Registry } from 'prom-client';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { classify } from './classify.js';
import { invalidOption } from './errors.js';
import { MetricsRecorder, registerPolicyMetrics, type PolicyMetrics, type RegisterMetricsOptions } from './metrics.js';
import type { PolicyContext, ResiliencePolicy } from './types.js';

/** What `onRetry` listeners receive, before the delay starts. */
export interface RetryEvent {
  /** The retry about to happen (1 = first retry, i.e. the second attempt). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** Options of `retry`. */
export interface RetryOptions extends BackoffOptions {
  /** Total attempts including the first call (1 = never retry). */
  readonly maxAttempts: number;
  /** Which errors to retry. Default: `classify(err).retryable`. */
  readonly shouldRetry?: (err: unknown) => boolean;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Random source for jitter (seed it to replay a run). Default `Math.random`. */
  readonly rng?: () => number;
}

/** A retry policy (on cockatiel's `RetryPolicy`). */
export class RetryPolicy implements ResiliencePolicy {
  declare readonly _altReturn: never;
  readonly kind = 'retry';
  readonly options: Readonly<RetryOptions>;
  private readonly inner: CockatielRetryPolicy;
  private readonly recorder = new MetricsRecorder();

  constructor(opts: RetryOptions) {
    validate(opts);
    this.options = { ...opts };
    const rng = opts.rng ?? Math.random;
    const shouldRetry = opts.shouldRetry ?? ((err: unknown) => classify(err).retryable);
    const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>, number | undefined>((ctx, previous) => {
      let delay = backoffDelay(opts, ctx.attempt, rng, previous);
      if ('error' in ctx.result) {
        const after = classify(ctx.result.error).retryAfterMs;
        // Honour Retry-After, but never wait longer than the configured cap.
        if (after !== undefined) delay = Math.min(opts.maxDelayMs, Math.max(delay, after));
      }
      return { delay, state: delay };
    });
    this.inner = cockatielRetry(handleWhen((err) => shouldRetry(err)), { maxAttempts: opts.maxAttempts - 1, backoff });
    this.inner.onRetry((e) => {
      this.recorder.retries++;
      opts.onRetry?.({ attempt: e.attempt, delayMs: e.delay, error: 'error' in e ? e.error : e.value });
    });
  }

  get onSuccess(): CockatielRetryPolicy['onSuccess'] {
    return this.inner.onSuccess;
  }

  get onFailure(): CockatielRetryPolicy['onFailure'] {
    return this.inner.onFailure;
  }

  /** Fires before each retry's delay. */
  onRetry(listener: (event: RetryEvent) => void): { dispose(): void } {
    return this.inner.onRetry((e) => listener({ attempt: e.attempt, delayMs: e.delay, error: 'error' in e ? e.error : e.value }));
  }

  /** Runs `fn`, retrying failures that `shouldRetry` accepts, at most `maxAttempts` calls in all. */
  async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    return this.recorder.measure(() =>
      this.inner.execute((ctx) => {
        this.recorder.attempts++;
        return fn({ signal: ctx.signal, attempt: ctx.attempt + 1 });
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

function validate(o: RetryOptions): void {
  if (!['none', 'linear', 'exponential'].includes(o.strategy)) invalidOption('strategy', "must be 'none', 'linear' or 'exponential'");
  if (!['none', 'full', 'decorrelated'].includes(o.jitter)) invalidOption('jitter', "must be 'none', 'full' or 'decorrelated'");
  if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1) invalidOption('maxAttempts', 'must be an integer >= 1');
  if (!(o.initialDelayMs >= 0) || !Number.isFinite(o.initialDelayMs)) invalidOption('initialDelayMs', 'must be a number >= 0');
  if (!(o.maxDelayMs >= o.initialDelayMs) || !Number.isFinite(o.maxDelayMs)) invalidOption('maxDelayMs', 'must be a number >= initialDelayMs');
}

/**
 * Builds a retry policy: `none`, `linear` (base x attempt) or `exponential`
 * (base x 2^(attempt-1)) backoff, capped at `maxDelayMs`, with optional jitter, honouring
 * `Retry-After` on 429/503. Retries what `classify` calls retryable unless `shouldRetry` says otherwise.
 * @throws ValidationError `FL_ERR_RESILIENCE_INVALID_OPTIONS` on bad options.
 * @example
 * const r = retry({ strategy: 'exponential', initialDelayMs: 100, maxDelayMs: 2000, maxAttempts: 4, jitter: 'full' });
 * await r.execute(({ signal }) => fetch(url, { signal }));
 */
export function retry(opts: RetryOptions): RetryPolicy {
  return new RetryPolicy(opts);
}
