/**
 * The published FaultPlan JSON Schema and the zod schema behind `safeParsePlan` accept exactly the
 * same plans. Checked with a real validator (ajv, draft 2020-12) on plans fast-check generates from
 * the schema's own shape, mutated into wrong types, out-of-range numbers, extra fields, other fault
 * types' attributes and HTTP fields on non-HTTP faults.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRegistry, faultPlanJsonSchema, safeParsePlan } from '../../src/plan/index.js';
import { createAjv, describeErrors } from '../helpers/json-schema.js';

type Schema = Record<string, unknown>;

const schema = faultPlanJsonSchema();
const validate = createAjv().compile(schema);

/** Every property name used anywhere in the schema: the pool for "an attribute from somewhere else". */
function propertyNames(s: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(s)) for (const x of s) propertyNames(x, out);
  else if (s !== null && typeof s === 'object') {
    const obj = s as Schema;
    if (obj['properties'] && typeof obj['properties'] === 'object') for (const k of Object.keys(obj['properties'] as Schema)) out.add(k);
    for (const v of Object.values(obj)) propertyNames(v, out);
  }
  return out;
}
const NAMES = [...propertyNames(schema), 'api', 'method', 'headers', 'colour'];

const junk: fc.Arbitrary<unknown> = fc.oneof(fc.constant(null), fc.boolean(), fc.constant(''), fc.string({ maxLength: 6 }), fc.integer({ min: -5, max: 5 }), fc.constant([]), fc.constant({}));

function numberArb(s: Schema): fc.Arbitrary<number> {
  const min = typeof s['minimum'] === 'number' ? s['minimum'] : typeof s['exclusiveMinimum'] === 'number' ? s['exclusiveMinimum'] : -10;
  const max = typeof s['maximum'] === 'number' && s['maximum'] < 1e9 ? s['maximum'] : min + 5000;
  const edges = [min, min - 1, min + 0.5, max, max + 1, max - 0.5, 0, 1, -1];
  const inRange = s['type'] === 'integer' ? fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, min + 1e6)) }) : fc.double({ min, max: Math.min(max, min + 1e6), noNaN: true, noDefaultInfinity: true });
  return fc.oneof({ arbitrary: inRange, weight: 4 }, { arbitrary: fc.constantFrom(...edges), weight: 1 });
}

function stringArb(s: Schema): fc.Arbitrary<string> {
  if (Array.isArray(s['enum'])) return fc.oneof({ arbitrary: fc.constantFrom(...(s['enum'] as string[])), weight: 8 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 });
  if (typeof s['const'] === 'string') return fc.constant(s['const']);
  const variants: Array<fc.WeightedArbitrary<string>> = [{ arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 3 }];
  if (typeof s['pattern'] === 'string') variants.push({ arbitrary: fc.stringMatching(new RegExp(s['pattern'] as string)).filter((x) => x.length <= 40), weight: 6 });
  if (typeof s['maxLength'] === 'number') {
    const n = s['maxLength'] as number;
    variants.push({ arbitrary: fc.constantFrom('x'.repeat(n), 'x'.repeat(n + 1), ''), weight: 1 });
  }
  return fc.oneof(...variants);
}

/** Values shaped by `s`, mostly valid, sometimes not. */
function valueArb(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  const branches = (s['oneOf'] ?? s['anyOf']) as Schema[] | undefined;
  if (branches && branches.every((b) => b['properties'] !== undefined)) return fc.oneof(...branches.map((b) => valueArb(b, depth)));
  let base: fc.Arbitrary<unknown>;
  switch (s['type']) {
    case 'number':
    case 'integer':
      base = numberArb(s);
      break;
    case 'string':
      base = stringArb(s);
      break;
    case 'boolean':
      base = fc.boolean();
      break;
    case 'object':
      base = objectArb(s, depth);
      break;
    default:
      base = junk;
  }
  return fc.oneof({ arbitrary: base, weight: 12 }, { arbitrary: junk, weight: 1 });
}

function objectArb(s: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = (s['properties'] ?? {}) as Record<string, Schema>;
  const required = new Set((s['required'] as string[] | undefined) ?? []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, v] of Object.entries(props)) model[k] = valueArb(v, depth + 1);
  const known = fc.record(model, { requiredKeys: [] }).chain((r) =>
    // Keep required keys most of the time (they may still be dropped: that is a case too).
    fc.subarray([...required]).map((drop) => {
      const out: Record<string, unknown> = { ...r };
      for (const k of required) if (!(k in out) && !drop.includes(k)) out[k] = undefined;
      for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
      return out;
    }),
  );
  const withRequired = fc.tuple(known, fc.record(Object.fromEntries([...required].filter((k) => props[k]).map((k) => [k, valueArb(props[k] as Schema, depth + 1)])))).map(([r, req]) => ({ ...req, ...r }));
  if (s['additionalProperties'] !== undefined && typeof s['additionalProperties'] === 'object') {
    // A map such as headers: keys valid or not, values mostly strings.
    const keySchema = (s['propertyNames'] ?? { type: 'string' }) as Schema;
    return fc.dictionary(stringArb(keySchema), valueArb(s['additionalProperties'] as Schema, depth + 1), { maxKeys: 3 });
  }
  const extra = depth > 2 ? fc.constant({}) : fc.dictionary(fc.constantFrom(...NAMES), valueArb({}, depth + 1), { maxKeys: 1 });
  return fc.tuple(withRequired, fc.oneof({ arbitrary: fc.constant({}), weight: 6 }, { arbitrary: extra, weight: 1 })).map(([a, b]) => ({ ...a, ...b }));
}

/** A plan built for one fault type, then possibly given another type's fault_type or attributes. */
const planArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: valueArb(schema), weight: 10 },
  {
    // Cross-breeding: one fault type's plan, another's fault_type (or an unknown one).
    arbitrary: fc.tuple(valueArb(schema), fc.constantFrom(...defaultRegistry.types(), 'explode')).map(([p, t]) => (p !== null && typeof p === 'object' && !Array.isArray(p) ? { ...p, fault_type: t } : p)),
    weight: 2,
  },
  {
    // HTTP match fields on any fault.
    arbitrary: fc.tuple(valueArb(schema), fc.constantFrom<Schema>({ api: '/pay' }, { method: 'POST' }, { headers: { 'x-a': 'b' } })).map(([p, extra]) => (p !== null && typeof p === 'object' && !Array.isArray(p) ? { ...p, ...extra } : p)),
    weight: 2,
  },
);

function agree(plan: unknown): { ajv: boolean; zod: boolean; detail: string } {
  const ajv = validate(plan) === true;
  const parsed = safeParsePlan(plan);
  return {
    ajv,
    zod: parsed.ok,
    detail: `plan: ${JSON.stringify(plan)}\najv: ${ajv ? 'valid' : describeErrors(validate.errors)}\nzod: ${parsed.ok ? 'valid' : JSON.stringify(parsed.issues)}`,
  };
}

describe('the published FaultPlan JSON Schema (ajv, draft 2020-12) and safeParsePlan', () => {
  it('is a valid draft 2020-12 schema in ajv strict mode', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(typeof validate).toBe('function');
  });

  it.each([
    ['delay with fault_config {}', { service: 'api', fault_type: 'delay', fault_config: {} }, false],
    ['delay without fault_config', { service: 'api', fault_type: 'delay' }, false],
    ['delay with both delay_ms and distribution', { service: 'api', fault_type: 'delay', fault_config: { delay_ms: 5, distribution: { type: 'normal', mean_ms: 5, stddev_ms: 1 } } }, false],
    ['a uniform range with min above max', { service: 'api', fault_type: 'delay', fault_config: { distribution: { type: 'uniform', min_ms: 50, max_ms: 10 } } }, false],
    ['a uniform range with min = max', { service: 'api', fault_type: 'delay', fault_config: { distribution: { type: 'uniform', min_ms: 10, max_ms: 10 } } }, true],
    ['api on a TCP fault', { service: 'db', fault_type: 'latency', api: '/x', fault_config: { latency: 10 } }, false],
    ['method on a process fault', { service: 'web', fault_type: 'kill', method: 'GET' }, false],
    ['api on an HTTP fault', { service: 'api', fault_type: 'abort', api: '/x', fault_config: { http_status: 503 } }, true],
    ['a 201-character service', { service: 'x'.repeat(201), fault_type: 'down' }, false],
    ['a TCP fault with no fault_config', { service: 'db', fault_type: 'down' }, true],
    ['a slicer variation above the default average size', { service: 'db', fault_type: 'slicer', fault_config: { size_variation: 2 } }, false],
    ['a slicer variation equal to the default average size (as Toxiproxy)', { service: 'db', fault_type: 'slicer', fault_config: { size_variation: 1 } }, true],
    ['a slicer variation below the average size', { service: 'db', fault_type: 'slicer', fault_config: { average_size: 8, size_variation: 7 } }, true],
  ])('agree on %s', (_name, plan, valid) => {
    const r = agree(plan);
    expect(r.zod, r.detail).toBe(valid);
    expect(r.ajv, r.detail).toBe(valid);
  });

  it('agree on generated plans, valid and invalid', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(planArb, (plan) => {
        const r = agree(plan);
        if (r.zod) valid++;
        else invalid++;
        expect(r.ajv, r.detail).toBe(r.zod);
      }),
      { numRuns: 3000 },
    );
    // The generator is useful only if it makes both kinds in fair numbers.
    expect(valid).toBeGreaterThan(300);
    expect(invalid).toBeGreaterThan(300);
  });
});
