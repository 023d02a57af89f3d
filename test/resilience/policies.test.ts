import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { noop } from 'cockatiel';
import {
  breakerConfigSchema,
  breakerFromConfig,
  bulkhead,
  BulkheadFullError,
  circuitBreaker,
  fallback,
  retry,
  retryConfigSchema,
  retryFromConfig,
  timeout,
  timeoutConfigSchema,
  timeoutFromConfig,
  TimeoutError,
  wrap,
} from '../../src/resilience/index.js';
import { ValidationError } from '../../src/plan/index.js';
import { createInjector } from '../../src/inject/index.js';

const waitAbort = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));

describe('timeout', () => {
  it('aborts the signal after totalMs and throws TimeoutError', async () => {
    const t = timeout({ totalMs: 50, connectMs: 20 });
    expect(t.connectMs).toBe(20);
    const start = performance.now();
    const err = await t.execute(({ signal }) => waitAbort(signal)).catch((e: unknown) => e);
    const took = performance.now() - start;
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe('FL_ERR_RESILIENCE_TIMEOUT');
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(1000);
  });

  it('passes a fast call through and leaves the caller error alone', async () => {
    const t = timeout({ totalMs: 1000 });
    expect(await t.execute(() => 'fast')).toBe('fast');
    await expect(t.execute(() => Promise.reject(new Error('own')))).rejects.toThrow('own');
  });

  it('does not report a caller abort as a timeout', async () => {
    const t = timeout({ totalMs: 1000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('caller gave up')), 10);
    const err = await t.execute(({ signal }) => waitAbort(signal), ac.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(TimeoutError);
  });

  it('rejects connectMs above totalMs', () => {
    expect(() => timeout({ totalMs: 10, connectMs: 20 })).toThrow(/connectMs/);
  });
});

describe('bulkhead', () => {
  it('runs maxConcurrent calls, queues maxQueue, rejects the rest with a code', async () => {
    const b = bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    const gates: (() => void)[] = [];
    let running = 0;
    let peak = 0;
    const call = (): Promise<unknown> =>
      b
        .execute(
          () =>
            new Promise<string>((resolve) => {
              running++;
              peak = Math.max(peak, running);
              gates.push(() => {
                running--;
                resolve('done');
              });
            }),
        )
        .catch((e: unknown) => e);
    const calls = [call(), call(), call(), call()];
    const fourth = await calls[3];
    expect(fourth).toBeInstanceOf(BulkheadFullError);
    expect((fourth as BulkheadFullError).code).toBe('FL_ERR_RESILIENCE_BULKHEAD_FULL');
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(calls.slice(0, 3))).toEqual(['done', 'done', 'done']);
    expect(peak).toBe(2);
  });
});

describe('fallback', () => {
  it('returns the value, or calls the function, when the call fails', async () => {
    expect(await fallback('cached').execute(() => Promise.reject(new Error('x')))).toBe('cached');
    let made = 0;
    const f = fallback(() => {
      made++;
      return 'made';
    });
    expect(await f.execute(() => Promise.reject(new Error('x')))).toBe('made');
    expect(await f.execute(() => 'real')).toBe('real');
    expect(made).toBe(1);
    expect(f.fallbackCount).toBe(1);
  });

  it('lets errors that shouldHandle refuses propagate', async () => {
    const f = fallback('cached', { shouldHandle: (e) => (e as Error).message === 'handled' });
    await expect(f.execute(() => Promise.reject(new Error('other')))).rejects.toThrow('other');
  });
});

describe('wrap', () => {
  it('composes outermost first: fallback(retry(breaker(injector)))', async () => {
    const injector = createInjector({ rate: 1, seed: 1, faults: [{ kind: 'error', errorType: 'service_unavailable' }] });
    const breaker = circuitBreaker({ failureThreshold: 3, resetTimeoutMs: 1000, halfOpenMaxCalls: 1, successThreshold: 1 });
    const policy = wrap(fallback('degraded'), retry({ strategy: 'none', initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 5, jitter: 'none' }), breaker, injector);
    let called = 0;
    expect(
      await policy.execute(() => {
        called++;
        return 'real';
      }),
    ).toBe('degraded');
    expect(called).toBe(0);
    // 3 injected failures open the breaker; the 4th attempt is rejected by it and is not retried.
    expect(injector.stats().injected).toBe(3);
    expect(breaker.state).toBe('open');
    expect(policy.metrics()).toMatchObject({ attempts: 4, retries: 3, successes: 1, failures: 0, breakerOpens: 1 });
  });

  it('gives the function the attempt number of the enclosing retry and the inner signal', async () => {
    const policy = wrap(retry({ strategy: 'none', initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 3, jitter: 'none' }), timeout({ totalMs: 1000 }));
    const seen: number[] = [];
    const value = await policy.execute(({ attempt, signal }) => {
      seen.push(attempt);
      expect(signal).toBeInstanceOf(AbortSignal);
      if (attempt < 3) throw Object.assign(new Error('x'), { code: 'ECONNRESET' });
      return attempt;
    });
    expect(value).toBe(3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('accepts plain cockatiel policies', async () => {
    expect(await wrap(noop, retry({ strategy: 'none', initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 1, jitter: 'none' })).execute(() => 5)).toBe(5);
  });
});

describe('metrics', () => {
  it('keeps counts and HDR latency percentiles as a plain object', async () => {
    const r = retry({ strategy: 'none', initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 2, jitter: 'none' });
    for (let i = 0; i < 20; i++) await r.execute(() => new Promise((res) => setTimeout(res, i < 19 ? 1 : 30)));
    await r.execute(() => Promise.reject(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).catch(() => 0);
    const m = r.metrics();
    expect(m).toMatchObject({ attempts: 22, retries: 1, successes: 20, failures: 1, failuresByKind: { timeout: 1 } });
    expect(m.latencyMs.p50).toBeGreaterThan(0.5);
    expect(m.latencyMs.max).toBeGreaterThanOrEqual(29);
    expect(m.latencyMs.max).toBeLessThan(1000);
    expect(m.latencyMs.p50).toBeLessThanOrEqual(m.latencyMs.p95);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('exposes metrics on a prom-client registry, per label set', async () => {
    const registry = new Registry();
    const a = retry({ strategy: 'none', initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 3, jitter: 'none' });
    const b = circuitBreaker({ failureThreshold: 1, resetTimeoutMs: 1000, halfOpenMaxCalls: 1, successThreshold: 1 });
    a.registerMetrics(registry, { prefix: 'db', labels: { policy: 'retry' } });
    b.registerMetrics(registry, { prefix: 'db', labels: { policy: 'breaker' } });
    let n = 0;
    await a.execute(() => {
      if (++n < 3) throw Object.assign(new Error('x'), { code: 'ECONNRESET' });
      return 1;
    });
    await b.execute(() => Promise.reject(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).catch(() => 0);
    const text = await registry.metrics();
    expect(text).toContain('db_attempts_total{policy="retry"} 3');
    expect(text).toContain('db_retries_total{policy="retry"} 2');
    expect(text).toContain('db_breaker_opens_total{policy="breaker"} 1');
    expect(text).toContain('db_failures_total{policy="breaker",kind="connection_refused"} 1');
    expect(text).toMatch(/db_latency_ms\{policy="retry",quantile="0.95"\} \d/);
    expect(() => a.registerMetrics(registry, { prefix: 'db', labels: { other: 'x' } })).toThrow(/labels/);
  });
});

describe('config schemas (snake_case)', () => {
  it('builds a retry policy from YAML-style config', async () => {
    const r = retryFromConfig({ strategy: 'linear', initial_delay_ms: 5, max_delay_ms: 20, max_attempts: 2, jitter: 'none' });
    expect(r.options).toMatchObject({ strategy: 'linear', initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 2, jitter: 'none' });
    expect(retryConfigSchema.parse({})).toEqual({ strategy: 'exponential', initial_delay_ms: 100, max_delay_ms: 10_000, max_attempts: 3, jitter: 'full' });
  });

  it('builds a breaker and a timeout from config', () => {
    const b = breakerFromConfig({ failure_threshold: 2, reset_timeout_ms: 100, half_open_max_calls: 3, success_threshold: 2 });
    expect(b.options).toEqual({ failureThreshold: 2, resetTimeoutMs: 100, halfOpenMaxCalls: 3, successThreshold: 2 });
    expect(breakerConfigSchema.safeParse({ failure_threshold: 0 }).success).toBe(false);
    const t = timeoutFromConfig({ connect_ms: 100, total_ms: 500 });
    expect([t.connectMs, t.totalMs]).toEqual([100, 500]);
    expect(timeoutConfigSchema.safeParse({ connect_ms: 100 }).success).toBe(false);
  });

  const bad: [string, () => unknown, string][] = [
    ['unknown strategy', () => retryFromConfig({ strategy: 'fibonacci' }), 'strategy'],
    ['negative initial delay', () => retryFromConfig({ initial_delay_ms: -1 }), 'initial_delay_ms'],
    ['max below initial', () => retryFromConfig({ initial_delay_ms: 100, max_delay_ms: 10 }), 'max_delay_ms'],
    ['zero attempts', () => retryFromConfig({ max_attempts: 0 }), 'max_attempts'],
    ['bad jitter', () => retryFromConfig({ jitter: 'some' }), 'jitter'],
    ['unknown retry field', () => retryFromConfig({ retries: 3 }), 'retries'],
    ['camelCase key', () => breakerFromConfig({ failureThreshold: 3 }), 'failureThreshold'],
    ['fractional threshold', () => breakerFromConfig({ failure_threshold: 1.5 }), 'failure_threshold'],
    ['success above half-open calls', () => breakerFromConfig({ half_open_max_calls: 1, success_threshold: 2 }), 'success_threshold'],
    ['missing total_ms', () => timeoutFromConfig({}), 'total_ms'],
    ['connect above total', () => timeoutFromConfig({ connect_ms: 900, total_ms: 500 }), 'connect_ms'],
  ];
  it.each(bad)('names the field for %s', (_name, build, path) => {
    let err: unknown;
    try {
      build();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('FL_ERR_RESILIENCE_INVALID_OPTIONS');
    expect((err as ValidationError).issues.map((i) => i.path)).toContain(path);
  });
});
