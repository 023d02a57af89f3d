import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { safeParsePlan } from '../../src/plan/index.js';
import { startExecutor, type Executor } from '../../src/executor/index.js';
import { startUpstream } from './helpers.js';

// Every mutating endpoint of API v1, with a path that names something that exists (so the body
// is what gets judged) and one that does not.
const endpoints: Array<{ method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string }> = [
  { method: 'POST', url: '/v1/faults/apply' },
  { method: 'POST', url: '/v1/halt' },
  { method: 'POST', url: '/v1/policies' },
  { method: 'PUT', url: '/v1/policies/p1' },
  { method: 'PUT', url: '/v1/policies/bad%20id%2F..' },
  { method: 'DELETE', url: '/v1/policies/p1' },
  { method: 'POST', url: '/v1/proxies' },
  { method: 'DELETE', url: '/v1/proxies/nope' },
  { method: 'DELETE', url: '/v1/faults/nope' },
  { method: 'POST', url: '/v1/processes/app/kill' },
  { method: 'POST', url: '/v1/processes/app/pause' },
  { method: 'POST', url: '/v1/processes/app/restart' },
  { method: 'POST', url: '/v1/processes/nope/kill' },
  // The Toxiproxy-compatible API on the same port.
  { method: 'POST', url: '/proxies' },
  { method: 'POST', url: '/populate' },
  { method: 'POST', url: '/proxies/db' },
  { method: 'PATCH', url: '/proxies/db' },
  { method: 'DELETE', url: '/proxies/nope' },
  { method: 'POST', url: '/proxies/db/toxics' },
  { method: 'POST', url: '/proxies/db/toxics/nope' },
  { method: 'DELETE', url: '/proxies/db/toxics/nope' },
];

const junkValue = fc.oneof(
  fc.constant(1e308),
  fc.constant(-1e308),
  fc.constant(Number.MAX_SAFE_INTEGER * 1000),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constant(null),
  fc.boolean(),
  fc.constant('__proto__'),
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
);

const planKeys = ['service', 'fault_type', 'fault_config', 'percentage', 'duration_seconds', 'start_delay_ms', 'api', 'method', 'headers', 'id', 'expires_at', 'signal', 'duration_ms', 'name', 'listen', 'upstream', 'protocol', 'enabled', 'type', 'attributes', 'toxicity', 'stream', '__proto__', 'constructor'];

/** A plausible body with one or more fields broken. */
const mutatedObject = fc
  .record({
    base: fc.constantFrom<Record<string, unknown>>(
      { service: 'web', fault_type: 'abort', fault_config: { http_status: 503 } },
      { service: 'db', fault_type: 'latency', fault_config: { latency: 100 } },
      { id: 'p1', service: 'web', fault_type: 'delay', fault_config: { delay_ms: 10 } },
      { name: 'x', listen: '127.0.0.1:0', upstream: '127.0.0.1:1', protocol: 'http' },
      { name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 10 } },
      { signal: 'SIGTERM' },
      { duration_ms: 10 },
    ),
    edits: fc.array(fc.tuple(fc.constantFrom(...planKeys), junkValue), { minLength: 1, maxLength: 4 }),
  })
  .map(({ base, edits }) => {
    const o: Record<string, unknown> = { ...base };
    for (const [k, v] of edits) Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });
    return JSON.stringify(o);
  });

const rawText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('{', '}', '{"a":', 'null', 'true', '[]', '""', '1e99999', '-', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '{"service":"web","fault_type":"abort"}{}'),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 5_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
);

const body = fc.oneof({ weight: 3, arbitrary: mutatedObject }, { weight: 3, arbitrary: rawText }, { weight: 1, arbitrary: fc.constant('') });
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '', 'application/json; charset=latin1', 'garbage/\u00ff');

function isValidFor(url: string, text: string): boolean {
  let v: unknown;
  try {
    v = text === '' ? {} : JSON.parse(text);
  } catch {
    return false;
  }
  if (url === '/v1/faults/apply') return safeParsePlan(v).ok;
  // A kill/restart with an empty or {} body is valid: keep the supervised child alive during fuzzing.
  if (/\/(kill|restart)$/.test(url)) return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).every((k) => k === 'signal');
  return false;
}

describe('malformed requests never yield a 5xx or hurt the daemon', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let ex: Executor;

  beforeAll(async () => {
    upstream = await startUpstream();
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      logger: pino({ level: 'silent' }),
      config: {
        proxies: [
          { name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' },
          { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'tcp' },
        ],
        processes: [{ name: 'app', command: process.execPath, args: ['test/fixtures/http-server.mjs', '0'], restart: { policy: 'always' } }],
      },
    });
  });

  afterAll(async () => {
    await ex?.close();
    await upstream?.close();
  });

  it('answers 2,000 generated malformed bodies over every mutating endpoint (v1 and Toxiproxy) without a 5xx (in-process inject)', async () => {
    const statuses = new Map<number, number>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, contentType, async (ep, text, ct) => {
        fc.pre(!isValidFor(ep.url, text));
        n++;
        const res = await ex.app.inject({ method: ep.method, url: ep.url, payload: text, headers: ct === '' ? {} : { 'content-type': ct } });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, `${ep.method} ${ep.url} ${ct} ${text.slice(0, 200)} -> ${res.body}`).toBeLessThan(500);
        expect(res.statusCode).toBeGreaterThanOrEqual(200);
        const parsed = JSON.parse(res.body || '{}') as { code?: string; error?: string };
        if (res.statusCode >= 400 && ep.url.startsWith('/v1')) {
          expect(parsed.code).toMatch(/^FL_ERR_/);
          expect(typeof parsed.error).toBe('string');
        }
      }),
      { numRuns: 2200, seed: 4242 },
    );
    expect(n).toBeGreaterThanOrEqual(2000);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    const health = await ex.app.inject({ method: 'GET', url: '/v1/health' });
    expect(health.statusCode).toBe(200);
  }, 120_000);

  it('answers 300 more over a real socket, and the daemon stays healthy', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, contentType, async (ep, text, ct) => {
        fc.pre(!isValidFor(ep.url, text));
        n++;
        const res = await request(`${ex.url}${ep.url}`, { method: ep.method, body: text, headers: ct === '' ? {} : { 'content-type': ct } });
        const answer = await res.body.text();
        expect(res.statusCode, `${ep.method} ${ep.url} ${text.slice(0, 200)} -> ${answer}`).toBeLessThan(500);
      }),
      { numRuns: 300, seed: 777 },
    );
    expect(n).toBeGreaterThan(250);
    const health = await request(`${ex.url}/v1/health`);
    expect(health.statusCode).toBe(200);
    expect(((await health.body.json()) as { status: string }).status).toBe('ok');
  }, 120_000);
});
