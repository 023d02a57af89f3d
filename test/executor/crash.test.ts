import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, stopAllDaemons } from '../helpers/daemon.js';
import { call, probe, sleep, startUpstream } from './helpers.js';

describe('crash safety: SIGKILL the daemon and restart it on the same state file', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let dir: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    dir = mkdtempSync(join(tmpdir(), 'faultline-crash-'));
  });

  afterAll(async () => {
    await stopAllDaemons();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The issue asks for a 10 s fault; 20 s leaves room for a slow daemon restart (tsx start-up) on a
  // busy machine, so that the fault is still live when the executor comes back.
  it('re-arms a live fault until its original end time, and does not re-apply an expired one', async () => {
    const config = {
      proxies: [
        { name: 'long', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' },
        { name: 'short', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' },
      ],
    };
    const first = await startDaemon({ dir, config });
    const proxies = (await call(first.url, 'GET', '/v1/proxies')).body.proxies as Array<{ name: string; listen: string }>;
    const long = proxies.find((p) => p.name === 'long')!.listen;
    const short = proxies.find((p) => p.name === 'short')!.listen;

    const a = await call(first.url, 'POST', '/v1/faults/apply', { service: 'long', fault_type: 'abort', fault_config: { http_status: 418 }, duration_seconds: 20 });
    const b = await call(first.url, 'POST', '/v1/faults/apply', { service: 'short', fault_type: 'abort', fault_config: { http_status: 418 }, duration_seconds: 1 });
    const p = await call(first.url, 'POST', '/v1/policies', { id: 'standing', service: 'long', fault_type: 'abort', api: '/policy', fault_config: { http_status: 502 } });
    expect([a.status, b.status, p.status]).toEqual([201, 201, 201]);
    const endA = Date.parse(a.body.end_time as string);
    const endB = Date.parse(b.body.end_time as string);
    expect(await probe(long)).toBe(418);
    expect(await probe(short)).toBe(418);

    const killed = await first.stop({ signal: 'SIGKILL', keepDir: true });
    expect(killed.signal).toBe('SIGKILL');
    // Let the short fault expire while the executor is down.
    await sleep(Math.max(0, endB - Date.now()) + 100);

    const second = await startDaemon({ dir, config });
    expect(endA - Date.now()).toBeGreaterThan(500); // the restart was fast enough for the check to mean something

    // The proxies are back on the same addresses.
    const again = (await call(second.url, 'GET', '/v1/proxies')).body.proxies as Array<{ name: string; listen: string }>;
    expect(again.find((x) => x.name === 'long')!.listen).toBe(long);

    const sa = await call(second.url, 'GET', `/v1/faults/${a.body.apply_id}/status`);
    const sb = await call(second.url, 'GET', `/v1/faults/${b.body.apply_id}/status`);
    expect(sa.body.status).toBe('running');
    expect(Date.parse(sa.body.end_time as string)).toBe(endA);
    expect(sb.body.status).toBe('completed');
    expect(await probe(short)).toBe(200); // the expired one was not re-applied
    expect(await probe(long)).toBe(418); // the live one is back
    expect(await probe(long, '/policy')).toBe(502); // the policy came back

    // It ends at its original end time: still on just before, gone just after.
    expect(endA - Date.now()).toBeGreaterThan(1500); // a restart that ate the fault's time fails here, it does not skip the check
    await sleep(endA - Date.now() - 1000);
    expect(await probe(long)).toBe(418);
    await sleep(Math.max(0, endA - Date.now()) + 400);
    expect(await probe(long)).toBe(200);
    const done = await call(second.url, 'GET', `/v1/faults/${a.body.apply_id}/status`);
    expect(done.body.status).toBe('completed');
    expect(Date.parse(done.body.end_time as string) - endA).toBeLessThan(1500); // recorded at its original end, not a later one
    expect(await probe(long, '/policy')).toBe(502);
    await second.stop({ keepDir: true });
  }, 60_000);
});
