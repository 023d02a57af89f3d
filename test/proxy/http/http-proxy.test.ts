import { request as httpRequest, Agent } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultlineError, ValidationError } from '../../../src/plan/index.js';
import { createHttpProxy, type HttpProxyOptions } from '../../../src/proxy/http/index.js';
import { ProxyConflictError } from '../../../src/proxy/index.js';
import { client, rule, startUpstream, type Upstream } from './helpers.js';

let upstream: Upstream;
let proxy: ReturnType<typeof createHttpProxy>;
let http: ReturnType<typeof client>;

async function startProxy(extra: Partial<HttpProxyOptions> = {}): Promise<void> {
  proxy = createHttpProxy({ name: 'api', listen: '127.0.0.1:0', upstream: upstream.url, ...extra });
  await proxy.start();
  http = client(`http://${proxy.listen}`);
}

beforeEach(async () => {
  upstream = await startUpstream();
});

afterEach(async () => {
  await http?.close();
  await proxy?.close();
  await upstream.close();
});

describe('createHttpProxy forwarding', () => {
  it('forwards method, path, headers and body and returns the upstream answer', async () => {
    await startProxy();
    const r = await http.send('POST', '/orders?x=1', { headers: { 'x-test': 'abc' }, body: 'hello' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ method: 'POST', path: '/orders', header: 'abc' });
    expect(r.headers['x-upstream']).toBe('yes');
    const echo = await http.send('POST', '/echo', { body: 'ping-pong' });
    expect(echo.body).toBe('ping-pong');
    const stats = proxy.stats();
    expect(stats.requests).toBe(2);
    expect(stats.statusCodes).toEqual({ '200': 2 });
    expect(stats.bytesIn).toBeGreaterThan(0);
    expect(stats.bytesOut).toBeGreaterThan(0);
    expect(stats.latencyMs.max).toBeGreaterThan(0);
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(proxy.listen).not.toBe('127.0.0.1:0');
  });

  it('answers 502 with a JSON code when the upstream refuses the connection', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as { port: number }).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    proxy = createHttpProxy({ name: 'dead', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
    await proxy.start();
    http = client(`http://${proxy.listen}`);
    const r = await http.send('GET', '/');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'FL_ERR_PROXY_UPSTREAM_UNAVAILABLE', error: expect.stringContaining('ECONNREFUSED') });
    expect(proxy.stats().errorRate).toBe(1);
  });

  it('answers 502 when the upstream resets the connection', async () => {
    const rude: Server = createServer((s) => s.once('data', () => s.resetAndDestroy()));
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve));
    proxy = createHttpProxy({ name: 'rude', listen: '127.0.0.1:0', upstream: `127.0.0.1:${(rude.address() as { port: number }).port}` });
    await proxy.start();
    http = client(`http://${proxy.listen}`);
    const r = await http.send('GET', '/');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).code).toBe('FL_ERR_PROXY_UPSTREAM_UNAVAILABLE');
    await new Promise<void>((resolve) => rude.close(() => resolve()));
  });

  it('answers 504 when the upstream does not answer within upstreamTimeoutMs', async () => {
    await startProxy({ upstreamTimeoutMs: 200 });
    const r = await http.send('GET', '/hang');
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body).code).toBe('FL_ERR_PROXY_UPSTREAM_TIMEOUT');
    expect(r.ms).toBeGreaterThanOrEqual(150);
    expect(r.ms).toBeLessThan(5_000);
  });

  it('throws ProxyListenError when the address is taken', async () => {
    await startProxy();
    const other = createHttpProxy({ name: 'b', listen: proxy.listen, upstream: upstream.url });
    await expect(other.start()).rejects.toMatchObject({ code: 'FL_ERR_PROXY_LISTEN' });
    await other.close();
  });

  it('goes down and comes back on the same address with setEnabled', async () => {
    await startProxy();
    const addr = proxy.listen;
    await proxy.setEnabled(false);
    expect(proxy.enabled).toBe(false);
    await expect(http.send('GET', '/')).rejects.toThrow();
    await proxy.setEnabled(true);
    expect(proxy.listen).toBe(addr);
    expect((await http.send('GET', '/')).status).toBe(200);
  });
});

describe('createHttpProxy rules', () => {
  it('rejects a duplicate id with ProxyConflictError and a bad config with the field path', async () => {
    await startProxy();
    proxy.addRule(rule('r1', 'abort', { httpStatus: 503 }));
    expect(() => proxy.addRule(rule('r1', 'abort', { httpStatus: 503 }))).toThrow(ProxyConflictError);
    try {
      proxy.addRule(rule('r2', 'abort', { httpStatus: 42 }, { percentage: 120 }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual(['config.http_status', 'percentage']);
    }
    expect(proxy.listRules().map((r) => r.id)).toEqual(['r1']);
    expect(proxy.removeRule('r1')).toBe(true);
    expect(proxy.removeRule('r1')).toBe(false);
  });

  it('aborts only the matching method and path', async () => {
    await startProxy();
    proxy.addRule(rule('pay', 'abort', { httpStatus: 503, body: '{"error":"down"}' }, { method: 'POST', path: '/payment/*' }));
    const hit = await http.send('POST', '/payment/42', { body: '{}' });
    expect(hit.status).toBe(503);
    expect(hit.body).toBe('{"error":"down"}');
    expect((await http.send('GET', '/payment/42')).status).toBe(200);
    expect((await http.send('POST', '/payment/42/confirm')).status).toBe(200);
    expect((await http.send('POST', '/orders/42')).status).toBe(200);
    expect(upstream.hits.get('POST /payment/42')).toBeUndefined();
    const obs = proxy.observe('pay');
    expect(obs).toMatchObject({ requests: 1, faulted: 1, statusCodes: { '503': 1 } });
    expect(obs?.logs.some((l) => l.msg === 'fault')).toBe(true);
    expect(proxy.stats()).toMatchObject({ requests: 4, faulted: 1 });
  });

  it('matches headers case-insensitively by name and exactly by value', async () => {
    await startProxy();
    proxy.addRule(rule('canary', 'abort', { httpStatus: 418 }, { headers: { 'X-Canary': 'on' } }));
    expect((await http.send('GET', '/', { headers: { 'x-canary': 'on' } })).status).toBe(418);
    expect((await http.send('GET', '/', { headers: { 'x-canary': 'off' } })).status).toBe(200);
    expect((await http.send('GET', '/')).status).toBe(200);
  });

  it('delays only the matching route', async () => {
    await startProxy();
    proxy.addRule(rule('slow', 'delay', { delayMs: 1000 }, { path: '/slow' }));
    const slow = await http.send('GET', '/slow');
    const fast = await http.send('GET', '/fast');
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(990);
    expect(slow.ms).toBeLessThan(10_000);
    expect(fast.ms).toBeLessThan(900); // the other route is not held for the 1 s delay
  });

  it('resets the client connection on the matching route without a response', async () => {
    await startProxy();
    proxy.addRule(rule('cut', 'reset', {}, { path: '/cut' }));
    await expect(http.send('GET', '/cut')).rejects.toMatchObject({ code: expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET/) });
    expect((await http.send('GET', '/ok')).status).toBe(200);
    expect(upstream.hits.get('GET /cut')).toBeUndefined();
    expect(proxy.observe('cut')).toMatchObject({ faulted: 1, errors: 1 });
  });

  it('throttles the response body of the matching route to rate_kbps', async () => {
    await startProxy();
    proxy.addRule(rule('thin', 'throttle', { rateKbps: 100 }, { path: '/bytes' }));
    const r = await http.send('GET', '/bytes?n=51200'); // 50 KB at 100 KB/s: ~500 ms
    expect(r.body.length).toBe(51_200);
    expect(r.ms).toBeGreaterThanOrEqual(400);
    expect(r.ms).toBeLessThan(3_000);
    const fast = await http.send('GET', '/other');
    expect(fast.ms).toBeLessThan(r.ms); // the other route is not throttled: faster than the throttled one
  });

  it('faults a percentage of matching requests within binomial bounds', async () => {
    await startProxy();
    proxy.addRule(rule('third', 'abort', { httpStatus: 503 }, { percentage: 30 }));
    let aborted = 0;
    const n = 1000;
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => http.send('GET', '/p')));
      aborted += batch.filter((r) => r.status === 503).length;
    }
    // mean 300, sd ~14.5: 5 sd either side
    expect(aborted).toBeGreaterThan(227);
    expect(aborted).toBeLessThan(373);
    expect(proxy.observe('third')).toMatchObject({ requests: n, faulted: aborted });
  });

  it('applies a rule added while a keep-alive connection is open to its next request', async () => {
    await startProxy();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<{ status: number; port: number }> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(`http://${proxy.listen}/k`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, port: req.socket?.localPort ?? -1 }));
        });
        req.on('error', reject);
        req.end();
      });
    const first = await get();
    proxy.addRule(rule('late', 'abort', { httpStatus: 503 }));
    const second = await get();
    agent.destroy();
    expect(first.status).toBe(200);
    expect(second.status).toBe(503);
    expect(second.port).toBe(first.port);
  });

  it('skips N matching requests, then faults exactly count, then stops', async () => {
    await startProxy();
    proxy.addRule(rule('sched', 'abort', { httpStatus: 503, skip: 2, count: 3 }, { path: '/s' }));
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await http.send('GET', '/s')).status);
      await http.send('GET', '/not-matching');
    }
    expect(statuses).toEqual([200, 200, 503, 503, 503, 200, 200, 200]);
  });

  it('caps concurrently faulted requests at max_active_faults', async () => {
    await startProxy();
    // A delay long enough that no unfaulted reply on a loaded machine comes near it.
    proxy.addRule(rule('cap', 'delay', { delayMs: 2000, maxActiveFaults: 2 }));
    const replies = await Promise.all(Array.from({ length: 6 }, () => http.send('GET', '/c')));
    const slow = replies.filter((r) => r.ms >= 1950).length;
    expect(slow).toBe(2);
    expect(proxy.observe('cap')?.faulted).toBe(2);
  });

  it('response-phase abort: the upstream sees the request once, the client gets the abort status', async () => {
    await startProxy();
    proxy.addRule(rule('late-abort', 'abort', { httpStatus: 503, phase: 'response' }, { method: 'POST', path: '/charge' }));
    const r = await http.send('POST', '/charge', { body: '{"amount":1}' });
    expect(r.status).toBe(503);
    expect(upstream.hits.get('POST /charge')).toBe(1);
    expect((await http.send('GET', '/after')).status).toBe(200);
  });

  it('response-phase reset: the upstream sees the request once, the client sees a reset', async () => {
    await startProxy();
    proxy.addRule(rule('late-reset', 'reset', { phase: 'response' }, { method: 'POST', path: '/charge' }));
    await expect(http.send('POST', '/charge', { body: '{}' })).rejects.toMatchObject({ code: expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET/) });
    expect(upstream.hits.get('POST /charge')).toBe(1);
  });

  it('response-phase delay: the upstream answers at once, the client waits', async () => {
    await startProxy();
    proxy.addRule(rule('late-delay', 'delay', { delayMs: 150, phase: 'response' }));
    const r = await http.send('GET', '/d');
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(140);
    expect(upstream.hits.get('GET /d')).toBe(1);
  });

  it('response-phase delay keeps a streamed body intact', async () => {
    await startProxy();
    proxy.addRule(rule('late-big', 'delay', { delayMs: 100, phase: 'response' }, { path: '/bytes' }));
    const r = await http.send('GET', '/bytes?n=300000');
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(300_000);
    expect(r.body).toBe('x'.repeat(300_000));
    expect(r.ms).toBeGreaterThanOrEqual(90);
  });

  it('draws delays from a uniform distribution', async () => {
    await startProxy();
    proxy.addRule(rule('u', 'delay', { distribution: { type: 'uniform', minMs: 50, maxMs: 150 } }));
    const replies = await Promise.all(Array.from({ length: 30 }, () => http.send('GET', '/u')));
    const ms = replies.map((r) => r.ms);
    expect(Math.min(...ms)).toBeGreaterThanOrEqual(45);
    expect(Math.max(...ms)).toBeLessThan(1_500);
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    expect(mean).toBeGreaterThan(70);
    expect(mean).toBeLessThan(1_500);
    expect(Math.max(...ms) - Math.min(...ms)).toBeGreaterThan(30); // spread, not a fixed delay
  });

  it('adds and removes a rule 1000 times while requests flow without breaking any request', async () => {
    await startProxy();
    let toggles = 0;
    const toggler = (async () => {
      for (let i = 0; i < 1000; i++, toggles++) {
        proxy.addRule(rule('flip', 'abort', { httpStatus: 503 }, { path: '/flip' }));
        await new Promise((r) => setImmediate(r));
        proxy.removeRule('flip');
        await new Promise((r) => setImmediate(r));
      }
    })();
    const replies = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const out: [string, number][] = [];
        for (let i = 0; i < 25; i++) {
          out.push(['/flip', (await http.send('GET', '/flip')).status]);
          out.push(['/steady', (await http.send('GET', '/steady')).status]);
        }
        return out;
      }),
    );
    await toggler;
    expect(toggles).toBe(1000);
    const all = replies.flat();
    expect(all.filter(([p]) => p === '/steady').every(([, s]) => s === 200)).toBe(true);
    expect(all.filter(([p]) => p === '/flip').every(([, s]) => s === 200 || s === 503)).toBe(true);
    expect(proxy.listRules()).toEqual([]);
  });

  it('keeps forwarding with 100 non-matching rules', async () => {
    await startProxy();
    for (let i = 0; i < 100; i++) proxy.addRule(rule(`n${i}`, 'abort', { httpStatus: 500 }, { method: 'DELETE', path: `/never/${i}/*` }));
    const r = await http.send('GET', '/x');
    expect(r.status).toBe(200);
    proxy.removeAllRules();
    expect(proxy.listRules()).toEqual([]);
  });

  it('honours x-faultline headers only when headerFaults is on', async () => {
    await startProxy({ headerFaults: true });
    const aborted = await http.send('GET', '/h', { headers: { 'x-faultline-abort-status': '418' } });
    expect(aborted.status).toBe(418);
    const delayed = await http.send('GET', '/h', { headers: { 'x-faultline-delay-ms': '120' } });
    expect(delayed.status).toBe(200);
    expect(delayed.ms).toBeGreaterThanOrEqual(110);
    await http.close();
    await proxy.close();
    await startProxy();
    const ignored = await http.send('GET', '/h', { headers: { 'x-faultline-abort-status': '418' } });
    expect(ignored.status).toBe(200);
  });

  it('is a FaultlineError hierarchy for conflicts', () => {
    expect(new ProxyConflictError('rule', 'a', 'p')).toBeInstanceOf(FaultlineError);
  });
});
