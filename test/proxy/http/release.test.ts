import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpProxy } from '../../../src/proxy/http/index.js';
import { client, rule, startUpstream, type Upstream } from './helpers.js';

let upstream: Upstream;
let proxy: ReturnType<typeof createHttpProxy>;
let http: ReturnType<typeof client>;

beforeEach(async () => {
  upstream = await startUpstream();
  proxy = createHttpProxy({ name: 'api', listen: '127.0.0.1:0', upstream: upstream.url });
  await proxy.start();
  http = client(`http://${proxy.listen}`);
});

afterEach(async () => {
  await http.close();
  await proxy.close();
  await upstream.close();
});

/** Removes rule `id` once `ms` have passed; resolves with the time of the removal. */
function removeAfter(id: string, ms: number): Promise<number> {
  return new Promise((resolve) =>
    setTimeout(() => {
      expect(proxy.removeRule(id)).toBe(true);
      resolve(performance.now());
    }, ms),
  );
}

describe('removing an HTTP rule releases the requests it holds', () => {
  it('a request held by a 15 s request-phase delay is forwarded right after the rule is removed', async () => {
    proxy.addRule(rule('slow', 'delay', { delayMs: 15_000 }));
    const t0 = performance.now();
    const reply = http.send('GET', '/held');
    const removedAt = await removeAfter('slow', 1_000);
    const r = await reply;
    const doneAt = t0 + r.ms;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ path: '/held' });
    expect(upstream.hits.get('GET /held')).toBe(1);
    expect(r.ms).toBeGreaterThanOrEqual(900);
    // Answered right after the cancel, not after 15 s (wide ceiling for a loaded machine).
    expect(doneAt - removedAt).toBeLessThan(1_500);
    expect(r.ms).toBeLessThan(5_000);
  });

  it('a response held by a 15 s response-phase delay is answered intact right after the rule is removed', async () => {
    proxy.addRule(rule('late', 'delay', { delayMs: 15_000, phase: 'response' }, { path: '/bytes' }));
    const t0 = performance.now();
    const reply = http.send('GET', '/bytes?n=300000');
    const removedAt = await removeAfter('late', 800);
    const r = await reply;
    expect(r.status).toBe(200);
    expect(r.body).toBe('x'.repeat(300_000));
    expect(t0 + r.ms - removedAt).toBeLessThan(1_500);
  });

  it('a body throttled to 1 KB/s streams on at full speed once the rule is removed, bytes intact', async () => {
    proxy.addRule(rule('thin', 'throttle', { rateKbps: 1 }, { path: '/bytes' }));
    const t0 = performance.now();
    // 200 KB at 1 KB/s would take ~200 s.
    const reply = http.send('GET', '/bytes?n=204800');
    const removedAt = await removeAfter('thin', 1_000);
    const r = await reply;
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(204_800);
    expect(r.body).toBe('x'.repeat(204_800));
    expect(t0 + r.ms - removedAt).toBeLessThan(2_000);
  });

  it('removeAllRules releases every held request, and a new request is not delayed', async () => {
    proxy.addRule(rule('a', 'delay', { delayMs: 15_000 }, { path: '/a' }));
    proxy.addRule(rule('b', 'delay', { delayMs: 15_000 }, { path: '/b' }));
    const t0 = performance.now();
    const replies = Promise.all([http.send('GET', '/a'), http.send('GET', '/b'), http.send('GET', '/a')]);
    await new Promise((r) => setTimeout(r, 500));
    proxy.removeAllRules();
    const removedAt = performance.now();
    const rs = await replies;
    for (const r of rs) {
      expect(r.status).toBe(200);
      expect(t0 + r.ms - removedAt).toBeLessThan(1_500);
    }
    expect((await http.send('GET', '/a')).ms).toBeLessThan(1_000);
  });
});
