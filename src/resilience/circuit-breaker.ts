import { EventEmitter, type IFailureEvent, type ISuccessEvent } from 'cockatiel';
import type { Registry } from 'prom-client';
import { classify } from './classify.js';
import { neverAbortedSignal } from './signal.js';
import { CircuitOpenError, invalidOption } from './errors.js';
import { MetricsRecorder, registerPolicyMetrics, type PolicyMetrics, type RegisterMetricsOptions } from './metrics.js';
import type { PolicyContext, ResiliencePolicy } from './types.js';

/** The breaker's state name, as reported by `state` and `onStateChange`. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Internal state; a discriminated union so that an impossible state cannot be written. */
type BreakerState =
  | { readonly kind: 'closed'; readonly failures: number }
  | { readonly kind: 'open'; readonly openedAt: number }
  | { readonly kind: 'half_open'; readonly admitted: number; readonly successes: number };

/** What `onStateChange` listeners receive. */
export interface StateChange {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** The clock's time of the change. */
  readonly at: number;
}

/** Options of `circuitBreaker`. */
export interface CircuitBreakerOptions {
  /** Consecutive counted failures that open the breaker from closed. */
  readonly failureThreshold: number;
  /** How long the breaker stays open before it lets trial calls through. */
  readonly resetTimeoutMs: number;
  /** Trial calls admitted while half-open; more are rejected until the trial settles. */
  readonly halfOpenMaxCalls: number;
  /** Successful trial calls that close the breaker (<= halfOpenMaxCalls). */
  readonly successThreshold: number;
  /**
   * Which errors count as failures. Default: all but the caller's own mistakes (non-retryable
   * 4xx such as 400, 404, 409, 422), which say the dependency is up. Errors not counted act as
   * successes.
   */
  readonly shouldCount?: (err: unknown) => boolean;
  /** Clock in ms; inject a fake clock in tests or a logical clock in a replayable drill. Default `Date.now`. */
  readonly now?: () => number;
}

const CLIENT_KINDS = new Set(['bad_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'unprocessable', 'client_error']);

/**
 * A circuit breaker with a multi-call half-open state (cockatiel allows one trial call,
 * cockatiel#73), built on cockatiel's `IPolicy` interface so that it composes in `wrap`.
 *
 * ```
 *  closed --failureThreshold consecutive failures--> open --resetTimeoutMs--> half_open
 *    ^                                                 ^                        |
 *    +------------- successThreshold successes --------|------------------------+
 *                                                      +---- any trial failure -+
 * ```
 */
export class CircuitBreakerPolicy implements ResiliencePolicy {
  declare readonly _altReturn: never;
  readonly kind = 'circuit_breaker';
  readonly options: Readonly<Omit<CircuitBreakerOptions, 'now' | 'shouldCount'>>;
  private current: BreakerState = { kind: 'closed', failures: 0 };
  /** Bumped on every state change; a call's outcome only counts in the epoch that admitted it. */
  private epoch = 0;
  private readonly now: () => number;
  private readonly shouldCount: (err: unknown) => boolean;
  private readonly recorder = new MetricsRecorder();
  private readonly stateEmitter = new EventEmitter<StateChange>();
  private readonly successEmitter = new EventEmitter<ISuccessEvent>();
  private readonly failureEmitter = new EventEmitter<IFailureEvent>();
  /** Fires on every state change, before the call that caused it settles. */
  readonly onStateChange = this.stateEmitter.addListener;
  readonly onSuccess = this.successEmitter.addListener;
  readonly onFailure = this.failureEmitter.addListener;

  constructor(opts: CircuitBreakerOptions) {
    const int = (name: keyof CircuitBreakerOptions, v: number): void => {
      if (!Number.isInteger(v) || v < 1) invalidOption(name, 'must be an integer >= 1');
    };
    int('failureThreshold', opts.failureThreshold);
    int('halfOpenMaxCalls', opts.halfOpenMaxCalls);
    int('successThreshold', opts.successThreshold);
    if (!(opts.resetTimeoutMs >= 0) || !Number.isFinite(opts.resetTimeoutMs)) invalidOption('resetTimeoutMs', 'must be a number >= 0');
    if (opts.successThreshold > opts.halfOpenMaxCalls) invalidOption('successThreshold', 'must be <= halfOpenMaxCalls');
    this.options = {
      failureThreshold: opts.failureThreshold,
      resetTimeoutMs: opts.resetTimeoutMs,
      halfOpenMaxCalls: opts.halfOpenMaxCalls,
      successThreshold: opts.successThreshold,
    };
    this.now = opts.now ?? Date.now;
    this.shouldCount = opts.shouldCount ?? ((err) => !CLIENT_KINDS.has(classify(err).kind));
  }

  /** The current state; an open breaker whose reset timeout has passed reads `half_open`. */
  get state(): CircuitState {
    this.tick();
    return this.current.kind;
  }

  /** Fires when the breaker opens. */
  onBreak(listener: () => void): { dispose(): void } {
    return this.onStateChange((c) => c.to === 'open' && listener());
  }

  /** Fires when the breaker goes half-open. */
  onHalfOpen(listener: () => void): { dispose(): void } {
    return this.onStateChange((c) => c.to === 'half_open' && listener());
  }

  /** Fires when the breaker closes again. */
  onReset(listener: () => void): { dispose(): void } {
    return this.onStateChange((c) => c.to === 'closed' && listener());
  }

  /**
   * Runs `fn` unless the breaker is open.
   * @throws CircuitOpenError (`FL_ERR_RESILIENCE_CIRCUIT_OPEN`) without calling `fn` when open,
   * or when half-open with every trial slot taken.
   */
  async execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    this.tick();
    const s = this.current;
    if (s.kind === 'open') {
      const err = new CircuitOpenError('open', s.openedAt + this.options.resetTimeoutMs - this.now());
      this.recorder.failure(err, 0);
      throw err;
    }
    if (s.kind === 'half_open') {
      if (s.admitted >= this.options.halfOpenMaxCalls) {
        const err = new CircuitOpenError('half_open', 0);
        this.recorder.failure(err, 0);
        throw err;
      }
      this.current = { ...s, admitted: s.admitted + 1 };
    }
    const epoch = this.epoch;
    const start = performance.now();
    this.recorder.attempts++;
    try {
      const value = await fn({ signal: signal ?? neverAbortedSignal, attempt: 1 });
      const duration = performance.now() - start;
      this.settle(true, epoch);
      this.recorder.success(duration);
      this.successEmitter.emit({ duration });
      return value;
    } catch (err) {
      const duration = performance.now() - start;
      const counted = this.shouldCount(err);
      this.settle(!counted, epoch);
      this.recorder.failure(err, duration);
      this.failureEmitter.emit({ duration, handled: counted, reason: { error: err as Error } });
      throw err;
    }
  }

  /** Forces the breaker closed (operator action). */
  reset(): void {
    this.transition({ kind: 'closed', failures: 0 });
  }

  private settle(ok: boolean, epoch: number): void {
    // Admitted before the breaker changed state: the outcome is stale; ignore it.
    if (epoch !== this.epoch) return;
    const s = this.current;
    if (s.kind === 'closed') {
      if (ok) {
        if (s.failures !== 0) this.current = { kind: 'closed', failures: 0 };
      } else if (s.failures + 1 >= this.options.failureThreshold) {
        this.transition({ kind: 'open', openedAt: this.now() });
      } else {
        this.current = { kind: 'closed', failures: s.failures + 1 };
      }
    } else if (s.kind === 'half_open') {
      if (!ok) {
        this.transition({ kind: 'open', openedAt: this.now() });
      } else if (s.successes + 1 >= this.options.successThreshold) {
        this.transition({ kind: 'closed', failures: 0 });
      } else {
        this.current = { ...s, successes: s.successes + 1 };
      }
    }
  }

  private tick(): void {
    const s = this.current;
    if (s.kind === 'open' && this.now() - s.openedAt >= this.options.resetTimeoutMs) {
      this.transition({ kind: 'half_open', admitted: 0, successes: 0 });
    }
  }

  private transition(next: BreakerState): void {
    const from = this.current.kind;
    this.current = next;
    if (from === next.kind) return;
    this.epoch++;
    if (next.kind === 'open') this.recorder.breakerOpens++;
    if (next.kind === 'half_open') this.recorder.breakerHalfOpens++;
    this.stateEmitter.emit({ from, to: next.kind, at: this.now() });
  }

  metrics(): PolicyMetrics {
    return this.recorder.metrics();
  }

  registerMetrics(registry: Registry, opts?: RegisterMetricsOptions): void {
    registerPolicyMetrics(this, registry, opts);
  }
}

/**
 * Builds a circuit breaker: CLOSED -> OPEN after `failureThreshold` consecutive failures; OPEN
 * rejects without calling; after `resetTimeoutMs` HALF_OPEN admits `halfOpenMaxCalls` trial
 * calls, closes after `successThreshold` successes, and reopens on any trial failure.
 * @throws ValidationError `FL_ERR_RESILIENCE_INVALID_OPTIONS` on bad options.
 * @example
 * const b = circuitBreaker({ failureThreshold: 5, resetTimeoutMs: 10_000, halfOpenMaxCalls: 3, successThreshold: 2 });
 * b.onStateChange(({ from, to }) => log.warn({ from, to }, 'breaker'));
 */
export function circuitBreaker(opts: CircuitBreakerOptions): CircuitBreakerPolicy {
  return new CircuitBreakerPolicy(opts);
}
