import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeOf, connect, destroyClients, pattern, portOf, readBytes, sleep, startEcho, startProxy, type TestProxy } from './helpers.js';

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

async function roundTrip(port: number, payload: Buffer): Promise<{ ms: number; data: Buffer }> {
  const s = await connect(port);
  const t0 = performance.now();
  s.write(payload);
  const { data } = await readBytes(s, payload.length);
  const ms = performance.now() - t0;
  s.end();
  return { ms, data };
}

describe('tcp toxics', () => {
  it('passes bytes intact with no toxic and counts them', async () => {
    const payload = pattern(1 << 20);
    const { data } = await roundTrip(portOf(proxy), payload);
    expect(data.equals(payload)).toBe(true);
    const st = proxy.stats();
    expect(st.requests).toBe(1);
    expect(st.faulted).toBe(0);
    expect(st.bytesIn).toBe(payload.length);
    expect(st.bytesOut).toBe(payload.length);
  });

  it('latency delays the downstream by about `latency` ms and keeps bytes in order', async () => {
    proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: 100, jitter: 0 } });
    const small = await roundTrip(portOf(proxy), Buffer.from('ping'));
    expect(small.data.toString()).toBe('ping');
    expect(small.ms).toBeGreaterThanOrEqual(90);
    expect(small.ms).toBeLessThan(1000);

    proxy.updateToxic('lat', { config: { latency: 5, jitter: 5 } });
    const payload = pattern(512 * 1024, 7);
    const big = await roundTrip(portOf(proxy), payload);
    expect(big.data.equals(payload)).toBe(true);
    const obs = proxy.observe('lat');
    expect(obs?.faulted).toBe(2);
    expect(obs?.bytesOut).toBe(payload.length + 4);
  });

  it('bandwidth limits the rate to about `rate` KB/s', async () => {
    proxy.addToxic({ name: 'bw', type: 'bandwidth', stream: 'downstream', toxicity: 1, config: { rate: 100 } });
    const payload = pattern(50_000, 3);
    const { ms, data } = await roundTrip(portOf(proxy), payload);
    expect(data.equals(payload)).toBe(true);
    // 50 000 bytes at 100 000 B/s = 500 ms.
    expect(ms).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(3000);
  });

  it('slow_close holds the close for `delay` ms', async () => {
    proxy.addToxic({ name: 'sc', type: 'slow_close', stream: 'downstream', toxicity: 1, config: { delay: 300 } });
    const s = await connect(portOf(proxy));
    const closed = closeOf(s);
    s.write('bye');
    const { data } = await readBytes(s, 3);
    expect(data.toString()).toBe('bye');
    const t0 = performance.now();
    s.end();
    const { error, at } = await closed;
    expect(error).toBeNull();
    expect(at - t0).toBeGreaterThanOrEqual(280);
    expect(at - t0).toBeLessThan(2000);
  });

  it('timeout 0 holds data until the toxic is removed, then the data flows intact', async () => {
    proxy.addToxic({ name: 'hold', type: 'timeout', stream: 'downstream', toxicity: 1, config: { timeout: 0 } });
    const s = await connect(portOf(proxy));
    let received = 0;
    s.on('data', (b: Buffer) => (received += b.length));
    const payload = pattern(300_000, 9);
    s.write(payload);
    await sleep(300);
    expect(received).toBe(0);
    s.removeAllListeners('data');
    const reading = readBytes(s, payload.length);
    expect(proxy.removeToxic('hold')).toBe(true);
    const { data } = await reading;
    expect(data.equals(payload)).toBe(true);
    const again = Buffer.from('after');
    s.write(again);
    expect((await readBytes(s, again.length)).data.toString()).toBe('after');
  });

  it('timeout > 0 closes the connection after `timeout` ms with no data', async () => {
    proxy.addToxic({ name: 'to', type: 'timeout', stream: 'downstream', toxicity: 1, config: { timeout: 200 } });
    const s = await connect(portOf(proxy));
    const t0 = performance.now();
    const closed = closeOf(s);
    let received = 0;
    s.on('data', (b: Buffer) => (received += b.length));
    s.write('hello');
    const { at } = await closed;
    expect(received).toBe(0);
    expect(at - t0).toBeGreaterThanOrEqual(180);
    expect(at - t0).toBeLessThan(2000);
  });

  it('reset_peer resets the connection: the client sees ECONNRESET', async () => {
    proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'downstream', toxicity: 1, config: { timeout: 0 } });
    const s = await connect(portOf(proxy));
    const closed = closeOf(s);
    s.write('x');
    const { error } = await closed;
    expect(error?.code).toBe('ECONNRESET');
    expect(proxy.observe('rst')?.errors).toBe(1);
  });

  it('reset_peer with a timeout resets about `timeout` ms after the first data', async () => {
    proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'downstream', toxicity: 1, config: { timeout: 200 } });
    const s = await connect(portOf(proxy));
    const closed = closeOf(s);
    const t0 = performance.now();
    s.write('x');
    const { error, at } = await closed;
    expect(error?.code).toBe('ECONNRESET');
    expect(at - t0).toBeGreaterThanOrEqual(180);
    expect(at - t0).toBeLessThan(2000);
  });

  it('limit_data closes the connection after exactly `bytes` bytes', async () => {
    proxy.addToxic({ name: 'lim', type: 'limit_data', stream: 'downstream', toxicity: 1, config: { bytes: 1000 } });
    const s = await connect(portOf(proxy));
    const closed = closeOf(s);
    const payload = pattern(5000, 11);
    s.write(payload);
    const { data, ended } = await readBytes(s, 5000);
    expect(ended).toBe(true);
    expect(data.equals(payload.subarray(0, 1000))).toBe(true);
    expect((await closed).error).toBeNull();
  });

  it('slicer delivers the data as many small chunks, intact', async () => {
    proxy.addToxic({
      name: 'sl',
      type: 'slicer',
      stream: 'downstream',
      toxicity: 1,
      config: { averageSize: 100, sizeVariation: 20, delay: 1000 },
    });
    const payload = pattern(10_000, 5);
    const s = await connect(portOf(proxy));
    s.write(payload);
    const { data, chunks } = await readBytes(s, payload.length);
    expect(data.equals(payload)).toBe(true);
    expect(chunks).toBeGreaterThanOrEqual(20);
  });

  it('a toxic on the upstream stream acts on client -> upstream bytes', async () => {
    proxy.addToxic({ name: 'up', type: 'latency', stream: 'upstream', toxicity: 1, config: { latency: 100, jitter: 0 } });
    const { ms, data } = await roundTrip(portOf(proxy), Buffer.from('abc'));
    expect(data.toString()).toBe('abc');
    expect(ms).toBeGreaterThanOrEqual(90);
    expect(proxy.observe('up')?.bytesIn).toBe(3);
  });
});
