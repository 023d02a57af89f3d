/**
 * The executor: the control plane daemon (`faultline serve`). Owns the proxies and the supervised
 * processes, serves API v1, `/metrics` and `/openapi.json`, and persists fault state so that no
 * fault outlives its plan, even across a crash of the executor.
 */
export { startExecutor, type Executor, type StartExecutorOptions, type ExtraRoutesContext } from './executor.js';
export { ProxyManager, type ProxySpec, type ProxyFactory, type ProxyView } from './proxies.js';
export {
  executorConfigSchema,
  proxyConfigSchema,
  listenSchema,
  upstreamSchema,
  nameSchema,
  NAME_PATTERN,
  isSelfUpstream,
  loadConfig,
  parseConfig,
  splitHostPort,
  type ExecutorConfig,
  type ProxyConfig,
} from './config.js';
export { Store, type ApplicationRow, type ApplicationStatus, type ProxyRow, type PolicyRow, type EventRow } from './store.js';
export { Applications, type StatusView, type MetricsView } from './applications.js';
export { Policies, type PolicyView } from './policies.js';
export { httpStatusByCode, toHttpError, type ErrorBody, type HttpError } from './http-errors.js';
export { BODY_LIMIT } from './server.js';
export { installSecurity, isLoopbackHost, type Refusal, type SecurityOptions, type AuditEntry } from './security.js';
export { parseBody, type RouteDef, type RouteContext } from './routes/v1.js';
export {
  InvalidRequestError,
  FaultMismatchError,
  ConfigInvalidError,
  ConfigReadError,
  BadJsonError,
  BodyTooLargeError,
  UnauthorizedError,
  RouteNotFoundError,
  NotFoundError,
  ConflictError,
  StoreError,
  FaultInstallError,
  NoSupervisorError,
  ListenError,
} from './errors.js';
