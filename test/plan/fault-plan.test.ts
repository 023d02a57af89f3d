import { describe, expect, it } from 'vitest';
import { parsePlan, safeParsePlan, toWirePlan, ValidationError } from '../../src/plan/index.js';

const example = {
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

describe('FaultPlan', () => {
  it('parses the documented example into camelCase code form', () => {
    const plan = parsePlan(example);
    expect(plan).toMatchObject({ service: 'payments-api', faultType: 'delay', percentage: 50, durationSeconds: 30, startDelayMs: 200 });
    if (plan.faultType !== 'delay') throw new Error('narrowing');
    expect(plan.faultConfig.delayMs).toBe(2500);
    expect(plan.faultConfig.phase).toBe('request');
  });

  it('round-trips through the wire form', () => {
    expect(parsePlan(toWirePlan(parsePlan(example)))).toEqual(parsePlan(example));
  });

  it('names the path of a percentage out of range', () => {
    const result = safeParsePlan({ ...example, percentage: 150 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toContainEqual({ path: 'percentage', message: 'must be between 0 and 100' });
    expect(() => parsePlan({ ...example, percentage: 150 })).toThrow(ValidationError);
    expect(() => parsePlan({ ...example, percentage: 150 })).toThrow(/percentage: must be between 0 and 100/);
  });
});
