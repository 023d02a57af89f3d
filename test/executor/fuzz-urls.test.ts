/**
 * Property test over URL parameters and the Toxiproxy-compatible routes: names with unicode,
 * control characters, dot segments, encoded slashes, bad percent-encoding and long strings, in
 * every place a name goes (the URL and the body). No answer is a 5xx, every error answer is
 * `{ error, code: FL_ERR_* }`, and no proxy with a name outside the name rule ever exists.
 */
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAME_PATTERN, startExecutor, type Executor } from '../../src/executor/index.js';

const nameLike = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.string({ unit: fc.constantFrom('a', '.', '-', '_', '/', '%', '2', 'F', 'e', '\\'), maxLength: 30 }),
  fc.integer({ min: 120, max: 140 }).map((n) => 'n'.repeat(n)),
  fc.integer({ min: 190, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom('db', 'lat', 'p1', '.', '..', '...', '%2e%2e', '..%2F..%2Fetc', '%2F', 'a%2Fb', '%00', '%', '%E0%A4%A', '%zz', 'a/b', '😀', 'ünï', '\u0000', '\t', ' ', '__proto__', 'constructor'),
);

/** How a name goes into the URL: encoded, as it is (only the characters a URL cannot carry escaped), or double-encoded. */
const inUrl = fc.tuple(nameLike, fc.constantFrom('encoded', 'raw', 'double')).map(([name, how]) => {
  if (how === 'encoded') return encodeURIComponent(name);
  if (how === 'double') return encodeURIComponent(encodeURIComponent(name));
  return name.replace(/[^\x21-\x7e]|[?#]/gu, (c) => encodeURIComponent(c));
});

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const templates: Array<[Method, string]> = [
  ['GET', '/proxies/:a'],
  ['POST', '/proxies/:a'],
  ['PATCH', '/proxies/:a'],
  ['DELETE', '/proxies/:a'],
  ['GET', '/proxies/:a/toxics'],
  ['POST', '/proxies/:a/toxics'],
  ['GET', '/proxies/:a/toxics/:b'],
  ['POST', '/proxies/:a/toxics/:b'],
  ['PATCH', '/proxies/:a/toxics/:b'],
  ['DELETE', '/proxies/:a/toxics/:b'],
  ['GET', '/v1/proxies/:a'],
  ['DELETE', '/v1/proxies/:a'],
  ['GET', '/v1/policies/:a'],
  ['PUT', '/v1/policies/:a'],
  ['DELETE', '/v1/policies/:a'],
  ['GET', '/v1/faults/:a/status'],
  ['GET', '/v1/faults/:a/metrics'],
  ['DELETE', '/v1/faults/:a'],
  ['GET', '/v1/processes/:a'],
  ['POST', '/v1/processes/:a/kill'],
  ['POST', '/v1/processes/:a/pause'],
];

describe('fuzz: URL parameters and the Toxiproxy-compatible routes', () => {
  let ex: Executor;
  let echo: Server;
  let echoPort: number;

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      token: '',
      config: { proxies: [{ name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` }] },
    });
    const r = await ex.app.inject({ method: 'POST', url: '/proxies/db/toxics', headers: { 'content-type': 'application/json' }, payload: { name: 'lat', type: 'latency', attributes: { latency: 1 } } });
    expect(r.statusCode).toBe(200);
  });

  afterAll(async () => {
    await ex?.close();
    echo?.close();
  });

  /** Asserts the shape of one answer; returns a description of what is wrong, or null. */
  function judge(status: number, body: string): string | null {
    if (status >= 500) return `status ${status}: ${body.slice(0, 300)}`;
    if (status < 400) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `status ${status}: not JSON: ${body.slice(0, 200)}`;
    }
    const e = parsed as { error?: unknown; code?: unknown };
    if (typeof e.error !== 'string' || typeof e.code !== 'string' || !/^FL_ERR_[A-Z0-9_]+$/.test(e.code)) return `status ${status}: not {error, code}: ${body.slice(0, 200)}`;
    return null;
  }

  it('answers 2,000 generated URLs without a 5xx, every error as {error, code}', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...templates), inUrl, inUrl, fc.jsonValue({ maxDepth: 2 }), async ([method, template], a, b, body) => {
        const url = template.replace(':a', a).replace(':b', b);
        const withBody = method !== 'GET' && method !== 'DELETE';
        const r = await ex.app.inject({
          method,
          url,
          ...(withBody ? { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) } : {}),
        });
        statuses.add(r.statusCode);
        const problem = judge(r.statusCode, r.body);
        if (problem) throw new Error(`${method} ${url.slice(0, 200)} -> ${problem}`);
      }),
      { numRuns: 2000 },
    );
    // The generator reaches the interesting answers: unknown names, bad names, bad encoding, too long.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([400, 404, 414]));
    expect(Math.max(...statuses)).toBeLessThan(500);
  }, 300_000);

  it('answers 800 generated Toxiproxy and v1 bodies with fuzzed names and addresses; no badly named proxy ever exists', async () => {
    const address = fc.oneof(
      fc.constant(`127.0.0.1:${echoPort}`),
      fc.constant('127.0.0.1:0'),
      fc.string({ maxLength: 30 }),
      fc.constantFrom('localhost:0', ':0', '[::1]:0', '127.0.0.1:65536', '127.0.0.1:-1', 'http://127.0.0.1:1/', '0.0.0.0:0', 'host', ''),
    );
    const proxyBody = fc.record({ name: nameLike, listen: address, upstream: address }, { requiredKeys: ['name', 'upstream'] });
    const request = fc.oneof(
      proxyBody.map((b) => ['POST', '/proxies', b] as const),
      proxyBody.map((b) => ['POST', '/v1/proxies', b] as const),
      fc.array(proxyBody, { maxLength: 3 }).map((b) => ['POST', '/populate', b] as const),
      fc.record({ listen: address, upstream: address }, { requiredKeys: [] }).map((b) => ['POST', '/proxies/db', b] as const),
      fc
        .record({ name: nameLike, type: fc.constantFrom('latency', 'slicer', 'bandwidth', 'nope'), stream: fc.constantFrom('upstream', 'downstream', 'sideways'), attributes: fc.dictionary(fc.constantFrom('latency', 'jitter', 'average_size', 'size_variation', 'delay', 'rate'), fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), fc.string())) })
        .map((b) => ['POST', '/proxies/db/toxics', b] as const),
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async ([method, url, body]) => {
        const r = await ex.app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        statuses.add(r.statusCode);
        const problem = judge(r.statusCode, r.body);
        if (problem) throw new Error(`${method} ${url} ${JSON.stringify(body).slice(0, 200)} -> ${problem}`);
      }),
      { numRuns: 800 },
    );
    // Some bodies were good enough to create something, many were refused.
    expect([...statuses]).toEqual(expect.arrayContaining([201, 400]));
    const names = ex.proxies.list().map((p) => p.name);
    expect(names.filter((n) => !NAME_PATTERN.test(n) || n === '.' || n === '..')).toEqual([]);
    // Every proxy can still be named in a URL and deleted (no name is stuck behind a 414).
    for (const n of names) {
      const del = await ex.app.inject({ method: 'DELETE', url: `/proxies/${encodeURIComponent(n)}` });
      expect(del.statusCode, n).toBe(204);
    }
    const health = await ex.app.inject({ method: 'GET', url: '/v1/health' });
    expect(health.statusCode).toBe(200);
  }, 300_000);
});
