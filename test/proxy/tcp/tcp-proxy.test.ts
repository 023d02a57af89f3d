import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ToxicSpec } from '../../../src/proxy/types.js';
import { createTcpProxy } from '../../../src/proxy/tcp/index.js';
import {
  closeOf,
  connect,
  destroyClients,
  pattern,
  portOf,
  readBytes,
  sleep,
  startEcho,
  startProxy,
  tick,
  type TestProxy,
} from './helpers.js';

let echo: Awaited<ReturnType<typeof startEcho>>;
let proxy: TestProxy;
const extra: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  echo = await startEcho();
  proxy = await startProxy(echo.port);
});

afterEach(async () => {
  destroyClients();
  await proxy.close();
  for (const p of extra.splice(0)) await p.close();
  await echo.close();
});

async function rtt(port: number): Promise<number> {
  const s = await connect(port);
  const t0 = performance.now();
  s.write('ping');
  await readBytes(s, 4);
  const ms = performance.now() - t0;
  const closed = closeOf(s);
  s.end();
  await closed;
  return ms;
}

const latency300 = (toxicity: number): ToxicSpec => ({
  name: 'lat',
  type: 'latency',
  stream: 'downstream',
  toxicity,
  config: { latency: 300, jitter: 0 },
});

describe('tcp proxy', () => {
  it('toxicity 0 never applies the toxic; toxicity 1 always does', async () => {
    // A 2 s toxic: an unfaulted loopback round trip stays far below it even on a loaded machine.
    proxy.addToxic({ ...latency300(0), config: { latency: 2000, jitter: 0 } });
    for (let i = 0; i < 5; i++) expect(await rtt(portOf(proxy))).toBeLessThan(1500);
    expect(proxy.observe('lat')).toMatchObject({ requests: 5, faulted: 0 });
    proxy.removeToxic('lat');
    proxy.forget('lat');
    await sleep(50); // the proxy's side of the last connection closes too
    proxy.addToxic(latency300(1));
    for (let i = 0; i < 3; i++) expect(await rtt(portOf(proxy))).toBeGreaterThanOrEqual(280);
    expect(proxy.observe('lat')).toMatchObject({ requests: 3, faulted: 3 });
    expect(proxy.stats()).toMatchObject({ requests: 8, faulted: 3 });
  });

  it('adds and removes toxics 1000 times while a stream runs without losing or reordering a byte', async () => {
    const s = await connect(portOf(proxy));
    const total = 8 << 20;
    const payload = pattern(total, 42);
    const reading = readBytes(s, total, 25_000);
    let written = 0;
    let writing = true;
    void (async () => {
      const piece = 16 * 1024;
      while (written < total) {
        const ok = s.write(payload.subarray(written, written + piece));
        written += piece;
        if (!ok) await new Promise((r) => s.once('drain', r));
      }
      writing = false;
    })();
    const specs: ToxicSpec[] = [
      { name: 't', type: 'timeout', stream: 'downstream', toxicity: 1, config: { timeout: 0 } },
      { name: 't', type: 'latency', stream: 'upstream', toxicity: 1, config: { latency: 1, jitter: 1 } },
      { name: 't', type: 'slicer', stream: 'downstream', toxicity: 1, config: { averageSize: 512, sizeVariation: 100, delay: 0 } },
      { name: 't', type: 'bandwidth', stream: 'upstream', toxicity: 1, config: { rate: 100_000 } },
      { name: 't', type: 'timeout', stream: 'upstream', toxicity: 1, config: { timeout: 0 } },
      { name: 't', type: 'slow_close', stream: 'downstream', toxicity: 1, config: { delay: 10 } },
    ];
    for (let i = 0; i < 1000; i++) {
      proxy.addToxic(specs[i % specs.length]!);
      await tick();
      if (i % 3 === 0) await sleep(1);
      expect(proxy.removeToxic('t')).toBe(true);
      await tick();
    }
    const { data } = await reading;
    expect(writing).toBe(false);
    expect(data.length).toBe(total);
    expect(data.equals(payload)).toBe(true);
  }, 30_000);

  it('updates a toxic live on an open connection', async () => {
    proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: 20, jitter: 0 } });
    const s = await connect(portOf(proxy));
    const once = async (): Promise<number> => {
      const t0 = performance.now();
      s.write('x');
      await readBytes(s, 1);
      return performance.now() - t0;
    };
    expect(await once()).toBeGreaterThanOrEqual(19);
    proxy.updateToxic('lat', { config: { latency: 300 } });
    expect(proxy.listToxics()[0]?.config).toEqual({ latency: 300, jitter: 0 });
    expect(await once()).toBeGreaterThanOrEqual(280);
    // Moving it to the other stream keeps the connection and still delays the round trip.
    proxy.updateToxic('lat', { stream: 'upstream', config: { latency: 150 } });
    const ms = await once();
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(1000);
    proxy.removeToxic('lat');
    // Removed: the fastest of three round trips is well below the 150 ms the toxic added (a
    // loaded machine slows some round trips, never all three by that much).
    const after = Math.min(await once(), await once(), await once());
    expect(after).toBeLessThan(140);
  });

  it('down cuts open connections and refuses new ones; up listens again on the same port', async () => {
    const listen = proxy.listen;
    const s = await connect(portOf(proxy));
    s.write('a');
    await readBytes(s, 1);
    const closed = closeOf(s);
    await proxy.setEnabled(false);
    expect(proxy.enabled).toBe(false);
    await closed;
    await expect(connect(portOf(proxy))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.setEnabled(true);
    expect(proxy.enabled).toBe(true);
    expect(proxy.listen).toBe(listen);
    expect(await rtt(portOf(proxy))).toBeLessThan(1000);
  });

  it('closes the client connection cleanly when the upstream refuses', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const p = createTcpProxy({ name: 'refused', listen: '127.0.0.1:0', upstream: `127.0.0.1:${deadPort}` });
    extra.push(p);
    await p.start();
    const s = await connect(portOf(p));
    let ended = false;
    s.on('end', () => (ended = true));
    s.write('hello');
    const { error } = await closeOf(s);
    expect(error).toBeNull();
    expect(ended).toBe(true);
    const st = p.stats();
    expect(st.errors).toBe(1);
    expect(st.logs.some((l) => l.msg === 'upstream unreachable')).toBe(true);
  });

  it('rejects a duplicate toxic name, an unknown toxic and bad attributes, naming the field', () => {
    proxy.addToxic(latency300(1));
    expect(() => proxy.addToxic(latency300(1))).toThrow(expect.objectContaining({ code: 'FL_ERR_PROXY_CONFLICT' }));
    expect(() => proxy.updateToxic('nope', { toxicity: 1 })).toThrow(expect.objectContaining({ code: 'FL_ERR_PROXY_NOT_FOUND' }));
    const bad = (spec: unknown): { path: string }[] => {
      try {
        proxy.addToxic(spec as ToxicSpec);
      } catch (e) {
        return (e as { issues: { path: string }[] }).issues;
      }
      throw new Error('accepted');
    };
    expect(bad({ name: 's', type: 'slicer', stream: 'downstream', toxicity: 1, config: { averageSize: 10, sizeVariation: 11 } })).toEqual([
      expect.objectContaining({ path: 'config.size_variation' }),
    ]);
    expect(bad({ name: 'l', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: -1 } })).toEqual([
      expect.objectContaining({ path: 'config.latency' }),
    ]);
    expect(bad({ name: 'l', type: 'latency', stream: 'downstream', toxicity: 2, config: {} })).toEqual([
      expect.objectContaining({ path: 'toxicity' }),
    ]);
    expect(bad({ name: 'l', type: 'nope', stream: 'sideways', toxicity: 1, config: {} }).map((i) => i.path).sort()).toEqual(['stream', 'type']);
    expect(() => proxy.updateToxic('lat', { config: { jitter: -5 } })).toThrow(expect.objectContaining({ code: 'FL_ERR_PLAN_INVALID' }));
    expect(proxy.listToxics().map((t) => t.name)).toEqual(['lat']);
  });

  it('fails with FL_ERR_PROXY_LISTEN when the address is taken', async () => {
    const p = createTcpProxy({ name: 'dup', listen: proxy.listen, upstream: `127.0.0.1:${echo.port}` });
    extra.push(p);
    await expect(p.start()).rejects.toMatchObject({ code: 'FL_ERR_PROXY_LISTEN' });
  });

  it('counts bytes of open connections on demand and keeps per-toxic figures until forgotten', async () => {
    proxy.addToxic({ name: 'lat', type: 'latency', stream: 'upstream', toxicity: 1, config: { latency: 1, jitter: 0 } });
    const s = await connect(portOf(proxy));
    s.write(pattern(1000));
    await readBytes(s, 1000);
    expect(proxy.stats()).toMatchObject({ requests: 1, faulted: 1, bytesIn: 1000, bytesOut: 1000 });
    proxy.removeToxic('lat');
    expect(proxy.observe('lat')).toMatchObject({ requests: 1, faulted: 1, bytesIn: 1000 });
    expect(proxy.observe('lat')?.logs.map((l) => l.msg)).toEqual(['toxic added', 'toxic removed']);
    proxy.forget('lat');
    expect(proxy.observe('lat')).toBeUndefined();
  });
});
