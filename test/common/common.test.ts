import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { capTimerMs, joinHostPort, LatencyHistogram, MAX_TIMER_MS, packageVersion, parseDuration, setTimerAt, sleep, splitHostPort } from '../../src/common/index.js';

describe('src/common', () => {
  it('imports nothing from the rest of faultline (the bottom floor)', () => {
    for (const f of readdirSync('src/common')) {
      const text = readFileSync(join('src/common', f), 'utf8');
      for (const m of text.matchAll(/from '([^']+)'/g)) expect(m[1]!.startsWith('./') || !m[1]!.startsWith('.'), `${f} imports ${m[1]}`).toBe(true);
    }
  });

  it('sleep resolves true after the time, false at once when the signal aborts', async () => {
    const t0 = performance.now();
    expect(await sleep(30)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    expect(await p).toBe(false);
    expect(await sleep(10, AbortSignal.abort())).toBe(false);
  });

  it('caps timers at 2^31-1 ms and re-arms a far timer instead of firing it at once', () => {
    vi.useFakeTimers();
    try {
      expect(capTimerMs(-5)).toBe(0);
      expect(capTimerMs(Number.NaN)).toBe(0);
      expect(capTimerMs(10 ** 12)).toBe(MAX_TIMER_MS);
      let fired = 0;
      setTimerAt(Date.now() + MAX_TIMER_MS * 2, () => fired++);
      vi.advanceTimersByTime(MAX_TIMER_MS + 10);
      expect(fired).toBe(0);
      vi.advanceTimersByTime(MAX_TIMER_MS);
      expect(fired).toBe(1);
      const cancel = setTimerAt(Date.now() + 100, () => fired++);
      cancel();
      vi.advanceTimersByTime(200);
      expect(fired).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('splits and joins host:port, IPv6 in brackets', () => {
    expect(splitHostPort('127.0.0.1:8474')).toEqual({ host: '127.0.0.1', port: 8474 });
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(splitHostPort(':9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(splitHostPort('localhost').port).toBeNaN();
    expect(joinHostPort('::1', 80)).toBe('[::1]:80');
    expect(joinHostPort('localhost', 80)).toBe('localhost:80');
  });

  it('parses one duration grammar: 500ms, 5s, 1m, 1h', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('5')).toMatch(/needs a unit/);
    expect(parseDuration('soon')).toMatch(/not a duration/);
  });

  it('reads the package version', () => {
    expect(packageVersion()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('keeps latencies in ms with microsecond resolution, percentiles never above the max', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ p50: 0, p95: 0, p99: 0, max: 0, mean: 0 });
    for (let i = 1; i <= 100; i++) h.recordMs(i);
    h.recordMs(-1);
    h.recordMs(Number.NaN);
    expect(h.count).toBe(100);
    expect(h.percentileMs(50)).toBeCloseTo(50, 0);
    expect(h.percentileMs(99)).toBeCloseTo(99, 0);
    expect(h.maxMs).toBeCloseTo(100, 1);
    expect(h.percentileMs(100)).toBeLessThanOrEqual(h.maxMs);
    const other = new LatencyHistogram({ digits: 2 });
    other.recordMs(0.25);
    h.add(other);
    expect(h.count).toBe(101);
    h.reset();
    expect(h.count).toBe(0);
  });
});
