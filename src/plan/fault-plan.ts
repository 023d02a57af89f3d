import { z } from 'zod';
import type { Camelize } from './case.js';
import { camelizeKeys, snakifyKeys } from './case.js';
import { ValidationError, type FieldIssue } from './errors.js';
import type { FaultTypeDef } from './fault-type.js';
import { fieldIssues } from './issues.js';
import { builtinFaultTypes, defaultRegistry, type FaultRegistry, type FaultType } from './registry.js';

/** HTTP methods a plan can match on. */
export const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof httpMethods)[number];

/** The longest duration a plan can ask for; the executor caps it further (default 600 s). */
export const MAX_PLAN_DURATION_SECONDS = 7 * 24 * 3600;

const baseFields = {
  service: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' }),
  api: z
    .string({ error: 'must be a string' })
    .regex(/^(\/|\*)/, { error: "must start with '/' (an exact path or a glob such as /payment/*)" })
    .optional(),
  method: z.enum(httpMethods, { error: `must be one of ${httpMethods.join(', ')}` }).optional(),
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'must be a valid header name' }),
      z.string({ error: 'must be a string' }),
      { error: 'must be an object of header name to value' },
    )
    .optional(),
  percentage: z
    .number({ error: 'must be a number between 0 and 100' })
    .min(0, { error: 'must be between 0 and 100' })
    .max(100, { error: 'must be between 0 and 100' })
    .default(100),
  duration_seconds: z
    .number({ error: 'must be a number of seconds' })
    .gt(0, { error: 'must be > 0' })
    .max(MAX_PLAN_DURATION_SECONDS, { error: `must be at most ${MAX_PLAN_DURATION_SECONDS}` })
    .default(60),
  start_delay_ms: z
    .number({ error: 'must be a number of milliseconds' })
    .int({ error: 'must be an integer' })
    .min(0, { error: 'must be >= 0' })
    .max(86_400_000, { error: 'must be at most 86400000 (one day)' })
    .default(0),
};

/** The plan without its fault: what every plan shares. */
const planBaseSchema = z.object(baseFields);

function variant<T extends string, S extends z.ZodType>(def: FaultTypeDef<T, S>) {
  return z.strictObject({
    ...baseFields,
    fault_type: z.literal(def.type),
    fault_config: def.schema.prefault({} as z.input<S>),
  });
}

function buildWireSchema(defs: readonly FaultTypeDef[], types: readonly string[]) {
  const variants = defs.map((d) => variant(d));
  const [first, ...rest] = variants;
  if (first === undefined) throw new Error('a fault registry needs at least one fault type');
  return z
    .discriminatedUnion('fault_type', [first, ...rest], {
      error: `unknown fault type; expected one of ${types.join(', ')}`,
    })
    .superRefine((plan, ctx) => {
      const target = defs.find((d) => d.type === plan.fault_type)?.target;
      if (target === 'http') return;
      for (const key of ['api', 'method', 'headers'] as const) {
        if (plan[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `matches HTTP requests only; '${plan.fault_type}' is a ${target} fault` });
        }
      }
    });
}

/** The FaultPlan wire schema (snake_case), built from the built-in registry. */
export const faultPlanWireSchema = buildWireSchema(builtinFaultTypes, defaultRegistry.types());

type BaseIn = z.input<typeof planBaseSchema>;
type BaseOut = z.output<typeof planBaseSchema>;
type Builtin = (typeof builtinFaultTypes)[number];
type WireInOf<D> = D extends FaultTypeDef<infer T, infer S> ? BaseIn & { fault_type: T; fault_config?: z.input<S> } : never;
type WireOutOf<D> = D extends FaultTypeDef<infer T, infer S> ? BaseOut & { fault_type: T; fault_config: z.output<S> } : never;

/** A FaultPlan as it travels (JSON, YAML): snake_case, defaults optional. */
export type FaultPlanWire = WireInOf<Builtin>;
type WireOutput = WireOutOf<Builtin>;

/** The `fault_config` of one fault type, in code form (camelCase, defaults filled). */
export type FaultConfigOf<T extends FaultType> = Camelize<Extract<WireOutput, { fault_type: T }>['fault_config']>;

/** What every plan shares, in code form. */
export interface PlanTarget {
  readonly service: string;
  readonly api?: string;
  readonly method?: HttpMethod;
  readonly headers?: Readonly<Record<string, string>>;
  readonly percentage: number;
  readonly durationSeconds: number;
  readonly startDelayMs: number;
}

/**
 * A validated fault plan in code form (camelCase, defaults filled). A discriminated union on
 * `faultType`, so `plan.faultConfig` is typed by the fault.
 */
export type FaultPlan = { [T in FaultType]: PlanTarget & { readonly faultType: T; readonly faultConfig: FaultConfigOf<T> } }[FaultType];

/** The result of {@link safeParsePlan}. */
export type PlanParseResult = { ok: true; plan: FaultPlan } | { ok: false; issues: FieldIssue[] };

const schemaCache = new WeakMap<FaultRegistry, ReturnType<typeof buildWireSchema>>();

function schemaFor(registry: FaultRegistry): ReturnType<typeof buildWireSchema> {
  if (registry === defaultRegistry) return faultPlanWireSchema;
  let schema = schemaCache.get(registry);
  if (!schema) {
    schema = buildWireSchema(registry.list(), registry.types());
    schemaCache.set(registry, schema);
  }
  return schema;
}

/** Validates a wire plan; never throws. Every bad field comes back with its path. */
export function safeParsePlan(input: unknown, registry: FaultRegistry = defaultRegistry): PlanParseResult {
  const result = schemaFor(registry).safeParse(input);
  if (result.success) return { ok: true, plan: fromWire(result.data as WireOutput) };
  let issues = fieldIssues(result.error, input);
  // An unknown fault_type stops the union before the shared fields are read: read them too, so
  // that every bad field is named in one answer.
  if (issues.some((i) => i.path === 'fault_type')) {
    const base = planBaseSchema.safeParse(input);
    if (!base.success) issues = [...issues, ...fieldIssues(base.error, input).filter((i) => i.path !== '(root)')];
  }
  return { ok: false, issues };
}

/**
 * Validates a wire plan (snake_case) and returns it in code form.
 * @throws ValidationError naming each bad field's path and why.
 * @example
 * const plan = parsePlan({ service: 'payments-api', fault_type: 'delay', fault_config: { delay_ms: 2500 } });
 */
export function parsePlan(input: unknown, registry: FaultRegistry = defaultRegistry): FaultPlan {
  const result = safeParsePlan(input, registry);
  if (!result.ok) throw new ValidationError('fault plan', result.issues);
  return result.plan;
}

function fromWire(wire: WireOutput): FaultPlan {
  const plan: Record<string, unknown> = {
    service: wire.service,
    faultType: wire.fault_type,
    faultConfig: camelizeKeys(wire.fault_config),
    percentage: wire.percentage,
    durationSeconds: wire.duration_seconds,
    startDelayMs: wire.start_delay_ms,
  };
  if (wire.api !== undefined) plan.api = wire.api;
  if (wire.method !== undefined) plan.method = wire.method;
  if (wire.headers !== undefined) plan.headers = { ...wire.headers };
  return plan as unknown as FaultPlan;
}

/** A code-form plan back on the wire (snake_case), e.g. to send it to an executor. */
export function toWirePlan(plan: FaultPlan): FaultPlanWire {
  const wire: Record<string, unknown> = {
    service: plan.service,
    fault_type: plan.faultType,
    fault_config: snakifyKeys(plan.faultConfig),
    percentage: plan.percentage,
    duration_seconds: plan.durationSeconds,
    start_delay_ms: plan.startDelayMs,
  };
  if (plan.api !== undefined) wire.api = plan.api;
  if (plan.method !== undefined) wire.method = plan.method;
  if (plan.headers !== undefined) wire.headers = { ...plan.headers };
  return wire as FaultPlanWire;
}

/** The fields that match HTTP requests: only HTTP faults take them. */
const HTTP_MATCH_FIELDS = ['api', 'method', 'headers'] as const;

/**
 * The JSON Schema (draft 2020-12) of a wire FaultPlan: one `oneOf` branch per fault type. It
 * accepts exactly what {@link safeParsePlan} accepts (a property test checks this with ajv): the
 * rules zod states in refinements are added here per branch: HTTP match fields only on HTTP
 * faults, `fault_config` required when `{}` is not a valid config of that fault type.
 */
export function faultPlanJsonSchema(registry: FaultRegistry = defaultRegistry): Record<string, unknown> {
  const schema = z.toJSONSchema(schemaFor(registry), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const branches = (schema['oneOf'] ?? schema['anyOf']) as Array<Record<string, unknown>> | undefined;
  for (const branch of branches ?? []) {
    const properties = branch['properties'] as Record<string, Record<string, unknown>>;
    const def = registry.list().find((d) => d.type === properties['fault_type']?.['const']);
    if (def === undefined) continue;
    if (def.target !== 'http') for (const key of HTTP_MATCH_FIELDS) delete properties[key];
    if (!def.schema.safeParse({}).success) {
      const config = properties['fault_config'];
      if (config !== undefined) delete config['default'];
      branch['required'] = [...new Set([...((branch['required'] as string[] | undefined) ?? []), 'fault_config'])];
    }
  }
  return { ...schema, $id: 'https://faultline.dev/schemas/fault-plan.json', title: 'FaultPlan' };
}

/**
 * The time attributes of a plan's fault (delays, timeouts, latencies) that exceed `maxMs`, the
 * executor's maximum duration, each with its path (`fault_config.delay_ms`). The executor answers
 * 400 with these at apply time: a fault that could hold data longer than it may live is a mistake.
 */
export function faultTimeIssues(plan: FaultPlan, maxMs: number, registry: FaultRegistry = defaultRegistry): FieldIssue[] {
  const def = registry.get(plan.faultType);
  if (def.timesMs === undefined) return [];
  const issues: FieldIssue[] = [];
  for (const [path, ms] of Object.entries(def.timesMs(snakifyKeys(plan.faultConfig)))) {
    if (ms !== undefined && ms > maxMs) {
      issues.push({ path: `fault_config.${path}`, message: `must be at most ${maxMs} ms (the executor's max_duration_seconds)` });
    }
  }
  return issues;
}
