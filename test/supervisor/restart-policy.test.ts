import { describe, expect, it } from 'vitest';
import { RestartPolicy, parseProcessesConfig } from '../../src/supervisor/index.js';

function policy(restart: Record<string, unknown>): RestartPolicy {
  return new RestartPolicy(parseProcessesConfig([{ name: 'p', command: 'x', restart }])[0]!.restart);
}

describe('RestartPolicy', () => {
  it('restarts at once first, then backs off exponentially up to max_ms', () => {
    const p = policy({ backoff: { initial_ms: 100, multiplier: 3, max_ms: 1000 }, max_restarts: 100 });
    const delays = Array.from({ length: 6 }, (_, i) => p.onExit(i * 10, 5, 1, null)).map((d) => (d.kind === 'restart' ? d.delayMs : -1));
    expect(delays).toEqual([0, 100, 300, 900, 1000, 1000]);
  });

  it('goes fatal on the exit after max_restarts within window_s', () => {
    const p = policy({ max_restarts: 3, window_s: 10 });
    expect([0, 1, 2].map((i) => p.onExit(i * 100, 5, 1, null).kind)).toEqual(['restart', 'restart', 'restart']);
    expect(p.onExit(300, 5, 1, null)).toEqual({ kind: 'fatal', reason: 'exceeded max_restarts (3 within 10 s)' });
  });

  it('forgets restarts older than window_s', () => {
    const p = policy({ max_restarts: 2, window_s: 1, stable_after_s: 100 });
    p.onExit(0, 5, 1, null);
    p.onExit(100, 5, 1, null);
    expect(p.onExit(1500, 5, 1, null).kind).toBe('restart');
  });

  it('starts over after stable_after_s of uptime', () => {
    const p = policy({ max_restarts: 2, stable_after_s: 2, backoff: { initial_ms: 50 } });
    p.onExit(0, 5, 1, null);
    expect(p.onExit(10, 5, 1, null)).toMatchObject({ kind: 'restart', delayMs: 50 });
    expect(p.onExit(3000, 2500, 1, null)).toMatchObject({ kind: 'restart', delayMs: 0, attempt: 1 });
  });

  it('follows the policy: never stops, on-failure restarts only failures (a signal is a failure)', () => {
    expect(policy({ policy: 'never' }).onExit(0, 5, 1, null).kind).toBe('stop');
    const onFailure = policy({ policy: 'on-failure' });
    expect(onFailure.onExit(0, 5, 0, null).kind).toBe('stop');
    expect(onFailure.onExit(0, 5, null, 'SIGKILL').kind).toBe('restart');
    expect(onFailure.onExit(0, 5, 2, null).kind).toBe('restart');
  });
});
