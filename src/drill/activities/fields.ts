/**
 * Schema fragments every activity kind shares (wire form, snake_case): names, times, URLs,
 * expectations, and the common fields of probes, steps and preflight checks.
 */
import { z } from 'zod';

export const name = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: 'must be 1-100 characters of letters, digits, _ . -' });
export const seconds = z.number({ error: 'must be a number of seconds' }).min(0, { error: 'must be >= 0' });
export const positiveSeconds = z.number({ error: 'must be a number of seconds' }).gt(0, { error: 'must be > 0' });
export const ms = z.number({ error: 'must be a number of milliseconds' }).int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' });
export const text = z.string({ error: 'must be a string' });
export const url = z.string({ error: 'must be a URL' }).regex(/^(https?:\/\/|\{\{)/, { error: 'must be an http:// or https:// URL (templates allowed)' });
export const httpMethod = z
  .string({ error: 'must be an HTTP method' })
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], { error: 'must be GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS' }));
export const headers = z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of header name to value' });
const status = z.number({ error: 'must be an HTTP status' }).int().min(100, { error: 'must be 100-599' }).max(599, { error: 'must be 100-599' });
export const statusList = z.preprocess((v) => (typeof v === 'number' ? [v] : v), z.array(status, { error: 'must be an HTTP status or a list of them' }).min(1));
export const argv = z.union([text.min(1, { error: 'must not be empty' }), z.array(text).min(1, { error: 'must name a program' })], {
  error: 'must be a shell command string or an argv list',
});
export const body = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], { error: 'must be a string, an object or a list' });

/** One expectation on a value; every given key must hold. */
const expectation = z
  .strictObject({
    /** Dotted path into the value before comparing (`rows.0.count`). */
    path: text.optional(),
    equals: z.unknown().optional(),
    not_equals: z.unknown().optional(),
    in: z.array(z.unknown(), { error: 'must be a list' }).optional(),
    min: z.number({ error: 'must be a number' }).optional(),
    max: z.number({ error: 'must be a number' }).optional(),
    contains: text.optional(),
  })
  .refine((e) => ['equals', 'not_equals', 'in', 'min', 'max', 'contains'].some((k) => k in e), {
    error: 'needs one of equals, not_equals, in, min, max, contains',
  });
export const expectations = z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(expectation).min(1, { error: 'must not be empty' }));

/** Fields every probe, step and check has. */
const common = {
  name: name.optional(),
  guidance: text.optional(),
};

/** What probes have besides their kind's fields. */
export const probeCommon = {
  ...common,
  /** Also copy the fields of an object value into the report's top-level `results` (`lost_payments: 0`). */
  spread: z.boolean().default(false),
};

/** What steps have besides their kind's fields. */
export const stepCommon = {
  name: name.optional(),
  /** Keep the step's output under this name: `{{steps.<output>...}}` and `results.<output>`. */
  output: name.optional(),
  /** Stop the method when this step fails (default: record and go on). */
  stop_on_failure: z.boolean().default(false),
  /** Also copy the fields of an object output into the report's top-level `results`. */
  spread: z.boolean().default(false),
};

/** What preflight checks have besides their kind's fields. */
export const checkCommon = {
  ...common,
  /** Retry until the check passes or this many seconds went by (a service that is starting). Default 0: once. */
  wait_s: seconds.optional(),
};

/** The fields of a command, shared by the command probe, step and check. */
export const commandFields = {
  run: argv,
  cwd: text.optional(),
  env: z.record(z.string(), z.string()).optional(),
  timeout_ms: ms.default(30_000),
  exit_code: z.number().int().default(0),
};
