import { describe, expect, it } from 'vitest';
import { delaySampler } from '../../../src/proxy/http/faults/delay.js';
import { compileMatcher, compilePath, pathOf } from '../../../src/proxy/http/matcher.js';
import type { FaultConfigOf } from '../../../src/plan/index.js';

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
};
const draw = (config: Partial<FaultConfigOf<'delay'>>, n = 20_000) => {
  const s = delaySampler({ phase: 'request', skip: 0, ...config } as FaultConfigOf<'delay'>);
  return Array.from({ length: n }, s);
};

describe('compilePath', () => {
  it('matches exact paths exactly', () => {
    const m = compilePath('/payment');
    expect(m('/payment')).toBe(true);
    expect(m('/payment/1')).toBe(false);
    expect(m('/payments')).toBe(false);
  });

  it('lets * match within one segment and ** across segments', () => {
    expect(compilePath('/payment/*')('/payment/42')).toBe(true);
    expect(compilePath('/payment/*')('/payment/42/confirm')).toBe(false);
    expect(compilePath('/payment/*/confirm')('/payment/42/confirm')).toBe(true);
    expect(compilePath('/payment/**')('/payment/42/confirm')).toBe(true);
    expect(compilePath('/v*/users')('/v2/users')).toBe(true);
    expect(compilePath('/a.b/*')('/aXb/1')).toBe(false);
    expect(compilePath('*')('/anything/at/all')).toBe(true);
  });

  it('ignores the query string', () => {
    expect(pathOf('/a/b?x=1')).toBe('/a/b');
    expect(pathOf(undefined)).toBe('/');
  });
});

describe('compileMatcher', () => {
  it('needs method, path and every header to match', () => {
    const m = compileMatcher({ method: 'post', path: '/p/*', headers: { 'X-Tenant': 'a' } });
    expect(m.matches('POST', '/p/1', { 'x-tenant': 'a' })).toBe(true);
    expect(m.matches('GET', '/p/1', { 'x-tenant': 'a' })).toBe(false);
    expect(m.matches('POST', '/q/1', { 'x-tenant': 'a' })).toBe(false);
    expect(m.matches('POST', '/p/1', { 'x-tenant': 'b' })).toBe(false);
    expect(m.matches('POST', '/p/1', {})).toBe(false);
    expect(compileMatcher({}).matches('DELETE', '/x', {})).toBe(true);
  });
});

describe('delaySampler', () => {
  it('returns a fixed delay_ms', () => {
    expect(new Set(draw({ delayMs: 25 }, 100))).toEqual(new Set([25]));
  });

  it('draws uniform delays between min and max', () => {
    const s = stats(draw({ distribution: { type: 'uniform', minMs: 10, maxMs: 30 } }));
    expect(s.min).toBeGreaterThanOrEqual(10);
    expect(s.max).toBeLessThanOrEqual(30);
    expect(s.mean).toBeCloseTo(20, 0);
  });

  it('draws normal delays with the given mean and stddev, never negative', () => {
    const s = stats(draw({ distribution: { type: 'normal', meanMs: 100, stddevMs: 10 } }));
    expect(Math.abs(s.mean - 100)).toBeLessThan(0.5);
    expect(Math.abs(s.sd - 10)).toBeLessThan(0.5);
    expect(stats(draw({ distribution: { type: 'normal', meanMs: 1, stddevMs: 10 } })).min).toBeGreaterThanOrEqual(0);
  });

  it('draws pareto delays from scale up with a long tail, capped by max_ms', () => {
    const xs = draw({ distribution: { type: 'pareto', scaleMs: 10, shape: 3 } });
    const s = stats(xs);
    expect(s.min).toBeGreaterThanOrEqual(10);
    expect(s.mean).toBeGreaterThan(13); // shape 3: mean = 1.5 * scale = 15
    expect(s.mean).toBeLessThan(17);
    const sorted = [...xs].sort((a, b) => a - b);
    expect(sorted[Math.floor(xs.length * 0.99)]).toBeGreaterThan(40); // p99 = scale * 100^(1/3) ~ 46
    expect(stats(draw({ distribution: { type: 'pareto', scaleMs: 10, shape: 1, maxMs: 50 } })).max).toBeLessThanOrEqual(50);
  });
});
