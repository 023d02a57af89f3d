import { z } from 'zod';
import { ValidationError, fieldIssues } from '../plan/index.js';
import { circuitBreaker, type CircuitBreakerOptions, type CircuitBreakerPolicy } from './circuit-breaker.js';
import { retry, type RetryOptions, type RetryPolicy } from './retry.js';
import { timeout, type TimeoutPolicy } from './timeout.js';

const ms = (what: string) => z.number({ error: `${what} must be a number of milliseconds` }).finite().min(0, { error: 'must be >= 0' });
const count = z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' });

/** Retry policy, snake_case config form (YAML/JSON). */
export const retryConfigSchema = z
  .strictObject({
    strategy: z.enum(['none', 'linear', 'exponential']).default('exponential'),
    initial_delay_ms: ms('initial_delay_ms').default(100),
    max_delay_ms: ms('max_delay_ms').default(10_000),
    max_attempts: count.default(3),
    jitter: z.enum(['none', 'full', 'decorrelated']).default('full'),
  })
  .refine((c) => c.max_delay_ms >= c.initial_delay_ms, { error: 'must be >= initial_delay_ms', path: ['max_delay_ms'] });

/** Circuit breaker, snake_case config form. */
export const breakerConfigSchema = z
  .strictObject({
    failure_threshold: count.default(5),
    reset_timeout_ms: ms('reset_timeout_ms').default(30_000),
    half_open_max_calls: count.default(1),
    success_threshold: count.default(1),
  })
  .refine((c) => c.success_threshold <= c.half_open_max_calls, { error: 'must be <= half_open_max_calls', path: ['success_threshold'] });

/** Timeout, snake_case config form. */
export const timeoutConfigSchema = z
  .strictObject({
    connect_ms: ms('connect_ms').positive({ error: 'must be > 0' }).optional(),
    total_ms: ms('total_ms').positive({ error: 'must be > 0' }),
  })
  .refine((c) => c.connect_ms === undefined || c.connect_ms <= c.total_ms, { error: 'must be <= total_ms', path: ['connect_ms'] });

export type RetryConfig = z.input<typeof retryConfigSchema>;
export type BreakerConfig = z.input<typeof breakerConfigSchema>;
export type TimeoutConfig = z.input<typeof timeoutConfigSchema>;

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(what, fieldIssues(r.error, input), 'FL_ERR_RESILIENCE_INVALID_OPTIONS');
  return r.data;
}

/**
 * Builds a retry policy from its snake_case config; extra options (`shouldRetry`, `onRetry`, `rng`) in code.
 * @throws ValidationError `FL_ERR_RESILIENCE_INVALID_OPTIONS` naming each bad field.
 */
export function retryFromConfig(input: unknown, extra: Pick<RetryOptions, 'shouldRetry' | 'onRetry' | 'rng'> = {}): RetryPolicy {
  const c = parse(retryConfigSchema, input ?? {}, 'retry config');
  return retry({
    strategy: c.strategy,
    initialDelayMs: c.initial_delay_ms,
    maxDelayMs: c.max_delay_ms,
    maxAttempts: c.max_attempts,
    jitter: c.jitter,
    ...extra,
  });
}

/**
 * Builds a circuit breaker from its snake_case config; `shouldCount` and `now` in code.
 * @throws ValidationError `FL_ERR_RESILIENCE_INVALID_OPTIONS` naming each bad field.
 */
export function breakerFromConfig(input: unknown, extra: Pick<CircuitBreakerOptions, 'shouldCount' | 'now'> = {}): CircuitBreakerPolicy {
  const c = parse(breakerConfigSchema, input ?? {}, 'circuit breaker config');
  return circuitBreaker({
    failureThreshold: c.failure_threshold,
    resetTimeoutMs: c.reset_timeout_ms,
    halfOpenMaxCalls: c.half_open_max_calls,
    successThreshold: c.success_threshold,
    ...extra,
  });
}

/**
 * Builds a timeout policy from its snake_case config.
 * @throws ValidationError `FL_ERR_RESILIENCE_INVALID_OPTIONS` naming each bad field.
 */
export function timeoutFromConfig(input: unknown): TimeoutPolicy {
  const c = parse(timeoutConfigSchema, input, 'timeout config');
  return timeout(c.connect_ms === undefined ? { totalMs: c.total_ms } : { totalMs: c.total_ms, connectMs: c.connect_ms });
}
