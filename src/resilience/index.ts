/**
 * Resilience policies on cockatiel: retry, timeout, circuit breaker (multi-call half-open),
 * bulkhead, fallback, `wrap` to compose them (and injectors), `classify` to tell retryable errors,
 * metrics as plain objects and prom-client metrics, and snake_case config schemas.
 */
export { retry, RetryPolicy, type RetryOptions, type RetryEvent } from './retry.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { timeout, TimeoutPolicy, type TimeoutOptions } from './timeout.js';
export {
  circuitBreaker,
  CircuitBreakerPolicy,
  type CircuitBreakerOptions,
  type CircuitState,
  type StateChange,
} from './circuit-breaker.js';
export { bulkhead, BulkheadPolicy, type BulkheadOptions } from './bulkhead.js';
export { fallback, FallbackPolicy, type FallbackOptions } from './fallback.js';
export { wrap, type WrappedPolicy, type AnyPolicy } from './wrap.js';
export { classify, parseRetryAfter, type Classification, type HeadersLike } from './classify.js';
export { CircuitOpenError, BrokenCircuitError, TimeoutError, BulkheadFullError } from './errors.js';
export {
  MetricsRecorder,
  registerPolicyMetrics,
  type PolicyMetrics,
  type RegisterMetricsOptions,
  type MetricsSource,
} from './metrics.js';
export type { PolicyContext, ResiliencePolicy } from './types.js';
export {
  retryConfigSchema,
  breakerConfigSchema,
  timeoutConfigSchema,
  retryFromConfig,
  breakerFromConfig,
  timeoutFromConfig,
  type RetryConfig,
  type BreakerConfig,
  type TimeoutConfig,
} from './config.js';
