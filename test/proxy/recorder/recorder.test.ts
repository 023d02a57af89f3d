import { describe, expect, it } from 'vitest';
import { createRecorder } from '../../../src/proxy/recorder/index.js';

describe('createRecorder', () => {
  it('counts requests, faults, status codes, bytes and errors at proxy level', () => {
    const rec = createRecorder();
    for (let i = 0; i < 10; i++) {
      rec.seen();
      rec.status(i < 8 ? 200 : 503);
      rec.bytesIn(10);
      rec.bytesOut(100);
    }
    rec.seen();
    rec.error();
    rec.faulted();
    const obs = rec.snapshot();
    expect(obs.requests).toBe(11);
    expect(obs.faulted).toBe(1);
    expect(obs.statusCodes).toEqual({ '200': 8, '503': 2 });
    expect(obs.bytesIn).toBe(100);
    expect(obs.bytesOut).toBe(1000);
    expect(obs.errors).toBe(3);
    expect(obs.errorRate).toBeCloseTo(3 / 11, 6);
  });

  it('summarises latency from the HDR histogram in milliseconds', () => {
    const rec = createRecorder();
    for (let i = 1; i <= 100; i++) rec.latency(i);
    const { latencyMs } = rec.snapshot();
    expect(latencyMs.p50).toBeCloseTo(50, 0);
    expect(latencyMs.p95).toBeCloseTo(95, 0);
    expect(latencyMs.p99).toBeCloseTo(99, 0);
    expect(latencyMs.max).toBeCloseTo(100, 0);
    expect(latencyMs.avg).toBeCloseTo(50.5, 0);
    expect(createRecorder().snapshot().latencyMs).toEqual({ avg: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });

  it('keeps per-fault figures apart from the totals until forgotten', () => {
    const rec = createRecorder();
    const f = rec.fault('rule-1');
    expect(rec.fault('rule-1')).toBe(f);
    f.seen();
    f.faulted();
    f.status(503);
    expect(rec.snapshot('rule-1')?.faulted).toBe(1);
    expect(rec.snapshot('rule-1')?.statusCodes).toEqual({ '503': 1 });
    expect(rec.snapshot().requests).toBe(0);
    expect(rec.snapshot('other')).toBeUndefined();
    rec.forget('rule-1');
    expect(rec.snapshot('rule-1')).toBeUndefined();
  });

  it('keeps only the last maxEvents events, oldest first, and copies fault events to the proxy log', () => {
    const rec = createRecorder({ maxEvents: 100 });
    for (let i = 0; i < 250; i++) rec.event('info', `e${i}`, { i });
    const logs = rec.snapshot().logs;
    expect(logs).toHaveLength(100);
    expect(logs[0]).toMatchObject({ msg: 'e150', i: 150, level: 'info' });
    expect(logs[99]?.msg).toBe('e249');
    expect(typeof logs[0]?.time).toBe('string');
    rec.fault('toxic-a').event('warn', 'reset', { conn: 7 });
    expect(rec.snapshot('toxic-a')?.logs).toEqual([expect.objectContaining({ msg: 'reset', fault: 'toxic-a', conn: 7 })]);
    expect(rec.snapshot().logs.at(-1)).toMatchObject({ msg: 'reset', fault: 'toxic-a' });
  });

  it('notifies event listeners until they unsubscribe, and a throwing listener is harmless', () => {
    const rec = createRecorder();
    const seen: string[] = [];
    const off = rec.onEvent((e) => seen.push(e.msg));
    rec.onEvent(() => {
      throw new Error('boom');
    });
    rec.event('info', 'one');
    off();
    rec.event('info', 'two');
    expect(seen).toEqual(['one']);
  });

  it('resets totals and fault figures', () => {
    const rec = createRecorder();
    rec.seen();
    rec.fault('x').seen();
    rec.reset();
    expect(rec.snapshot().requests).toBe(0);
    expect(rec.has('x')).toBe(false);
  });
});
