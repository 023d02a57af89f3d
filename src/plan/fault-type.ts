import { z } from 'zod';

/** What a fault acts on: a TCP proxy, an HTTP proxy, or a supervised process. */
export type FaultTarget = 'tcp' | 'http' | 'process';

/**
 * One fault type: its wire id, what it targets, and the zod schema of its `fault_config`
 * (snake_case wire attributes, with defaults). The runtime effect lives with the target
 * (proxy toxics, HTTP faults, supervisor actions); this is the shared vocabulary.
 */
export interface FaultTypeDef<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly target: FaultTarget;
  readonly description: string;
  readonly schema: S;
}

/** Declares a fault type, keeping its literal id and schema type. */
export function defineFaultType<const T extends string, S extends z.ZodType>(def: FaultTypeDef<T, S>): FaultTypeDef<T, S> {
  return def;
}

const nonNegInt = (what: string) =>
  z.number({ error: `must be a number (${what})` }).int({ error: 'must be an integer' }).min(0, { error: 'must be >= 0' });

/** A non-negative integer attribute with a default. */
export function attrInt(what: string, dflt: number): z.ZodDefault<z.ZodNumber> {
  return nonNegInt(what).default(dflt);
}

/** `stream`: which direction of a TCP connection a toxic acts on (Toxiproxy's default: downstream). */
export const streamAttr = z
  .enum(['upstream', 'downstream'], { error: "must be 'upstream' or 'downstream'" })
  .default('downstream');

/**
 * Attributes every HTTP fault takes: when it acts (`phase`), a deterministic schedule
 * (`skip` N matching requests, then fault the next `count`), and a cap on concurrently faulted
 * requests (`max_active_faults`).
 */
export const httpCommonAttrs = {
  phase: z.enum(['request', 'response'], { error: "must be 'request' or 'response'" }).default('request'),
  skip: attrInt('requests', 0),
  count: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' }).optional(),
  max_active_faults: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' }).optional(),
};
