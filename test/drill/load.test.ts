import { afterEach, describe, expect, it } from 'vitest';
import { parseDrill } from '../../src/drill/index.js';
import { LoadGenerator, splitUrlTemplate, streamsFromSpec, type LoadTemplate } from '../../src/drill/load/index.js';
import { startServer, type TestServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const tpl = (url: string, extra: Partial<LoadTemplate> = {}): LoadTemplate => ({ name: 'load', weight: 1, url, method: 'GET', ack: false, ...extra });

describe('load generator (open model)', () => {
  it('sends rate x duration requests (within 2%) and records every one', async () => {
    server = await startServer();
    // The server shares this process's event loop: a generous timeout, so that a loaded machine
    // slows answers down without turning them into errors (this test counts, it does not time).
    const gen = new LoadGenerator({ streams: [{ name: 'load', ratePerS: 200, templates: [tpl(`${server.url}/x?n={{seq}}`)] }], durationS: 3, timeoutMs: 15_000 });
    gen.start();
    await gen.done;
    await gen.close();
    const s = gen.summary();
    expect(Math.abs(s.sent - 600)).toBeLessThanOrEqual(12);
    expect(s.completed).toBe(s.sent);
    expect(server.arrivals.length).toBe(s.sent);
    expect(s.statusCounts['200']).toBe(s.sent);
    expect(s.timeline.reduce((a, b) => a + b.sent, 0)).toBe(s.sent);
    expect(s.timeline.reduce((a, b) => a + b.ok + b.errors, 0)).toBe(s.completed);
  });

  it('keeps its arrival rate while the server stalls, and counts the wait in the latency', async () => {
    let stallUntil = 0;
    const held: (() => void)[] = [];
    server = await startServer((_req, res) => {
      const answer = () => res.end('ok');
      if (performance.now() < stallUntil) held.push(answer);
      else answer();
    });
    const t0 = performance.now();
    // Stall from 1.0 s to 2.2 s: every request arriving then is answered at 2.2 s.
    setTimeout(() => {
      stallUntil = performance.now() + 1200;
      setTimeout(() => held.splice(0).forEach((f) => f()), 1200);
    }, 1000);
    const gen = new LoadGenerator({ streams: [{ name: 'load', ratePerS: 100, templates: [tpl(`${server.url}/`)] }], durationS: 3, timeoutMs: 3000, connections: 256 });
    gen.start();
    await gen.done;
    await gen.close();
    const s = gen.summary();
    const during = server.arrivals.filter((a) => a.at - t0 >= 1100 && a.at - t0 < 2100).length;
    // Open model: requests keep arriving at ~100/s while nothing is answered.
    expect(during).toBeGreaterThanOrEqual(60);
    expect(Math.abs(s.sent - 300)).toBeLessThanOrEqual(6);
    expect(s.completed).toBe(s.sent);
    // The first stalled request waited ~1.2 s, and that shows.
    expect(s.latencyMs.max).toBeGreaterThanOrEqual(1000);
    expect(s.latencyMs.max).toBeLessThan(3000);
    // Every second sends most of its 100 (the total is checked above; a loaded machine shifts a few across a bucket edge).
    for (const b of s.timeline.slice(0, 3)) expect(b.sent).toBeGreaterThanOrEqual(70);
  });

  it('times out requests from their scheduled time and names the error kind', async () => {
    server = await startServer(() => undefined);
    const gen = new LoadGenerator({ streams: [{ name: 'load', ratePerS: 20, templates: [tpl(`${server.url}/`)] }], durationS: 1, timeoutMs: 300 });
    gen.start();
    await gen.done;
    await gen.close();
    const s = gen.summary();
    expect(s.errorKinds.timeout).toBe(s.sent);
    expect(s.errors).toBe(s.sent);
    expect(s.latencyMs.p50).toBeGreaterThanOrEqual(290);
    expect(s.latencyMs.max).toBeLessThan(3000);
  });

  it('renders templates per request and feeds acknowledged vars to recent.*', async () => {
    server = await startServer((req, res, body) => {
      res.statusCode = req.method === 'POST' && (req.url ?? '').startsWith('/create') ? 201 : 200;
      res.end(body);
    });
    const acks: unknown[] = [];
    const gen = new LoadGenerator({
      streams: [
        {
          name: 'mix',
          ratePerS: 100,
          templates: [
            tpl(`${server.url}/create`, { name: 'create', weight: 3, method: 'POST', vars: { order_id: 'o-{{seq}}', amount: '{{random 1 9 2}}' }, body: { order_id: '{{vars.order_id}}', amount: '{{vars.amount}}' }, ack: true }),
            tpl(`${server.url}/confirm/{{recent.create.order_id}}`, { name: 'confirm', weight: 1, method: 'POST' }),
            tpl(`${server.url}/retry`, { name: 'retry', weight: 1, method: 'POST', vars: { order_id: '{{recent.create.order_id}}' }, body: { order_id: '{{vars.order_id}}', amount: '{{recent.create.amount}}' } }),
          ],
        },
      ],
      durationS: 1,
      onAck: (a) => acks.push(a.vars.order_id),
    });
    gen.start();
    await gen.done;
    await gen.close();
    const creates = server.arrivals.filter((a) => a.path === '/create').map((a) => JSON.parse(a.body) as { order_id: string; amount: number });
    expect(creates.length).toBeGreaterThan(40);
    expect(new Set(creates.map((c) => c.order_id)).size).toBe(creates.length);
    expect(typeof creates[0]?.amount).toBe('number');
    const created = new Set(creates.map((c) => c.order_id));
    const confirms = server.arrivals.filter((a) => a.path.startsWith('/confirm/'));
    expect(confirms.length).toBeGreaterThan(5);
    for (const c of confirms) expect(created.has(c.path.slice('/confirm/'.length))).toBe(true);
    expect(acks.length).toBe(creates.length);
    // A retry reads order_id and amount from the same acknowledged create.
    const amounts = new Map(creates.map((c) => [c.order_id, c.amount]));
    const retries = server.arrivals.filter((a) => a.path === '/retry').map((a) => JSON.parse(a.body) as { order_id: string; amount: number });
    expect(retries.length).toBeGreaterThan(5);
    for (const r of retries) expect(amounts.get(r.order_id)).toBe(r.amount);
  });

  it('splits URL templates into a constant origin and a per-request path', () => {
    expect(splitUrlTemplate('{{proxies.api.url}}/orders?n={{seq}}')).toEqual({ origin: '{{proxies.api.url}}', path: '/orders?n={{seq}}' });
    expect(splitUrlTemplate('http://127.0.0.1:{{env.P}}/x/{{seq}}')).toEqual({ origin: 'http://127.0.0.1:{{env.P}}', path: '/x/{{seq}}' });
    expect(splitUrlTemplate('http://h:1?q=1')).toEqual({ origin: 'http://h:1', path: '/?q=1' });
  });

  it('runs closed-loop with N workers for benchmarks', async () => {
    server = await startServer();
    const gen = new LoadGenerator({ streams: [{ name: 'load', ratePerS: 1, templates: [tpl(`${server.url}/`)] }], durationS: 1, closedLoopConcurrency: 8 });
    gen.start();
    await gen.done;
    await gen.close();
    const s = gen.summary();
    expect(s.completed).toBeGreaterThan(100);
    expect(s.completed).toBe(server.arrivals.length);
  });

  it('runs several named streams from a drill file, each at its own rate', async () => {
    server = await startServer();
    const drill = parseDrill(`
name: streams
load:
  duration_s: 2
  streams:
    - { name: reads, rate_per_s: 50, url: "${server.url}/read" }
    - name: writes
      rate_per_s: 20
      mix:
        - { name: create, weight: 1, url: "${server.url}/create", method: POST, body: { n: "{{seq}}" } }
        - { name: update, weight: 1, url: "${server.url}/update", method: PUT }
`);
    const streams = streamsFromSpec(drill.load!);
    expect(streams.map((s) => [s.name, s.ratePerS, s.templates.map((t) => t.name)])).toEqual([
      ['reads', 50, ['reads']],
      ['writes', 20, ['create', 'update']],
    ]);
    const gen = new LoadGenerator({ streams, durationS: 2 });
    gen.start();
    await gen.done;
    await gen.close();
    expect(server.hits.get('/read')).toBe(100);
    expect((server.hits.get('/create') ?? 0) + (server.hits.get('/update') ?? 0)).toBe(40);
    expect(gen.window(0, 10, 'writes').requests).toBe(40);
    expect(gen.window(0, 10, 'reads').requests).toBe(100);
    expect(gen.summary().streams.map((s) => s.name)).toEqual(['reads', 'create', 'update']);
  });
});
