import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry, safeParsePlan } from '../../src/plan/index.js';
import { runCli } from '../helpers/cli.js';
import { createAjv, describeErrors } from '../helpers/json-schema.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

type Schema = Record<string, unknown>;

/** The ```json blocks with a fault_type in the docs: the example plans users copy. */
function docExamples(): unknown[] {
  const text = readFileSync(`${root}docs/writing-faults.md`, 'utf8');
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((b) => b.includes('fault_type')).map((b) => JSON.parse(b) as unknown);
}

const issueExample = {
  service: 'payments-api',
  api: '/payment/*',
  method: 'POST',
  headers: { 'x-tenant': 'blue' },
  fault_type: 'delay',
  fault_config: { delay_ms: 2500 },
  percentage: 50,
  duration_seconds: 30,
  start_delay_ms: 200,
};

describe('faultline schema', () => {
  let schema: Schema;
  let validate: ValidateFunction;
  beforeAll(async () => {
    const r = await runCli(['schema']);
    expect(r.code, r.stderr).toBe(0);
    schema = JSON.parse(r.stdout) as Schema;
    validate = createAjv().compile(schema);
  }, 90_000);

  it('prints a JSON Schema with one oneOf branch per registered fault type', () => {
    expect(String(schema['$schema'])).toMatch(/json-schema\.org/);
    const branches = schema['oneOf'] as Schema[];
    expect(Array.isArray(branches)).toBe(true);
    const types = branches.map((b) => ((b['properties'] as Record<string, Schema>)['fault_type'] as Schema)['const']);
    expect([...types].sort()).toEqual([...defaultRegistry.types()].sort());
  });

  it('bounds percentage to 0..100 and closes every branch to unknown fields', () => {
    for (const b of schema['oneOf'] as Schema[]) {
      const pct = (b['properties'] as Record<string, Schema>)['percentage'] as Schema;
      expect(pct['minimum']).toBe(0);
      expect(pct['maximum']).toBe(100);
      expect(b['additionalProperties']).toBe(false);
      expect(b['required']).toEqual(expect.arrayContaining(['service', 'fault_type']));
    }
  });

  it('accepts the example plans from the issue and docs/writing-faults.md', () => {
    const examples = [issueExample, ...docExamples()];
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const plan of examples) {
      expect(validate(plan), `${JSON.stringify(plan)}\n${describeErrors(validate.errors)}`).toBe(true);
      expect(safeParsePlan(plan).ok, JSON.stringify(plan)).toBe(true);
    }
  });

  it('rejects a plan with percentage 150, an unknown fault type and an unknown field', () => {
    expect(validate({ ...issueExample, percentage: 150 })).toBe(false);
    expect(describeErrors(validate.errors)).toMatch(/\/percentage: must be <= 100/);
    expect(validate({ ...issueExample, fault_type: 'explode' })).toBe(false);
    expect(validate({ ...issueExample, colour: 'red' })).toBe(false);
    expect(describeErrors(validate.errors)).toMatch(/must NOT have additional properties/);
  });
});
