/**
 * The fault proxy data plane: TCP proxies with toxics, HTTP proxies with route-aware faults,
 * the recorder of observations, and plan scheduling.
 */
export type * from './types.js';
export { ProxyConflictError, ProxyNotFoundError, ProxyListenError, ProxyFaultMismatchError } from './errors.js';
export * from './recorder/index.js';
export * from './http/index.js';
export { installPlan, schedulePlan, type ScheduleOptions } from './schedule.js';
export * from './tcp/index.js';
