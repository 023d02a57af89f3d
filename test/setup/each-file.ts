/**
 * Runs in every test worker before each test file: every test must make at least one assertion,
 * so a test whose checks were skipped by a guard (or never written) fails instead of passing.
 */
import { beforeEach, expect } from 'vitest';

beforeEach(() => {
  expect.hasAssertions();
});
