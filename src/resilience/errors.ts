import { FaultlineError, ValidationError } from '../plan/index.js';

/**
 * The circuit breaker is open (or half-open with every trial slot taken): the call was rejected
 * without running. Carries cockatiel's `isBrokenCircuitError` marker so that cockatiel's
 * `isBrokenCircuitError()` recognises it too.
 */
export class CircuitOpenError extends FaultlineError {
  override readonly name = 'CircuitOpenError';
  readonly isBrokenCircuitError = true;
  constructor(state: 'open' | 'half_open', retryInMs: number) {
    super(
      'FL_ERR_RESILIENCE_CIRCUIT_OPEN',
      state === 'open'
        ? `circuit breaker is open; calls fail fast for another ${Math.max(0, Math.round(retryInMs))} ms`
        : 'circuit breaker is half-open and all trial calls are in flight',
      { details: { state, retry_in_ms: Math.max(0, Math.round(retryInMs)) } },
    );
  }
}

/** Alias kept for readers coming from cockatiel. */
export { CircuitOpenError as BrokenCircuitError };

/** The timeout policy cancelled the call after `totalMs`. */
export class TimeoutError extends FaultlineError {
  override readonly name = 'TimeoutError';
  constructor(totalMs: number, cause?: unknown) {
    super('FL_ERR_RESILIENCE_TIMEOUT', `operation timed out after ${totalMs} ms`, {
      cause,
      details: { total_ms: totalMs },
    });
  }
}

/** The bulkhead had no free execution slot and no free queue slot. */
export class BulkheadFullError extends FaultlineError {
  override readonly name = 'BulkheadFullError';
  constructor(maxConcurrent: number, maxQueue: number, cause?: unknown) {
    super(
      'FL_ERR_RESILIENCE_BULKHEAD_FULL',
      `bulkhead full: ${maxConcurrent} calls running and ${maxQueue} queued`,
      { cause, details: { max_concurrent: maxConcurrent, max_queue: maxQueue } },
    );
  }
}

/**
 * Throws a `ValidationError` (code `FL_ERR_RESILIENCE_INVALID_OPTIONS`) naming the bad option.
 * Policies validate their options when they are built, never per call.
 */
export function invalidOption(path: string, message: string): never {
  throw new ValidationError('policy options', [{ path, message }], 'FL_ERR_RESILIENCE_INVALID_OPTIONS');
}
