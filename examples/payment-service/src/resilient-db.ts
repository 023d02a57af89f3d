/**
 * The one place where the payment service's resilience policies are built, from faultline's
 * resilience module. Every database call of a request runs as
 *
 * ```
 *   timeout(deadline) ─▶ retry(100..500 ms, decorrelated jitter, retryable DB errors) ─▶ breaker(10) ─▶ pg
 *   health probe:       timeout(probe)   ───────────────────────────────────────────────▶ breaker ─────▶ SELECT 1
 * ```
 *
 * The probe shares the breaker, so an idle service still half-opens and closes it when the
 * database returns. Broken mode (`PAYMENT_BROKEN=1`) keeps only the deadline: no retry, no breaker.
 */
import { circuitBreaker, classify, retry, timeout, wrap } from '../../../src/resilience/index.js';
import type { CircuitBreakerPolicy } from '../../../src/resilience/index.js';
import { DatabaseUnavailableError } from './errors.js';

/** Breaker state as the health endpoint reports it. */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface DbPolicyOptions {
  /** Overall budget of one request's database work, retries included. Default 2000 ms. */
  readonly deadlineMs?: number;
  /** Budget of the health probe. Default 1000 ms. */
  readonly probeMs?: number;
  /** Total attempts per call (1 = no retry). Default 6; the deadline usually ends them first. */
  readonly maxAttempts?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly failureThreshold?: number;
  readonly resetTimeoutMs?: number;
  /** Retries off, breaker off (the deliberately broken variant). */
  readonly broken?: boolean;
  readonly onRetry?: (attempt: number, error: unknown) => void;
  readonly onStateChange?: (from: BreakerState, to: BreakerState) => void;
}

/** Runs database work under the service's policies. */
export interface DbPolicy {
  /**
   * Runs `fn` with retry, breaker and deadline.
   * @throws DatabaseUnavailableError when the database is unreachable, too slow or the breaker is open.
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs a health probe through the breaker (no retry) within the probe budget. */
  probe(fn: () => Promise<void>): Promise<void>;
  /** Runs a probe within the probe budget without the breaker (to tell whether the database answers while the breaker rejects). */
  probeDirect(fn: () => Promise<void>): Promise<void>;
  /** The breaker's state (`closed` in broken mode, which has none). */
  state(): BreakerState;
}

/**
 * pg reports some connection failures with a message and no code; these mean "the database is
 * not reachable right now", like ECONNREFUSED.
 */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection terminated due to connection timeout',
  'the database system is starting up',
  'the database system is shutting down',
];

/** Whether a raw database error is worth another attempt. */
export function isRetryableDbError(err: unknown): boolean {
  if (classify(err).retryable) return true;
  const message = err instanceof Error ? err.message : '';
  return PG_CONNECTION_MESSAGES.some((m) => message.includes(m));
}

function isOperational(err: unknown): boolean {
  const kind = classify(err).kind;
  return kind === 'timeout' || kind === 'circuit_open' || isRetryableDbError(err);
}

/** Turns a policy or connection error into `DatabaseUnavailableError`; other errors pass through. */
export function toUnavailable(err: unknown, breaker: CircuitBreakerPolicy | undefined): unknown {
  if (err instanceof DatabaseUnavailableError || !isOperational(err)) return err;
  const { kind } = classify(err);
  let retryAfter = 1;
  if (kind === 'circuit_open' && breaker) {
    const ms = (err as { details?: { retry_in_ms?: unknown } }).details?.retry_in_ms;
    retryAfter = Math.max(1, Math.ceil((typeof ms === 'number' ? ms : breaker.options.resetTimeoutMs) / 1000));
  }
  return new DatabaseUnavailableError(kind === 'unknown' ? 'connection_lost' : kind, retryAfter, err);
}

/** Builds the service's policies. */
export function createDbPolicy(opts: DbPolicyOptions = {}): DbPolicy {
  const deadline = timeout({ totalMs: opts.deadlineMs ?? 2000, strategy: 'aggressive' });
  const probeDeadline = timeout({ totalMs: opts.probeMs ?? 1000, strategy: 'aggressive' });
  // Each call gets its own parent signal: concurrent calls sharing one would trip Node's
  // listener-leak warning (cockatiel adds an abort listener per call to the parent).
  const probeDirect = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await probeDeadline.execute(() => fn(), new AbortController().signal);
    } catch (err) {
      throw toUnavailable(err, undefined);
    }
  };
  if (opts.broken === true) {
    return {
      run: async (fn) => {
        try {
          return await deadline.execute(() => fn(), new AbortController().signal);
        } catch (err) {
          throw toUnavailable(err, undefined);
        }
      },
      probe: probeDirect,
      probeDirect,
      state: () => 'closed',
    };
  }

  const breaker = circuitBreaker({
    failureThreshold: opts.failureThreshold ?? 10,
    // Short: while open, only two trial calls per second reach the database; recovery is quick.
    resetTimeoutMs: opts.resetTimeoutMs ?? 1000,
    halfOpenMaxCalls: 2,
    successThreshold: 1,
    // Only an unreachable or failing database opens the breaker, never a bad query of ours.
    shouldCount: isOperational,
  });
  if (opts.onStateChange) {
    const listener = opts.onStateChange;
    breaker.onStateChange(({ from, to }) => listener(from, to));
  }
  const retrying = retry({
    strategy: 'exponential',
    initialDelayMs: opts.initialDelayMs ?? 100,
    maxDelayMs: opts.maxDelayMs ?? 500,
    maxAttempts: opts.maxAttempts ?? 6,
    // Decorrelated jitter waits at least initialDelayMs per retry, so five retries always cover
    // a blip of half a second; full jitter may spend them all in the first few milliseconds.
    jitter: 'decorrelated',
    shouldRetry: isRetryableDbError,
    ...(opts.onRetry ? { onRetry: (e: { attempt: number; error: unknown }) => opts.onRetry?.(e.attempt, e.error) } : {}),
  });
  // Composition: the deadline bounds the retries; each attempt passes the breaker.
  const guarded = wrap(deadline, retrying, breaker);
  const probing = wrap(probeDeadline, breaker);

  return {
    run: async (fn) => {
      try {
        return await guarded.execute(({ signal }) => {
          // The deadline fired while a retry was sleeping: do not start another attempt.
          if (signal.aborted) throw new DatabaseUnavailableError('timeout', 1);
          return fn();
        }, new AbortController().signal);
      } catch (err) {
        throw toUnavailable(err, breaker);
      }
    },
    probe: async (fn) => {
      try {
        await probing.execute(() => fn(), new AbortController().signal);
      } catch (err) {
        throw toUnavailable(err, breaker);
      }
    },
    probeDirect,
    state: () => breaker.state,
  };
}
