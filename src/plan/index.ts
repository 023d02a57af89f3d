/**
 * The fault vocabulary: the FaultPlan wire format, the fault-type registry and the error base.
 * Imports no other faultline module.
 */
export { FaultlineError, ValidationError, UnknownFaultTypeError, type FieldIssue } from './errors.js';
export { formatPath, fieldIssues } from './issues.js';
export { camelizeKeys, snakifyKeys, camelCase, snakeCase, type Camelize, type Snakify } from './case.js';
export { defineFaultType, streamAttr, httpCommonAttrs, attrInt, attrMs, msAttr, MAX_TIMER_MS, MAX_BYTES, ORDERED_FIELDS_KEYWORD, orderedFieldsMeta, type FieldOrder, type FaultTarget, type FaultTypeDef } from './fault-type.js';
export {
  FaultRegistry,
  defaultRegistry,
  builtinFaultTypes,
  toxicTypes,
  httpFaultTypes,
  processFaultTypes,
  listenerFaultTypes,
  isToxicType,
  isHttpFaultType,
  isListenerFaultType,
  type FaultType,
  type FaultTypeOf,
  type ToxicType,
  type HttpFaultType,
  type ProcessFaultType,
  type ListenerFaultType,
} from './registry.js';
export { delayDistribution } from './faults/delay.js';
export { killSignals } from './faults/kill.js';
export {
  faultPlanWireSchema,
  parsePlan,
  safeParsePlan,
  toWirePlan,
  faultTimeIssues,
  faultPlanJsonSchema,
  httpMethods,
  MAX_PLAN_DURATION_SECONDS,
  type FaultPlan,
  type FaultPlanWire,
  type FaultConfigOf,
  type PlanTarget,
  type PlanParseResult,
  type HttpMethod,
} from './fault-plan.js';
export {
  faultSources,
  applicationStatuses,
  applyResultSchema,
  statusSchema,
  faultListSchema,
  metricsSchema,
  haltResultSchema,
  type FaultSource,
  type ApplicationStatus,
  type ApplyResultWire,
  type StatusWire,
  type MetricsWire,
  type HaltResultWire,
} from './api.js';
