/**
 * ProxyManager.update (re-address a live proxy: its faults follow it; a failed update changes
 * nothing) and DELETE /v1/proxies/:name while faults target it (they end, nothing is left).
 */
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExecutor, type Executor } from '../../src/executor/index.js';
import { listenOnFreePort, reservePort } from '../helpers/ports.js';
import { call, probe, startUpstream } from './helpers.js';

/** A TCP server answering every chunk with `tag`. */
async function tagServer(tag: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', () => s.write(tag)));
  const port = await listenOnFreePort(server);
  return { server, port };
}

/** Sends one byte through `listen` (host:port) and returns the answer and how long it took. */
async function exchange(listen: string): Promise<{ answer: string; ms: number }> {
  const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const t0 = performance.now();
  socket.write('x');
  const [data] = (await once(socket, 'data')) as [Buffer];
  const ms = performance.now() - t0;
  socket.destroy();
  return { answer: data.toString(), ms };
}

async function refused(listen: string): Promise<boolean> {
  const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    socket.destroy();
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  }
}

describe('ProxyManager.update and DELETE /v1/proxies/:name with live faults', () => {
  let ex: Executor;
  let a: Awaited<ReturnType<typeof tagServer>>;
  let b: Awaited<ReturnType<typeof tagServer>>;
  let web: Awaited<ReturnType<typeof startUpstream>>;

  beforeAll(async () => {
    [a, b] = [await tagServer('A'), await tagServer('B')];
    web = await startUpstream();
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      logger: pino({ level: 'silent' }),
      config: { proxies: [{ name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${a.port}`, protocol: 'tcp' }] },
    });
  });

  afterAll(async () => {
    await ex?.close();
    for (const s of [a, b]) s?.server.close();
    await web?.close();
  });

  it('re-addresses a proxy (upstream, then listen): traffic follows, the live toxic follows, the old address is closed', async () => {
    const applied = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'db', fault_type: 'latency', fault_config: { latency: 400 }, duration_seconds: 60 });
    expect(applied.status).toBe(201);
    const first = ex.proxies.require('db').listen;
    const before = await exchange(first);
    expect(before.answer).toBe('A');
    expect(before.ms).toBeGreaterThanOrEqual(390);

    const moved = await ex.proxies.update('db', { upstream: `127.0.0.1:${b.port}` });
    expect(moved.upstream).toBe(`127.0.0.1:${b.port}`);
    const viaB = await exchange(moved.listen);
    expect(viaB.answer).toBe('B');
    expect(viaB.ms).toBeGreaterThanOrEqual(390); // the toxic was re-added on the new proxy

    const freePort = await reservePort(); // the proxy must be told the address before it listens
    const relisted = await ex.proxies.update('db', { listen: `127.0.0.1:${freePort}` });
    expect(relisted.listen).toBe(`127.0.0.1:${freePort}`);
    expect(await refused(moved.listen)).toBe(true);
    expect((await exchange(relisted.listen)).answer).toBe('B');
    expect((await call(ex.url, 'GET', `/v1/faults/${applied.body.apply_id}/status`)).body.status).toBe('running');
    await call(ex.url, 'DELETE', `/v1/faults/${applied.body.apply_id}`);
  });

  it('a failed update (the new address is taken) changes nothing: same address, same upstream, same faults', async () => {
    const applied = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'db', fault_type: 'latency', fault_config: { latency: 300 }, duration_seconds: 60 });
    expect(applied.status).toBe(201);
    const before = ex.proxies.require('db');
    const blocker = createServer();
    const taken = await listenOnFreePort(blocker);
    try {
      await expect(ex.proxies.update('db', { listen: `127.0.0.1:${taken}` })).rejects.toMatchObject({ code: expect.stringMatching(/^FL_ERR_/) });
    } finally {
      blocker.close();
    }
    const after = ex.proxies.require('db');
    expect(after.listen).toBe(before.listen);
    expect(after.upstream).toBe(before.upstream);
    const r = await exchange(after.listen);
    expect(r.answer).toBe('B');
    expect(r.ms).toBeGreaterThanOrEqual(290);
    await call(ex.url, 'DELETE', `/v1/faults/${applied.body.apply_id}`);
  });

  it('update({ enabled }) closes and reopens the listener on the same address', async () => {
    const listen = ex.proxies.require('db').listen;
    await ex.proxies.update('db', { enabled: false });
    expect(await refused(listen)).toBe(true);
    await ex.proxies.update('db', { enabled: true });
    expect((await exchange(listen)).answer).toBe('B');
  });

  it('DELETE /v1/proxies/:name with faults running on it: they end at once, the address closes, nothing stays listed as running', async () => {
    const created = await call(ex.url, 'POST', '/v1/proxies', { name: 'doomed', listen: '127.0.0.1:0', upstream: `127.0.0.1:${web.port}`, protocol: 'http' });
    expect(created.status).toBe(201);
    const listen = created.body.listen as string;
    const f1 = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'doomed', fault_type: 'abort', fault_config: { http_status: 503 }, duration_seconds: 60 });
    const f2 = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'doomed', fault_type: 'delay', api: '/slow', fault_config: { delay_ms: 5000 }, duration_seconds: 60 });
    expect([f1.status, f2.status]).toEqual([201, 201]);
    expect(await probe(listen)).toBe(503);

    const del = await call(ex.url, 'DELETE', '/v1/proxies/doomed');
    expect(del.status).toBe(204);
    expect(await refused(listen)).toBe(true);
    for (const f of [f1, f2]) {
      const s = await call(ex.url, 'GET', `/v1/faults/${f.body.apply_id}/status`);
      expect(s.body.status, JSON.stringify(s.body)).toBe('cancelled');
    }
    const running = ((await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ service: string; status: string }>).filter((f) => f.service === 'doomed' && (f.status === 'running' || f.status === 'pending'));
    expect(running).toEqual([]);
    expect((await call(ex.url, 'GET', '/v1/proxies/doomed')).status).toBe(404);
    // The name is free again, and a new proxy under it starts clean.
    const again = await call(ex.url, 'POST', '/v1/proxies', { name: 'doomed', listen: '127.0.0.1:0', upstream: `127.0.0.1:${web.port}`, protocol: 'http' });
    expect(again.status).toBe(201);
    expect(await probe(again.body.listen as string)).toBe(200);
    await call(ex.url, 'DELETE', '/v1/proxies/doomed');
  });
});
