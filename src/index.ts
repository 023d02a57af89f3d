/**
 * faultline: chaos engineering and resilience verification for services.
 *
 * The root entry re-exports each module's main entry points by name, and every module whole as a
 * namespace (`plan`, `inject`, `resilience`, ...). Importing the root loads every module; import a
 * subpath (`faultline/inject`, `faultline/client`, ...) to load only what you use.
 *
 * @example
 * import { createInjector, retry, HttpExecutorClient } from 'faultline';
 * import * as faultline from 'faultline';
 * faultline.resilience.circuitBreaker({ failureThreshold: 5, resetTimeoutMs: 10_000 });
 */
export * as plan from './plan/index.js';
export * as inject from './inject/index.js';
export * as resilience from './resilience/index.js';
export * as proxy from './proxy/index.js';
export * as client from './client/index.js';
export * as supervisor from './supervisor/index.js';
export * as telemetry from './telemetry/index.js';
export * as executor from './executor/index.js';
export * as drill from './drill/index.js';

export { FaultlineError, ValidationError, parsePlan, safeParsePlan, faultPlanJsonSchema, type FaultPlan, type FaultPlanWire, type FieldIssue } from './plan/index.js';
export { createInjector, type Injector } from './inject/index.js';
export { retry, timeout, circuitBreaker, bulkhead, fallback, wrap, classify } from './resilience/index.js';
export { createTcpProxy, createHttpProxy, createRecorder, installPlan, schedulePlan } from './proxy/index.js';
export { HttpExecutorClient, type HttpExecutorClientOptions } from './client/index.js';
export { createSupervisor, type SupervisorOptions } from './supervisor/index.js';
export { createTelemetry, createAlertEngine, type Telemetry } from './telemetry/index.js';
export { startExecutor, loadConfig, type Executor, type ExecutorConfig } from './executor/index.js';
export { runDrill, checkDrill, loadDrill, ExitCode, type Drill, type RunOutcome } from './drill/index.js';
