/**
 * In-process fault injection (Polly's chaos strategies for Node): a seeded injector that adds
 * latency, throws typed errors, substitutes outcomes or runs side effects at a chosen rate, and
 * composes with `faultline/resilience` policies in one `wrap(...)`.
 */
export {
  createInjector,
  Injector,
  type InjectorOptions,
  type InjectorStats,
  type InjectedFault,
  type LatencyFault,
  type ErrorFault,
  type OutcomeFault,
  type BehaviorFault,
  type FaultKind,
  type InjectContext,
} from './injector.js';
export { FaultInjectionError, isFaultInjectionError, errorFaultTypes, type ErrorFaultType } from './errors.js';
export { mulberry32 } from './rng.js';
export {
  runInprocDrill,
  parseRates,
  type InprocDrillOptions,
  type InprocModeResult,
  type InprocRateResult,
  type BreakerSummary,
} from './drill-inproc.js';
