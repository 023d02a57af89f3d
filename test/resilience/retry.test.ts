import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retry, ValidationErrorLike } from './helpers.js';
import type { RetryEvent } from '../../src/resilience/index.js';

const econnreset = (): Error => Object.assign(new Error('reset'), { code: 'ECONNRESET' });

describe('retry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the exact exponential schedule between attempts (fake timers)', async () => {
    const events: RetryEvent[] = [];
    const p = retry({ strategy: 'exponential', initialDelayMs: 100, maxDelayMs: 300, maxAttempts: 4, jitter: 'none', onRetry: (e) => events.push(e) });
    const calledAt: number[] = [];
    const run = p.execute(() => {
      calledAt.push(Date.now());
      throw econnreset();
    });
    const settled = run.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const err = await settled;
    expect((err as { code: string }).code).toBe('ECONNRESET');
    const t0 = calledAt[0] as number;
    expect(calledAt.map((t) => t - t0)).toEqual([0, 100, 300, 600]);
    expect(events.map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, 100],
      [2, 200],
      [3, 300],
    ]);
  });

  it('makes at most maxAttempts calls and numbers them from 1', async () => {
    const p = retry({ strategy: 'none', initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 3, jitter: 'none' });
    const seen: number[] = [];
    const run = p.execute(({ attempt }) => {
      seen.push(attempt);
      throw econnreset();
    });
    const settled = run.catch(() => 'failed');
    await vi.runAllTimersAsync();
    expect(await settled).toBe('failed');
    expect(seen).toEqual([1, 2, 3]);
    expect(p.metrics()).toMatchObject({ attempts: 3, retries: 2, successes: 0, failures: 1, failuresByKind: { connection_reset: 1 } });
  });

  it('does not retry errors the classifier calls non-retryable', async () => {
    const p = retry({ strategy: 'none', initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 5, jitter: 'none' });
    let calls = 0;
    await expect(
      p.execute(() => {
        calls++;
        throw Object.assign(new Error('nope'), { status: 404 });
      }),
    ).rejects.toThrow('nope');
    expect(calls).toBe(1);
  });

  it('uses shouldRetry instead of the classifier when given', async () => {
    const p = retry({ strategy: 'none', initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 3, jitter: 'none', shouldRetry: () => true });
    let calls = 0;
    const settled = p
      .execute(() => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('nope'), { status: 404 });
        return 'ok';
      })
      .catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await settled).toBe('ok');
    expect(calls).toBe(3);
  });

  it('honours Retry-After on a 429, capped at maxDelayMs', async () => {
    const p = retry({ strategy: 'linear', initialDelayMs: 10, maxDelayMs: 5000, maxAttempts: 3, jitter: 'none' });
    const delays: number[] = [];
    p.onRetry((e) => delays.push(e.delayMs));
    const settled = p
      .execute(({ attempt }) => {
        if (attempt === 1) throw Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': '2' } });
        if (attempt === 2) throw Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': '60' } });
        return 'ok';
      })
      .catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await settled).toBe('ok');
    expect(delays).toEqual([2000, 5000]);
  });

  it('rejects bad options with the option named', () => {
    expect(() => retry({ strategy: 'linear', initialDelayMs: 10, maxDelayMs: 5, maxAttempts: 3, jitter: 'none' })).toThrow(ValidationErrorLike('maxDelayMs'));
    expect(() => retry({ strategy: 'linear', initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 0, jitter: 'none' })).toThrow(ValidationErrorLike('maxAttempts'));
  });
});
