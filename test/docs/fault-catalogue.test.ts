import { describe, expect, it } from 'vitest';
import { builtinFaultTypes } from '../../src/plan/index.js';
import { catalogue, documented } from './fault-catalogue.js';

describe('docs/writing-faults.md fault catalogue', () => {
  it('is the table the registry renders (regenerate: node --import tsx test/docs/fault-catalogue.ts --write)', () => {
    expect(documented()).toBe(catalogue());
  });

  it('has one row per registered fault type', () => {
    for (const d of builtinFaultTypes) expect(documented()).toContain(`| \`${d.type}\` |`);
  });
});
