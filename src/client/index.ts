/**
 * The executor SDK: a typed client for the executor's `/v1` API, with retry, timeouts and a
 * circuit breaker from the resilience module. Talks to the executor over HTTP only.
 */
export { HttpExecutorClient, checkPlan, type HttpExecutorClientOptions } from './http-client.js';
export {
  ExecutorClientError,
  ExecutorTimeoutError,
  ExecutorConnectionError,
  ExecutorBadRequestError,
  ExecutorUnauthorizedError,
  ExecutorNotFoundError,
  ExecutorResponseError,
  CircuitOpenError,
} from './errors.js';
export type { ClientMetrics } from './metrics.js';
export type {
  ExecutorClient,
  ApplyResult,
  ApplicationStatus,
  FaultStatus,
  FaultMetrics,
  RawObservation,
  ExecutorHealth,
  PlanInput,
} from './types.js';
