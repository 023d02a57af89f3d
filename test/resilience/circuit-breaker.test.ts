import { describe, expect, it } from 'vitest';
import { isBrokenCircuitError } from 'cockatiel';
import { circuitBreaker, CircuitOpenError, wrap, type CircuitBreakerOptions, type StateChange } from '../../src/resilience/index.js';

function setup(over: Partial<CircuitBreakerOptions> = {}) {
  let now = 1_000;
  const breaker = circuitBreaker({ failureThreshold: 3, resetTimeoutMs: 5_000, halfOpenMaxCalls: 2, successThreshold: 2, now: () => now, ...over });
  const changes: string[] = [];
  breaker.onStateChange((c: StateChange) => changes.push(`${c.from}->${c.to}@${c.at}`));
  const fail = (): Promise<unknown> =>
    breaker.execute(() => Promise.reject(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }))).catch((e: unknown) => e);
  const ok = (): Promise<unknown> => breaker.execute(() => Promise.resolve('ok')).catch((e: unknown) => e);
  return { breaker, changes, fail, ok, advance: (ms: number) => (now += ms) };
}

async function openIt(s: ReturnType<typeof setup>): Promise<void> {
  for (let i = 0; i < 3; i++) await s.fail();
  expect(s.breaker.state).toBe('open');
}

describe('circuitBreaker', () => {
  it('stays closed below the failure threshold and opens at it', async () => {
    const s = setup();
    await s.fail();
    await s.fail();
    expect(s.breaker.state).toBe('closed');
    await s.fail();
    expect(s.breaker.state).toBe('open');
    expect(s.changes).toEqual(['closed->open@1000']);
  });

  it('counts consecutive failures only: a success in between resets the count', async () => {
    const s = setup();
    await s.fail();
    await s.fail();
    await s.ok();
    await s.fail();
    await s.fail();
    expect(s.breaker.state).toBe('closed');
  });

  it('rejects without calling while open, with a typed error and code', async () => {
    const s = setup();
    await openIt(s);
    let called = false;
    const err = await s.breaker
      .execute(() => {
        called = true;
        return 'x';
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).code).toBe('FL_ERR_RESILIENCE_CIRCUIT_OPEN');
    expect(isBrokenCircuitError(err)).toBe(true);
  });

  it('goes half-open only once the reset timeout has passed on the clock', async () => {
    const s = setup();
    await openIt(s);
    s.advance(4_999);
    expect(s.breaker.state).toBe('open');
    s.advance(1);
    expect(s.breaker.state).toBe('half_open');
    expect(s.changes).toEqual(['closed->open@1000', 'open->half_open@6000']);
  });

  it('closes after success_threshold successful trial calls', async () => {
    const s = setup();
    await openIt(s);
    s.advance(5_000);
    expect(await s.ok()).toBe('ok');
    expect(s.breaker.state).toBe('half_open');
    expect(await s.ok()).toBe('ok');
    expect(s.breaker.state).toBe('closed');
    expect(s.changes.at(-1)).toBe('half_open->closed@6000');
  });

  it('reopens the breaker when a half-open trial call fails', async () => {
    const s = setup();
    await openIt(s);
    s.advance(5_000);
    await s.ok();
    await s.fail();
    expect(s.breaker.state).toBe('open');
    expect(s.changes).toEqual(['closed->open@1000', 'open->half_open@6000', 'half_open->open@6000']);
    s.advance(4_999);
    expect(s.breaker.state).toBe('open');
  });

  it('lets exactly half_open_max_calls trial calls through at once and rejects the rest', async () => {
    const s = setup({ halfOpenMaxCalls: 3, successThreshold: 3 });
    await openIt(s);
    s.advance(5_000);
    const gates: (() => void)[] = [];
    let started = 0;
    const trial = (): Promise<unknown> =>
      s.breaker
        .execute(
          () =>
            new Promise<string>((resolve) => {
              started++;
              gates.push(() => resolve('ok'));
            }),
        )
        .catch((e: unknown) => e);
    const trials = [trial(), trial(), trial(), trial(), trial()];
    const rejected = await Promise.race([trials[3], trials[4]]);
    expect(rejected).toBeInstanceOf(CircuitOpenError);
    expect(started).toBe(3);
    for (const g of gates) g();
    expect(await Promise.all(trials)).toEqual(['ok', 'ok', 'ok', expect.any(CircuitOpenError), expect.any(CircuitOpenError)]);
    expect(s.breaker.state).toBe('closed');
  });

  it('does not count client errors (404) as failures by default, and honours shouldCount', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) await s.breaker.execute(() => Promise.reject(Object.assign(new Error('nf'), { status: 404 }))).catch(() => 0);
    expect(s.breaker.state).toBe('closed');
    const t = setup({ shouldCount: () => true });
    for (let i = 0; i < 3; i++) await t.breaker.execute(() => Promise.reject(Object.assign(new Error('nf'), { status: 404 }))).catch(() => 0);
    expect(t.breaker.state).toBe('open');
  });

  it('counts opens and half-opens in its metrics and in a wrap around it', async () => {
    const s = setup();
    const w = wrap(s.breaker);
    for (let i = 0; i < 3; i++) await w.execute(() => Promise.reject(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).catch(() => 0);
    s.advance(5_000);
    expect(s.breaker.state).toBe('half_open');
    expect(s.breaker.metrics()).toMatchObject({ breakerOpens: 1, breakerHalfOpens: 1, failures: 3 });
    expect(w.metrics()).toMatchObject({ breakerOpens: 1, breakerHalfOpens: 1, failures: 3, failuresByKind: { connection_reset: 3 } });
  });

  it('ignores the outcome of a call admitted before the breaker changed state', async () => {
    const s = setup({ failureThreshold: 1, halfOpenMaxCalls: 1, successThreshold: 1 });
    let release: () => void = () => undefined;
    const slow = s.breaker.execute(() => new Promise<string>((resolve) => (release = () => resolve('late'))));
    await s.fail();
    expect(s.breaker.state).toBe('open');
    s.advance(5_000);
    expect(s.breaker.state).toBe('half_open');
    release();
    expect(await slow).toBe('late');
    expect(s.breaker.state).toBe('half_open');
  });

  it('rejects success_threshold above half_open_max_calls', () => {
    expect(() => circuitBreaker({ failureThreshold: 1, resetTimeoutMs: 1, halfOpenMaxCalls: 1, successThreshold: 2 })).toThrow(/successThreshold: must be <= halfOpenMaxCalls/);
  });
});

describe('circuitBreaker on the default clock', () => {
  it('goes half-open after the reset timeout under vitest fake timers', async () => {
    const { vi } = await import('vitest');
    vi.useFakeTimers();
    try {
      const b = circuitBreaker({ failureThreshold: 1, resetTimeoutMs: 10_000, halfOpenMaxCalls: 1, successThreshold: 1 });
      await b.execute(() => Promise.reject(new Error('boom'))).catch(() => 0);
      expect(b.state).toBe('open');
      vi.advanceTimersByTime(9_999);
      expect(b.state).toBe('open');
      vi.advanceTimersByTime(1);
      expect(b.state).toBe('half_open');
    } finally {
      vi.useRealTimers();
    }
  });
});
