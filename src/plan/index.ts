/**
 * The fault vocabulary: the FaultPlan wire format, the fault-type registry and the error base.
 * Imports no other faultline module.
 */
export { FaultlineError, ValidationError, UnknownFaultTypeError, type FieldIssue } from './errors.js';
export { formatPath, fieldIssues } from './issues.js';
export { camelizeKeys, snakifyKeys, camelCase, snakeCase, type Camelize, type Snakify } from './case.js';
export { defineFaultType, streamAttr, httpCommonAttrs, type FaultTarget, type FaultTypeDef } from './fault-type.js';
export { FaultRegistry, defaultRegistry, builtinFaultTypes, type FaultType } from './registry.js';
export { delayDistribution } from './faults/delay.js';
export { killSignals } from './faults/kill.js';
export {
  faultPlanWireSchema,
  parsePlan,
  safeParsePlan,
  toWirePlan,
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
