import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, stopAllDaemons, type Daemon } from '../helpers/daemon.js';
import { call, probe, sleep, startUpstream, type Answer } from './helpers.js';

const TOKEN = 'secret-token';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('faultline serve (a real daemon child)', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let d: Daemon;
  let web: string;
  let db: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    d = await startDaemon({
      token: TOKEN,
      config: {
        proxies: [
          { name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' },
          { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'tcp' },
        ],
      },
    });
    const proxies = (await call(d.url, 'GET', '/v1/proxies')).body.proxies as Array<{ name: string; listen: string }>;
    web = proxies.find((p) => p.name === 'web')!.listen;
    db = proxies.find((p) => p.name === 'db')!.listen;
  });

  afterAll(async () => {
    await stopAllDaemons();
    await upstream.close();
  });

  it('applies a fault that is visible on real traffic, completes on time, then traffic is clean', async () => {
    expect(await probe(web)).toBe(200);
    const applied = await call(d.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', fault_config: { http_status: 418 }, duration_seconds: 1.5 }, auth);
    expect(applied.status).toBe(201);
    expect(applied.body.status).toBe('applied');
    const id = applied.body.apply_id as string;
    const running = await call(d.url, 'GET', `/v1/faults/${id}/status`);
    expect(running.body).toMatchObject({ apply_id: id, status: 'running', error_msg: null });
    expect(await probe(web)).toBe(418);
    expect(await probe(web)).toBe(418);
    const endAt = Date.parse(running.body.end_time as string);
    expect(endAt - Date.parse(running.body.start_time as string)).toBe(1500);
    // Completed on time: wait until just after the planned end.
    await sleep(Math.max(0, endAt - Date.now()) + 300);
    const done = await call(d.url, 'GET', `/v1/faults/${id}/status`);
    expect(done.body.status).toBe('completed');
    expect(Date.parse(done.body.end_time as string) - endAt).toBeLessThan(1000);
    expect(await probe(web)).toBe(200);
    const metrics = await call(d.url, 'GET', `/v1/faults/${id}/metrics`);
    expect(metrics.body).toMatchObject({ apply_id: id, requests: 2, faulted: 2, status_codes: { '418': 2 } });
    expect(metrics.body.latency_ms).toHaveProperty('p99');
    const listed = await call(d.url, 'GET', '/v1/faults');
    expect(listed.body.faults.some((f: { apply_id: string }) => f.apply_id === id)).toBe(true);
  });

  it('a scheduled plan is pending until its start delay has passed', async () => {
    const r = await call(d.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', start_delay_ms: 400, duration_seconds: 1 }, auth);
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('scheduled');
    expect((await call(d.url, 'GET', `/v1/faults/${r.body.apply_id}/status`)).body.status).toBe('pending');
    expect(await probe(web)).toBe(200);
    await sleep(600);
    expect((await call(d.url, 'GET', `/v1/faults/${r.body.apply_id}/status`)).body.status).toBe('running');
    expect(await probe(web)).toBe(503);
    await call(d.url, 'DELETE', `/v1/faults/${r.body.apply_id}`, undefined, auth);
  });

  // The guarantee is "revert first, record after": by the time DELETE answers, traffic is already
  // clean. The clock starts before the request, so it times the revert, not just the probe; the
  // ceiling is wide (a loaded 2-core machine), the ordering is what is asserted exactly.
  it('DELETE has reverted the fault by the time it answers', async () => {
    const r = await call(d.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', duration_seconds: 60 }, auth);
    expect(await probe(web)).toBe(503);
    const t0 = performance.now();
    const del = await call(d.url, 'DELETE', `/v1/faults/${r.body.apply_id}`, undefined, auth);
    expect(del.status).toBe(200);
    expect(del.body.status).toBe('cancelled');
    expect(await probe(web)).toBe(200); // the first request after the answer is clean
    expect(performance.now() - t0).toBeLessThan(2000);
    // Cancelling again changes nothing.
    expect((await call(d.url, 'DELETE', `/v1/faults/${r.body.apply_id}`, undefined, auth)).body.status).toBe('cancelled');
  });

  it('halt has reverted every fault and policy by the time it answers', async () => {
    const a = await call(d.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', api: '/a', duration_seconds: 60 }, auth);
    expect(a.status).toBe(201);
    const p = await call(d.url, 'POST', '/v1/policies', { id: 'standing', service: 'web', fault_type: 'abort', api: '/b', fault_config: { http_status: 502 } }, auth);
    expect(p.status).toBe(201);
    expect(await probe(web, '/a')).toBe(503);
    expect(await probe(web, '/b')).toBe(502);
    const t0 = performance.now();
    const h = await call(d.url, 'POST', '/v1/halt', {}, auth);
    // The policy's installation is an application too: two cancelled.
    expect(h.body).toMatchObject({ status: 'halted', cancelled: 2, policies_removed: 1 });
    expect(await probe(web, '/a')).toBe(200);
    expect(await probe(web, '/b')).toBe(200);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect((await call(d.url, 'GET', `/v1/faults/${a.body.apply_id}/status`)).body.status).toBe('cancelled');
    expect((await call(d.url, 'GET', '/v1/policies')).body.policies).toEqual([]);
  });

  it('a tcp latency toxic delays real traffic through the TCP proxy until it ends', async () => {
    // 600 ms: far above what a loaded machine adds to a loopback round trip, so "gone" is unambiguous.
    const r = await call(d.url, 'POST', '/v1/faults/apply', { service: 'db', fault_type: 'latency', fault_config: { latency: 600 }, duration_seconds: 30 }, auth);
    expect(r.status).toBe(201);
    const timedProbe = async (): Promise<number> => {
      const t0 = performance.now();
      expect(await probe(db)).toBe(200);
      return performance.now() - t0;
    };
    const slow = await timedProbe();
    expect(slow).toBeGreaterThanOrEqual(590);
    expect(slow).toBeLessThan(10_000);
    await call(d.url, 'DELETE', `/v1/faults/${r.body.apply_id}`, undefined, auth);
    const after = Math.min(await timedProbe(), await timedProbe(), await timedProbe());
    expect(after).toBeLessThan(500); // the 600 ms toxic is gone
    const m = await call(d.url, 'GET', `/v1/faults/${r.body.apply_id}/metrics`);
    expect(m.body.requests).toBeGreaterThanOrEqual(1);
    expect(m.body.faulted).toBeGreaterThanOrEqual(1);
  });

  it('a tcp down fault closes the proxy listener and it listens again afterwards', async () => {
    const r = await call(d.url, 'POST', '/v1/faults/apply', { service: 'db', fault_type: 'down', duration_seconds: 30 }, auth);
    expect(r.status).toBe(201);
    await expect(probe(db)).rejects.toThrow();
    await call(d.url, 'DELETE', `/v1/faults/${r.body.apply_id}`, undefined, auth);
    expect(await probe(db)).toBe(200);
  });

  it('answers 401 to a mutating request without the token, and reads stay open', async () => {
    const noToken = await call(d.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort' });
    expect(noToken.status).toBe(401);
    expect(noToken.body).toEqual({ error: expect.any(String), code: 'FL_ERR_EXECUTOR_UNAUTHORIZED' });
    expect((await call(d.url, 'POST', '/v1/halt', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call(d.url, 'DELETE', '/v1/proxies/web')).status).toBe(401);
    expect((await call(d.url, 'GET', '/v1/faults')).status).toBe(200);
    expect(await probe(web)).toBe(200);
  });

  it('answers 413 to a body over 1 MB', async () => {
    const r = await call(d.url, 'POST', '/v1/faults/apply', JSON.stringify({ service: 'web', pad: 'x'.repeat(1_100_000) }), auth);
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('FL_ERR_EXECUTOR_BODY_TOO_LARGE');
  });

  it('answers 404 for an unknown application, proxy, policy, service or route', async () => {
    const cases: Array<[Promise<Answer>, string]> = [
      [call(d.url, 'GET', '/v1/faults/nope/status'), 'FL_ERR_EXECUTOR_APPLICATION_NOT_FOUND'],
      [call(d.url, 'GET', '/v1/faults/nope/metrics'), 'FL_ERR_EXECUTOR_APPLICATION_NOT_FOUND'],
      [call(d.url, 'DELETE', '/v1/faults/nope', undefined, auth), 'FL_ERR_EXECUTOR_APPLICATION_NOT_FOUND'],
      [call(d.url, 'GET', '/v1/proxies/nope'), 'FL_ERR_EXECUTOR_PROXY_NOT_FOUND'],
      [call(d.url, 'DELETE', '/v1/proxies/nope', undefined, auth), 'FL_ERR_EXECUTOR_PROXY_NOT_FOUND'],
      [call(d.url, 'GET', '/v1/policies/nope'), 'FL_ERR_EXECUTOR_POLICY_NOT_FOUND'],
      [call(d.url, 'POST', '/v1/faults/apply', { service: 'nope', fault_type: 'abort' }, auth), 'FL_ERR_EXECUTOR_SERVICE_NOT_FOUND'],
      [call(d.url, 'GET', '/v1/nothing-here'), 'FL_ERR_EXECUTOR_ROUTE_NOT_FOUND'],
    ];
    for (const [p, code] of cases) {
      const r = await p;
      expect(r.status, code).toBe(404);
      expect(r.body.code).toBe(code);
    }
  });

  it('answers 409 to a duplicate proxy or policy', async () => {
    const dupProxy = await call(d.url, 'POST', '/v1/proxies', { name: 'web', upstream: '127.0.0.1:1' }, auth);
    expect(dupProxy.status).toBe(409);
    expect(dupProxy.body.code).toBe('FL_ERR_EXECUTOR_PROXY_EXISTS');
    const body = { id: 'dup', service: 'web', fault_type: 'abort', api: '/dup' };
    expect((await call(d.url, 'POST', '/v1/policies', body, auth)).status).toBe(201);
    const again = await call(d.url, 'POST', '/v1/policies', body, auth);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('FL_ERR_EXECUTOR_POLICY_EXISTS');
    expect((await call(d.url, 'DELETE', '/v1/policies/dup', undefined, auth)).status).toBe(204);
  });

  it('answers 400 naming each bad field', async () => {
    const r = await call(d.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', percentage: 150, fault_config: { http_status: 99, bogus: 1 } }, auth);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('FL_ERR_PLAN_INVALID');
    const paths = (r.body.issues as Array<{ path: string }>).map((i) => i.path).sort();
    expect(paths).toEqual(['fault_config.bogus', 'fault_config.http_status', 'percentage']);
    const mismatch = await call(d.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'latency' }, auth);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.issues).toEqual([{ path: 'fault_type', message: expect.stringContaining('http proxy') }]);
    const proxy = await call(d.url, 'POST', '/v1/proxies', { name: 'bad name!', listen: 'nowhere', protocol: 'udp' }, auth);
    expect(proxy.status).toBe(400);
    expect((proxy.body.issues as Array<{ path: string }>).map((i) => i.path).sort()).toEqual(['listen', 'name', 'protocol', 'upstream']);
    const json = await call(d.url, 'POST', '/v1/faults/apply', '{"service": ', auth);
    expect(json.status).toBe(400);
    expect(json.body.code).toBe('FL_ERR_EXECUTOR_BAD_JSON');
  });

  it('serves Prometheus metrics and an OpenAPI document', async () => {
    const m = await call(d.url, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/faultline_active_faults/);
    expect(m.body).toMatch(/faultline_proxy_requests_total\{[^}]*proxy="web"/);
    expect(m.body).toMatch(/faultline_api_requests_total\{[^}]*route="\/v1\/faults\/apply"[^}]*status_code="201"/);
    expect(m.body).toMatch(/faultline_applications\{status="completed"/);
    const o = await call(d.url, 'GET', '/openapi.json');
    expect(o.body.openapi).toBe('3.1.0');
  });

  it('SIGTERM reverts every fault, closes the proxies and exits 0', async () => {
    const r = await call(d.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', duration_seconds: 60 }, auth);
    expect(r.status).toBe(201);
    const exit = await d.stop({ signal: 'SIGTERM' });
    expect(exit.code).toBe(0);
    await expect(probe(web)).rejects.toThrow();
  });
});
