import { describe, expect, it } from 'vitest';
import { backoffDelay, type BackoffOptions } from '../../src/resilience/index.js';
import { mulberry32 } from '../../src/inject/index.js';

const opts = (strategy: BackoffOptions['strategy'], jitter: BackoffOptions['jitter'] = 'none'): BackoffOptions => ({
  strategy,
  initialDelayMs: 100,
  maxDelayMs: 1000,
  jitter,
});
const schedule = (o: BackoffOptions, n: number, rng?: () => number): number[] =>
  Array.from({ length: n }, (_, i) => backoffDelay(o, i + 1, rng));

describe('backoffDelay with jitter off', () => {
  it('gives 0 for every retry with strategy none', () => {
    expect(schedule(opts('none'), 5)).toEqual([0, 0, 0, 0, 0]);
  });

  it('grows linearly as base x attempt, capped at the maximum', () => {
    expect(schedule(opts('linear'), 12)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000, 1000]);
  });

  it('doubles exponentially as base x 2^(attempt-1), capped at the maximum', () => {
    expect(schedule(opts('exponential'), 7)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('stays capped for huge attempt numbers instead of overflowing', () => {
    expect(backoffDelay(opts('exponential'), 5000)).toBe(1000);
  });

  it('ignores the rng when jitter is off', () => {
    expect(schedule(opts('exponential'), 4, () => 0.5)).toEqual([100, 200, 400, 800]);
  });
});

describe('backoffDelay with jitter on', () => {
  it('keeps full jitter within [0, nominal] and uses the whole range', () => {
    const rng = mulberry32(42);
    const o = opts('exponential', 'full');
    const nominal = [100, 200, 400, 800, 1000];
    let low = false;
    let high = false;
    for (let round = 0; round < 2000; round++) {
      for (let a = 1; a <= 5; a++) {
        const d = backoffDelay(o, a, rng);
        const n = nominal[a - 1] as number;
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(n);
        if (d < n * 0.1) low = true;
        if (d > n * 0.9) high = true;
      }
    }
    expect(low && high).toBe(true);
  });

  it('keeps decorrelated jitter within [base, min(max, 3 x previous)]', () => {
    const rng = mulberry32(7);
    const o = opts('exponential', 'decorrelated');
    for (let round = 0; round < 500; round++) {
      let prev = 100;
      for (let a = 1; a <= 8; a++) {
        const d = backoffDelay(o, a, rng, prev);
        expect(d).toBeGreaterThanOrEqual(100);
        expect(d).toBeLessThanOrEqual(Math.min(1000, prev * 3));
        prev = d;
      }
    }
  });

  it('maps rng 0 and rng ~1 to the ends of the full-jitter range', () => {
    const o = opts('linear', 'full');
    expect(backoffDelay(o, 3, () => 0)).toBe(0);
    expect(backoffDelay(o, 3, () => 0.999999)).toBeCloseTo(300, 2);
  });
});
