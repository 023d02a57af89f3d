/**
 * A real JSON Schema validator for contract tests: ajv in draft 2020-12 mode, strict (an unknown
 * keyword in our schemas is an error), taught faultline's one keyword of its own
 * (`x-faultline-ordered`, see ORDERED_FIELDS_KEYWORD in src/plan) and the formats our documents use.
 *
 * @example
 * const validate = createAjv().compile(faultPlanJsonSchema());
 * validate(plan) || console.log(describeErrors(validate.errors));
 */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { ORDERED_FIELDS_KEYWORD } from '../../src/plan/index.js';

/** An ajv instance (draft 2020-12) that knows faultline's schemas. */
export function createAjv(options: { strict?: boolean } = {}): Ajv2020 {
  // strictRequired off: `oneOf: [{ required: ['a'] }, { required: ['b'] }]` (exactly one of two fields) is the idiom.
  const ajv = new Ajv2020({ strict: options.strict ?? true, allErrors: true, strictTypes: false, strictRequired: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addKeyword({
    keyword: ORDERED_FIELDS_KEYWORD,
    type: 'object',
    schemaType: 'array',
    validate: (orders: ReadonlyArray<{ lesser: string; greater: string; allow_equal?: boolean }>, data: Record<string, unknown>, parent?: Record<string, unknown>) => {
      const props = (parent?.['properties'] ?? {}) as Record<string, { default?: unknown }>;
      const valueOf = (field: string): unknown => (field in data ? data[field] : props[field]?.default);
      return orders.every(({ lesser, greater, allow_equal }) => {
        const a = valueOf(lesser);
        const b = valueOf(greater);
        if (typeof a !== 'number' || typeof b !== 'number') return true; // type errors are other keywords' business
        return allow_equal ? a <= b : a < b;
      });
    },
  });
  // OpenAPI's annotations inside schemas.
  ajv.addKeyword({ keyword: 'example' });
  return ajv;
}

/** ajv's errors as lines `path: message`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'}: ${e.message ?? e.keyword}`).join('\n');
}
