import { z } from 'zod';
import { MAX_TIMER_MS } from '../common/index.js';

/** What a fault acts on: a TCP proxy, an HTTP proxy, or a supervised process. */
export type FaultTarget = 'tcp' | 'http' | 'process';

/**
 * The longest time any fault attribute may ask for, in ms: Node's timer range (2^31-1 ms, about
 * 24.8 days). A larger `setTimeout` fires after 1 ms instead, so a bigger value would silently
 * become a tiny one. The executor's `max_duration_seconds` bounds times further at apply time.
 */
export { MAX_TIMER_MS };

/** The largest byte count an attribute may ask for (1 TiB). */
export const MAX_BYTES = 2 ** 40;

/**
 * One fault type: its wire id, what it targets, the zod schema of its `fault_config` (snake_case
 * wire attributes, with defaults), an example config (used by docs and by the test that every
 * door accepts every type) and, when it has any, its time attributes in ms (checked against the
 * executor's maximum duration at apply time). The runtime effect lives with the target (proxy
 * toxics, HTTP faults, supervisor actions); this is the shared vocabulary.
 *
 * `listener: true` marks a TCP fault that acts on the proxy's listener (`down`) rather than on the
 * stream as a toxic; `oneShot: true` a fault that acts once and has nothing to revert.
 */
export interface FaultTypeDef<T extends string = string, S extends z.ZodType = z.ZodType, G extends FaultTarget = FaultTarget, L extends boolean = boolean> {
  readonly type: T;
  readonly target: G;
  readonly listener?: L;
  /** Acts once at its start and has nothing to revert (kill, restart): never repeated after an executor restart. */
  readonly oneShot?: true;
  readonly description: string;
  readonly schema: S;
  readonly example: z.input<S>;
  /** The config's time attributes, in ms, keyed by their path inside `fault_config`. */
  timesMs?(config: z.output<S>): Readonly<Record<string, number | undefined>>;
}

/**
 * A JSON Schema keyword of faultline's own, for the one kind of rule standard JSON Schema cannot
 * state: one number field compared with another. On an object,
 * `"x-faultline-ordered": [{ "lesser": "min_ms", "greater": "max_ms", "allow_equal": true }]`
 * means `min_ms <= max_ms` (`<` without `allow_equal`), an absent field taking its `default`.
 * Validators that do not know it ignore it (an annotation); faultline's tests teach it to ajv, so
 * that the published schema and the zod schema accept the same plans.
 */
export const ORDERED_FIELDS_KEYWORD = 'x-faultline-ordered';

/** One rule of {@link ORDERED_FIELDS_KEYWORD}. */
export interface FieldOrder {
  readonly lesser: string;
  readonly greater: string;
  readonly allowEqual: boolean;
}

/** The JSON Schema metadata (for zod's `.meta()`) stating that each `lesser` field is below its `greater` one. */
export function orderedFieldsMeta(...orders: readonly FieldOrder[]): Record<string, unknown> {
  return {
    [ORDERED_FIELDS_KEYWORD]: orders.map((o) => ({ lesser: o.lesser, greater: o.greater, allow_equal: o.allowEqual })),
    description: orders.map((o) => `${o.lesser} must be ${o.allowEqual ? '<=' : '<'} ${o.greater}`).join('; '),
  };
}

/** Declares a fault type, keeping its literal id, target and schema type. */
export function defineFaultType<const T extends string, S extends z.ZodType, const G extends FaultTarget, const L extends boolean = false>(
  def: FaultTypeDef<T, S, G, L>,
): FaultTypeDef<T, S, G, L> {
  return def;
}

const nonNegInt = (what: string) =>
  z.number({ error: `must be a number (${what})` }).int({ error: 'must be an integer' }).min(0, { error: 'must be >= 0' });

/** A non-negative integer attribute with a default and an upper bound. */
export function attrInt(what: string, dflt: number, max: number): z.ZodDefault<z.ZodNumber> {
  return nonNegInt(what).max(max, { error: `must be at most ${max}` }).default(dflt);
}

/** A non-negative integer time in ms, at most {@link MAX_TIMER_MS}, with a default. */
export function attrMs(dflt: number): z.ZodDefault<z.ZodNumber> {
  return attrInt('ms', dflt, MAX_TIMER_MS);
}

/** A non-negative time in ms (fractions allowed), at most {@link MAX_TIMER_MS}. */
export const msAttr = z
  .number({ error: 'must be a number (ms)' })
  .min(0, { error: 'must be >= 0' })
  .max(MAX_TIMER_MS, { error: `must be at most ${MAX_TIMER_MS}` });

/** `stream`: which direction of a TCP connection a toxic acts on (Toxiproxy's default: downstream). */
export const streamAttr = z
  .enum(['upstream', 'downstream'], { error: "must be 'upstream' or 'downstream'" })
  .default('downstream');

const count = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be an integer' })
  .min(1, { error: 'must be >= 1' })
  .max(Number.MAX_SAFE_INTEGER, { error: `must be at most ${Number.MAX_SAFE_INTEGER}` });

/**
 * Attributes every HTTP fault takes: when it acts (`phase`), a deterministic schedule
 * (`skip` N matching requests, then fault the next `count`), and a cap on concurrently faulted
 * requests (`max_active_faults`).
 */
export const httpCommonAttrs = {
  phase: z.enum(['request', 'response'], { error: "must be 'request' or 'response'" }).default('request'),
  skip: attrInt('requests', 0, Number.MAX_SAFE_INTEGER),
  count: count.optional(),
  max_active_faults: count.optional(),
};
