import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/plan/index.js';
import { connect, destroyClients, pattern, portOf, readBytes, sleep, startEcho, startProxy, type TestProxy } from './helpers.js';

let echo: Awaited<ReturnType<typeof startEcho>>;
let proxy: TestProxy;

beforeEach(async () => {
  echo = await startEcho();
  proxy = await startProxy(echo.port);
});

afterEach(async () => {
  destroyClients();
  await proxy.close();
  await echo.close();
});

/**
 * Streams `payload` in `parts` writes 20 ms apart through the proxy (echo upstream), removes the
 * toxic `name` after `removeAfterMs`, and returns what came back and how long after the removal.
 */
async function streamThenRemove(name: string, payload: Buffer, parts: number, removeAfterMs: number) {
  const s = await connect(portOf(proxy));
  const reading = readBytes(s, payload.length, 20_000);
  const size = Math.ceil(payload.length / parts);
  const writing = (async () => {
    for (let off = 0; off < payload.length; off += size) {
      s.write(payload.subarray(off, off + size));
      await sleep(20);
    }
  })();
  await sleep(removeAfterMs);
  expect(proxy.removeToxic(name)).toBe(true);
  const removedAt = performance.now();
  await writing;
  const { data } = await reading;
  return { data, afterRemoveMs: performance.now() - removedAt, s };
}

describe('removing a TCP toxic releases what it holds, bytes intact and in order', () => {
  it('latency of 60 s removed mid-stream: every byte arrives right after, in order', async () => {
    proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: 60_000, jitter: 0 } });
    const payload = pattern(400_000, 5);
    const { data, afterRemoveMs, s } = await streamThenRemove('lat', payload, 20, 200);
    expect(data.length).toBe(payload.length);
    expect(data.equals(payload)).toBe(true);
    expect(afterRemoveMs).toBeLessThan(3_000);
    // The connection goes on without the toxic.
    s.write('after');
    expect((await readBytes(s, 5)).data.toString()).toBe('after');
  });

  it('latency on the upstream stream removed mid-stream: the request bytes reach the upstream intact', async () => {
    proxy.addToxic({ name: 'up', type: 'latency', stream: 'upstream', toxicity: 1, config: { latency: 60_000, jitter: 1_000 } });
    const payload = pattern(200_000, 11);
    const { data, afterRemoveMs } = await streamThenRemove('up', payload, 10, 100);
    expect(data.equals(payload)).toBe(true);
    expect(afterRemoveMs).toBeLessThan(3_000);
  });

  it('bandwidth of 1 KB/s removed mid-stream: the rest arrives at once, intact', async () => {
    proxy.addToxic({ name: 'bw', type: 'bandwidth', stream: 'downstream', toxicity: 1, config: { rate: 1 } });
    const payload = pattern(300_000, 2);
    const { data, afterRemoveMs } = await streamThenRemove('bw', payload, 10, 300);
    expect(data.equals(payload)).toBe(true);
    expect(afterRemoveMs).toBeLessThan(3_000);
  });

  it('slicer with 1 s between slices removed mid-stream: the rest arrives at once, intact', async () => {
    proxy.addToxic({ name: 'sl', type: 'slicer', stream: 'downstream', toxicity: 1, config: { averageSize: 100, sizeVariation: 0, delay: 1_000_000 } });
    const payload = pattern(100_000, 4);
    const { data, afterRemoveMs } = await streamThenRemove('sl', payload, 5, 300);
    expect(data.equals(payload)).toBe(true);
    expect(afterRemoveMs).toBeLessThan(3_000);
  });

  it('a latency at the bound of Node timers holds data without spinning, and its removal releases it', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    try {
      proxy.addToxic({ name: 'max', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: 2_147_483_647, jitter: 0 } });
      const s = await connect(portOf(proxy));
      let received = 0;
      s.on('data', (b: Buffer) => (received += b.length));
      s.write('held');
      await sleep(300);
      expect(received).toBe(0);
      s.removeAllListeners('data');
      const reading = readBytes(s, 4);
      proxy.removeToxic('max');
      expect((await reading).data.toString()).toBe('held');
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('rejects a latency beyond the timer range with the field path', () => {
    expect(() => proxy.addToxic({ name: 'huge', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: 2 ** 53, jitter: 0 } })).toThrow(
      ValidationError,
    );
    try {
      proxy.addToxic({ name: 'huge', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: 2_147_483_648, jitter: 0 } });
      expect.unreachable();
    } catch (e) {
      expect((e as ValidationError).issues.map((i) => i.path)).toContain('config.latency');
    }
    expect(proxy.listToxics()).toEqual([]);
  });
});
