import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPeriodicExporter } from '../../src/telemetry/index.js';

describe('periodic exporter scheduling (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('exports at start and then once per interval', async () => {
    const calls: number[] = [];
    const exporter = createPeriodicExporter({ name: 'test', url: 'x', intervalMs: 1000, send: async () => void calls.push(Date.now()) });
    exporter.start();
    await vi.advanceTimersByTimeAsync(3500);
    await exporter.stop();
    expect(calls).toEqual([0, 1000, 2000, 3000]);
    expect(exporter.status()).toMatchObject({ exportCount: 4, errorCount: 0, lastError: null, consecutiveErrors: 0, running: false });
  });

  it('retries a failed export sooner than the interval, backing off up to the interval, and counts each failure', async () => {
    const calls: number[] = [];
    let failures = 6;
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const exporter = createPeriodicExporter({
      name: 'test',
      url: 'x',
      intervalMs: 1000,
      logger: logger as never,
      send: async () => {
        calls.push(Date.now());
        if (failures-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      },
    });
    exporter.start();
    await vi.advanceTimersByTimeAsync(4600);
    await exporter.stop();
    // 100, 200, 400, 800, then capped at the 1000 ms interval; success at 3500 restores the interval.
    expect(calls).toEqual([0, 100, 300, 700, 1500, 2500, 3500, 4500]);
    expect(exporter.status()).toMatchObject({ exportCount: 2, errorCount: 6, consecutiveErrors: 0, lastError: 'connect ECONNREFUSED 127.0.0.1:9' });
    expect(logger.warn).toHaveBeenCalledTimes(6);
    expect(logger.info).toHaveBeenCalledWith(expect.objectContaining({ failures: 6 }), 'test export recovered');
  });

  it('never overlaps two exports; exportNow joins the one in flight', async () => {
    let active = 0;
    let maxActive = 0;
    let sends = 0;
    const exporter = createPeriodicExporter({
      name: 'slow',
      url: 'x',
      intervalMs: 100,
      timeoutMs: 10_000,
      send: async () => {
        sends += 1;
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 250));
        active -= 1;
      },
    });
    exporter.start();
    await vi.advanceTimersByTimeAsync(10);
    const a = exporter.exportNow();
    const b = exporter.exportNow();
    expect(a).toBe(b);
    await vi.advanceTimersByTimeAsync(1000);
    await exporter.stop();
    expect(maxActive).toBe(1);
    expect(sends).toBeLessThanOrEqual(3); // 0-250, 350-600, 700-950
    expect((await a).ok).toBe(true);
  });

  it('times out a hung export, counts it as an error and keeps going', async () => {
    let calls = 0;
    const exporter = createPeriodicExporter({
      name: 'hung',
      url: 'x',
      intervalMs: 1000,
      timeoutMs: 300,
      send: () => {
        calls += 1;
        return calls === 1 ? new Promise<void>(() => undefined) : Promise.resolve();
      },
    });
    exporter.start();
    await vi.advanceTimersByTimeAsync(2000);
    await exporter.stop();
    expect(exporter.status().errorCount).toBe(1);
    expect(exporter.status().lastError).toMatch(/timed out after 300 ms/);
    expect(exporter.status().exportCount).toBeGreaterThanOrEqual(1);
  });

  it('catches a send that throws synchronously; exportNow resolves with the error instead of rejecting', async () => {
    const exporter = createPeriodicExporter({
      name: 'sync',
      url: 'x',
      intervalMs: 1000,
      send: () => {
        throw new TypeError('boom');
      },
    });
    const result = await exporter.exportNow();
    expect(result).toMatchObject({ ok: false, error: 'boom' });
    expect(exporter.status().errorCount).toBe(1);
  });

  it('stops exporting after stop() and counts outcomes in the registry', async () => {
    const registry = new Registry();
    let calls = 0;
    const exporter = createPeriodicExporter({ name: 'counted', url: 'x', intervalMs: 100, registry, send: async () => void calls++ });
    exporter.start();
    await vi.advanceTimersByTimeAsync(250);
    await exporter.stop();
    const after = calls;
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(after);
    expect(await registry.metrics()).toContain(`faultline_telemetry_exports_total{exporter="counted",result="ok"} ${after}`);
  });

  it('keeps credentials in the URL out of its status', () => {
    const exporter = createPeriodicExporter({ name: 'creds', url: 'http://user:secret@127.0.0.1:9091/', intervalMs: 1000, send: async () => undefined });
    expect(exporter.status().url).toBe('http://127.0.0.1:9091/');
  });
});
