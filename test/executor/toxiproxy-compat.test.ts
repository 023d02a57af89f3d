import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startDaemon, type Daemon } from '../helpers/daemon.js';

/** Round-trip time of one small echo through `port`, in ms. */
async function echoRtt(port: number): Promise<number> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const start = performance.now();
  socket.write('ping');
  await once(socket, 'data');
  const rtt = performance.now() - start;
  socket.destroy();
  return rtt;
}

/**
 * The smallest of `n` round trips: a loaded machine adds delay to some, never takes a toxic's
 * delay away, so the minimum is the fair reading of "is there a toxic".
 */
async function minRtt(port: number, n = 3): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, await echoRtt(port));
  return best;
}

describe('the Toxiproxy-compatible API, driven by toxiproxy-node-client', () => {
  let daemon: Daemon;
  let echo: Server;
  let echoPort: number;
  let toxiproxy: Toxiproxy;

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
    daemon = await startDaemon();
    toxiproxy = new Toxiproxy(daemon.url);
  });

  afterAll(async () => {
    await daemon?.stop();
    echo?.close();
  });

  it('creates a proxy, adds, lists, updates and removes a latency toxic, measured on real traffic', async () => {
    const proxy = await toxiproxy.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    expect(proxy.name).toBe('echo');
    const port = Number(proxy.listen.split(':').at(-1));
    expect(port).toBeGreaterThan(0);
    expect(await echoRtt(port)).toBeGreaterThanOrEqual(0); // it echoes

    const toxic = await proxy.addToxic({ type: 'latency', attributes: { latency: 150 } } as never);
    expect(toxic.name).toBe('latency_downstream');
    expect(toxic.stream).toBe('downstream');
    expect(toxic.toxicity).toBe(1);
    expect(await minRtt(port)).toBeGreaterThanOrEqual(140);

    const all = await toxiproxy.getAll();
    expect(Object.keys(all)).toEqual(['echo']);
    const listed = (await (await fetch(`${daemon.url}/proxies/echo/toxics`)).json()) as { name: string; attributes: { latency: number } }[];
    expect(listed.map((t) => t.name)).toEqual(['latency_downstream']);

    const updated = await toxic.update({ attributes: { latency: 400 } } as never);
    expect(updated.attributes).toMatchObject({ latency: 400, jitter: 0 });
    expect(await minRtt(port)).toBeGreaterThanOrEqual(380);

    await updated.remove();
    // Without the 400 ms toxic, the fastest of three round trips is far below 400 ms.
    expect(await minRtt(port)).toBeLessThan(200);
    expect(((await (await fetch(`${daemon.url}/proxies/echo/toxics`)).json()) as unknown[]).length).toBe(0);

    await proxy.remove();
    expect(Object.keys(await toxiproxy.getAll())).toEqual([]);
  });

  it('answers with Toxiproxy status codes, error shapes and defaults', async () => {
    const post = (path: string, body?: unknown, method = 'POST') =>
      fetch(`${daemon.url}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    const created = await post('/proxies', { name: 'p1', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    expect(created.status).toBe(201);
    const dup = await post('/proxies', { name: 'p1', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    expect(dup.status).toBe(409);
    // Toxiproxy's shape, plus faultline's code.
    expect(await dup.json()).toEqual({ error: 'proxy already exists', status: 409, code: 'FL_ERR_EXECUTOR_PROXY_EXISTS' });
    const missing = await post('/proxies', { listen: '127.0.0.1:0' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe('missing required field: name');
    const notFound = await fetch(`${daemon.url}/proxies/nope`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: 'proxy not found', status: 404, code: 'FL_ERR_EXECUTOR_PROXY_NOT_FOUND' });

    const badType = await post('/proxies/p1/toxics', { type: 'nope' });
    expect(badType.status).toBe(400);
    expect(((await badType.json()) as { error: string }).error).toBe('invalid toxic type');
    const badStream = await post('/proxies/p1/toxics', { type: 'latency', stream: 'sideways' });
    expect(badStream.status).toBe(400);
    const badAttr = await post('/proxies/p1/toxics', { type: 'latency', attributes: { latency: -5 } });
    expect(badAttr.status).toBe(400);
    expect(((await badAttr.json()) as { error: string }).error).toContain('attributes.latency');

    const up = await post('/proxies/p1/toxics', { type: 'bandwidth', stream: 'upstream', toxicity: 0.5, attributes: { rate: 100 } });
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ name: 'bandwidth_upstream', type: 'bandwidth', stream: 'upstream', toxicity: 0.5, attributes: { rate: 100 } });
    expect((await post('/proxies/p1/toxics', { type: 'bandwidth', stream: 'upstream' })).status).toBe(409);
    expect((await fetch(`${daemon.url}/proxies/p1/toxics/none`)).status).toBe(404);

    const disabled = await post('/proxies/p1', { enabled: false }, 'PATCH');
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as { enabled: boolean }).enabled).toBe(false);
    const port = Number(((await (await fetch(`${daemon.url}/proxies/p1`)).json()) as { listen: string }).listen.split(':').at(-1));
    await expect(echoRtt(port)).rejects.toThrow();

    const reset = await post('/reset');
    expect(reset.status).toBe(204);
    const after = (await (await fetch(`${daemon.url}/proxies/p1`)).json()) as { enabled: boolean; toxics: unknown[] };
    expect(after.enabled).toBe(true);
    expect(after.toxics).toEqual([]);
    // Enabled again: it echoes (a disabled proxy refuses the connection, as above).
    expect(await echoRtt(port)).toBeGreaterThanOrEqual(0);

    const populated = await post('/populate', [
      { name: 'p1', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` },
      { name: 'p2', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` },
    ]);
    expect(populated.status).toBe(201);
    expect(((await populated.json()) as { proxies: { name: string }[] }).proxies.map((p) => p.name)).toEqual(['p1', 'p2']);
    const badPopulate = await post('/populate', [{ name: 'p3' }]);
    expect(badPopulate.status).toBe(400);
    expect(((await badPopulate.json()) as { error: string }).error).toBe('missing required field: upstream at proxy 1');

    expect((await post('/proxies/p2', undefined, 'DELETE')).status).toBe(204);
    expect((await post('/proxies/p1', undefined, 'DELETE')).status).toBe(204);
    const version = (await (await fetch(`${daemon.url}/version`)).json()) as { version: string };
    expect(version.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
