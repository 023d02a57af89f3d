import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry, safeParsePlan } from '../../src/plan/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

type Schema = Record<string, unknown>;

/**
 * No JSON Schema validator is installed, so this checks the subset faultline's schema uses
 * (type, const, enum, pattern, min/max, required, additionalProperties, propertyNames, oneOf).
 * Returns the paths it rejects; empty means valid.
 */
function check(schema: Schema, value: unknown, path = '$'): string[] {
  const errs: string[] = [];
  if (Array.isArray(schema['oneOf'])) {
    const matches = (schema['oneOf'] as Schema[]).filter((s) => check(s, value, path).length === 0).length;
    if (matches !== 1) errs.push(`${path}: matches ${matches} oneOf branches`);
  }
  const type = schema['type'];
  if (type !== undefined) {
    const ok =
      (type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) ||
      (type === 'string' && typeof value === 'string') ||
      (type === 'number' && typeof value === 'number') ||
      (type === 'integer' && Number.isInteger(value)) ||
      (type === 'boolean' && typeof value === 'boolean');
    if (!ok) return [...errs, `${path}: not ${String(type)}`];
  }
  if ('const' in schema && value !== schema['const']) errs.push(`${path}: not const`);
  if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value)) errs.push(`${path}: not in enum`);
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) errs.push(`${path}: below minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) errs.push(`${path}: above maximum`);
    if (typeof schema['exclusiveMinimum'] === 'number' && value <= schema['exclusiveMinimum']) errs.push(`${path}: not above exclusiveMinimum`);
  }
  if (typeof value === 'string') {
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern']).test(value)) errs.push(`${path}: pattern`);
    if (typeof schema['minLength'] === 'number' && value.length < schema['minLength']) errs.push(`${path}: minLength`);
  }
  if (type === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (schema['required'] ?? []) as string[]) if (!(key in obj)) errs.push(`${path}.${key}: required`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = props[key];
      if (sub) errs.push(...check(sub, v, `${path}.${key}`));
      else if (schema['additionalProperties'] === false) errs.push(`${path}.${key}: additional property`);
      else if (typeof schema['additionalProperties'] === 'object') errs.push(...check(schema['additionalProperties'] as Schema, v, `${path}.${key}`));
      if (schema['propertyNames']) errs.push(...check(schema['propertyNames'] as Schema, key, `${path}.${key}(name)`));
    }
  }
  return errs;
}

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
  beforeAll(async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('npx', ['tsx', 'src/cli/main.ts', 'schema'], { cwd: root, timeout: 60_000 }, (err, out) => (err ? reject(err) : resolve(out)));
    });
    schema = JSON.parse(stdout) as Schema;
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
      expect(check(schema, plan), JSON.stringify(plan)).toEqual([]);
      expect(safeParsePlan(plan).ok, JSON.stringify(plan)).toBe(true);
    }
  });

  it('rejects a plan with percentage 150, an unknown fault type and an unknown field', () => {
    expect(check(schema, { ...issueExample, percentage: 150 }).join('\n')).toMatch(/matches 0 oneOf branches/);
    const pctBranch = (schema['oneOf'] as Schema[]).find((b) => ((b['properties'] as Record<string, Schema>)['fault_type'] as Schema)['const'] === 'delay') as Schema;
    expect(check(pctBranch, { ...issueExample, percentage: 150 })).toContain('$.percentage: above maximum');
    expect(check(schema, { ...issueExample, fault_type: 'explode' })).not.toEqual([]);
    expect(check(schema, { ...issueExample, colour: 'red' })).not.toEqual([]);
  });
});
