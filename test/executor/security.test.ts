import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startExecutor, type Executor } from '../../src/executor/index.js';
import { call, type Answer } from './helpers.js';

async function until<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A raw request (undici's `request` sends the Host and Origin headers as given; fetch would drop Host). */
async function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const res = await request(`${base}${path}`, { method: method as 'POST', headers, body: body ?? null });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.statusCode, body: parsed };
}

const json = { 'content-type': 'application/json' };
const browserUa = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

describe('the executor refuses what a web page could send', () => {
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
      config: { allowed_origins: ['http://dashboard.example:3000'] },
    });
  });

  afterAll(async () => {
    await ex?.close();
    echo?.close();
  });

  const proxyBody = (name: string) => JSON.stringify({ name, upstream: `127.0.0.1:${echoPort}` });
  const proxyNames = () => ex.proxies.list().map((p) => p.name);

  it('refuses a Host that names neither the listen address nor loopback (DNS rebinding), even for halt', async () => {
    for (const host of ['attacker.example', `attacker.example:${ex.port}`, `127.0.0.1.nip.io:${ex.port}`]) {
      const r = await raw(ex.url, 'POST', '/v1/proxies', { ...json, host }, proxyBody('rebound'));
      expect(r.status, host).toBe(403);
      expect(r.body).toEqual({ error: expect.stringContaining('allowed_hosts'), code: 'FL_ERR_EXECUTOR_HOST_REFUSED' });
    }
    const halt = await raw(ex.url, 'POST', '/v1/halt', { host: 'attacker.example' });
    expect(halt.status).toBe(403);
    expect(halt.body.code).toBe('FL_ERR_EXECUTOR_HOST_REFUSED');
    expect(proxyNames()).not.toContain('rebound');
    // Reads too: a rebinding page must not read the state either.
    expect((await raw(ex.url, 'GET', '/v1/faults', { host: 'attacker.example' })).status).toBe(403);
    for (const host of [`localhost:${ex.port}`, `127.0.0.1:${ex.port}`, `[::1]:${ex.port}`, 'LOCALHOST']) {
      expect((await raw(ex.url, 'GET', '/v1/health', { host })).status, host).toBe(200);
    }
  });

  it('answers 415 to a mutating body that is not application/json, and the halt accepts any body or none', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'content-type': 'text/plain' }, proxyBody('t1')],
      [{ 'content-type': 'text/plain;charset=UTF-8' }, proxyBody('t2')],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, `x=${encodeURIComponent(proxyBody('t3'))}`],
      [{ 'content-type': 'multipart/form-data; boundary=b' }, `--b\r\ncontent-disposition: form-data; name="x"\r\n\r\n${proxyBody('t4')}\r\n--b--\r\n`],
      [{}, proxyBody('t5')],
    ];
    for (const [headers, body] of cases) {
      const r = await raw(ex.url, 'POST', '/v1/proxies', headers, body);
      expect(r.status, JSON.stringify(headers)).toBe(415);
      expect(r.body).toEqual({ error: expect.stringContaining('application/json'), code: 'FL_ERR_EXECUTOR_UNSUPPORTED_MEDIA_TYPE' });
    }
    const apply = await raw(ex.url, 'POST', '/v1/faults/apply', { 'content-type': 'text/plain' }, '{"service":"x","fault_type":"down"}');
    expect(apply.status).toBe(415);
    const toxi = await raw(ex.url, 'POST', '/proxies', { 'content-type': 'text/plain' }, proxyBody('t6'));
    expect(toxi.status).toBe(415);
    expect(toxi.body.code).toBe('FL_ERR_EXECUTOR_UNSUPPORTED_MEDIA_TYPE');
    expect(proxyNames().filter((n) => n.startsWith('t'))).toEqual([]);

    // A halt always works: garbage text, a form, a huge body, no body.
    expect((await raw(ex.url, 'POST', '/v1/halt', { 'content-type': 'text/plain' }, 'not json at all')).status).toBe(200);
    expect((await raw(ex.url, 'POST', '/v1/halt', { 'content-type': 'application/json' }, '{"broken":')).status).toBe(200);
    expect((await raw(ex.url, 'POST', '/v1/halt', { 'content-type': 'application/octet-stream' }, 'x'.repeat(2_000_000))).status).toBe(200);
    expect((await raw(ex.url, 'POST', '/v1/halt')).body).toMatchObject({ status: 'halted' });
    // JSON and a bodyless POST still work.
    expect((await raw(ex.url, 'POST', '/v1/proxies', { 'content-type': 'application/json; charset=utf-8' }, proxyBody('ok1'))).status).toBe(201);
    expect((await raw(ex.url, 'POST', '/reset')).status).toBe(204);
    expect((await raw(ex.url, 'DELETE', '/v1/proxies/ok1')).status).toBe(204);
  });

  it("refuses a foreign Origin, accepts the daemon's own and an allowed one (with its preflight)", async () => {
    const foreign = await raw(ex.url, 'POST', '/v1/proxies', { ...json, origin: 'http://evil.example' }, proxyBody('o1'));
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({ error: expect.stringContaining('allowed_origins'), code: 'FL_ERR_EXECUTOR_ORIGIN_REFUSED' });
    // Another port of loopback is another origin.
    const otherPort = await raw(ex.url, 'POST', '/v1/halt', { origin: `http://127.0.0.1:${ex.port + 1}` });
    expect(otherPort.status).toBe(403);
    expect((await raw(ex.url, 'POST', '/v1/halt', { origin: 'null' })).status).toBe(403);
    const preflight = await raw(ex.url, 'OPTIONS', '/v1/proxies', { origin: 'http://evil.example', 'access-control-request-method': 'POST' });
    expect(preflight.status).toBe(403);

    expect((await raw(ex.url, 'POST', '/v1/proxies', { ...json, origin: ex.url }, proxyBody('own'))).status).toBe(201);

    const allowed = 'http://dashboard.example:3000';
    const pre = await request(`${ex.url}/v1/proxies`, { method: 'OPTIONS', headers: { origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    await pre.body.dump();
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(allowed);
    expect(String(pre.headers['access-control-allow-headers'])).toContain('content-type');
    const fromDashboard = await request(`${ex.url}/v1/proxies`, { method: 'POST', headers: { ...json, origin: allowed }, body: proxyBody('dash') });
    await fromDashboard.body.dump();
    expect(fromDashboard.statusCode).toBe(201);
    expect(fromDashboard.headers['access-control-allow-origin']).toBe(allowed);
    expect(proxyNames()).toEqual(expect.arrayContaining(['own', 'dash']));
    expect(proxyNames()).not.toContain('o1');
  });

  it('refuses browser user agents on the Toxiproxy routes (as Toxiproxy does), not on /v1', async () => {
    for (const [method, path] of [
      ['GET', '/version'],
      ['GET', '/proxies'],
      ['POST', '/proxies'],
      ['POST', '/reset'],
      ['DELETE', '/proxies/own'],
    ] as const) {
      const r = await raw(ex.url, method, path, { ...(method === 'POST' ? json : {}), 'user-agent': browserUa }, method === 'POST' && path === '/proxies' ? proxyBody('b1') : undefined);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body).toMatchObject({ error: expect.stringContaining('User agent not allowed'), code: 'FL_ERR_EXECUTOR_BROWSER_REFUSED' });
    }
    expect(proxyNames()).toContain('own');
    expect(proxyNames()).not.toContain('b1');
    // A script that happens to say Mozilla on /v1, without an Origin, is not a browser page.
    expect((await raw(ex.url, 'GET', '/v1/proxies', { 'user-agent': browserUa })).status).toBe(200);
    expect((await raw(ex.url, 'GET', '/proxies', { 'user-agent': 'curl/8.5.0' })).status).toBe(200);
  });

  it('answers framework errors (bad URL, too-long name) in the {error, code} shape', async () => {
    const badUrl = await raw(ex.url, 'GET', '/v1/policies/%E0%A4%A');
    expect(badUrl.status).toBe(400);
    expect(badUrl.body).toEqual({ error: expect.any(String), code: 'FL_ERR_EXECUTOR_BAD_URL' });
    const tooLong = await raw(ex.url, 'DELETE', `/proxies/${'a'.repeat(250)}`);
    expect(tooLong.status).toBe(414);
    expect(tooLong.body).toEqual({ error: expect.any(String), code: 'FL_ERR_EXECUTOR_URL_TOO_LONG' });
  });
});

describe('one set of validators for names, listen and upstream addresses', () => {
  let ex: Executor;
  let echo: Server;
  let echoPort: number;

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
    ex = await startExecutor({ listen: '127.0.0.1:0', statePath: ':memory:', token: '' });
  });

  afterAll(async () => {
    await ex?.close();
    echo?.close();
  });

  const badNames = ['../../x', '.', '..', 'a/b', 'bad name', 'tab\tname', 'nul\u0000', 'ünïcode', 'a'.repeat(129), 'x'.repeat(100_000), ''];

  it('refuses bad proxy names on both /v1/proxies and the Toxiproxy routes, with the field named', async () => {
    for (const name of badNames) {
      const body = { name, upstream: `127.0.0.1:${echoPort}` };
      const v1 = await call(ex.url, 'POST', '/v1/proxies', body);
      expect(v1.status, JSON.stringify(name).slice(0, 40)).toBe(400);
      expect(v1.body.issues.map((i: { path: string }) => i.path)).toContain('name');
      const toxi = await call(ex.url, 'POST', '/proxies', body);
      expect(toxi.status, JSON.stringify(name).slice(0, 40)).toBe(400);
      expect(toxi.body.error).toMatch(name === '' ? /name/ : /^bad request body: name/);
      expect(toxi.body.code).toMatch(/^FL_ERR_/);
      const populate = await call(ex.url, 'POST', '/populate', [body]);
      expect(populate.status).toBe(400);
    }
    expect(ex.proxies.list()).toEqual([]);
    // 128 characters is the longest name, and it can be deleted again by its URL.
    const longest = 'n'.repeat(128);
    expect((await call(ex.url, 'POST', '/proxies', { name: longest, upstream: `127.0.0.1:${echoPort}` })).status).toBe(201);
    expect((await call(ex.url, 'DELETE', `/proxies/${longest}`)).status).toBe(204);
  });

  it('refuses upstream port 0 and a bad listen address on the Toxiproxy routes too', async () => {
    for (const path of ['/v1/proxies', '/proxies']) {
      const port0 = await call(ex.url, 'POST', path, { name: 'p0', upstream: '127.0.0.1:0' });
      expect(port0.status, path).toBe(400);
      expect(JSON.stringify(port0.body)).toContain('upstream');
      const badListen = await call(ex.url, 'POST', path, { name: 'p0', listen: 'nowhere', upstream: `127.0.0.1:${echoPort}` });
      expect(badListen.status, path).toBe(400);
      expect(JSON.stringify(badListen.body)).toContain('listen');
    }
  });

  it('refuses a proxy whose upstream is its own listen address', async () => {
    const port = echoPort + 1;
    for (const [listen, upstream] of <Array<[string, string]>>[
      [`127.0.0.1:${port}`, `127.0.0.1:${port}`],
      [`127.0.0.1:${port}`, `localhost:${port}`],
      [`0.0.0.0:${port}`, `127.0.0.1:${port}`],
      [`localhost:${port}`, `http://127.0.0.1:${port}/`],
    ]) {
      const v1 = await call(ex.url, 'POST', '/v1/proxies', { name: 'loop', listen, upstream, protocol: upstream.startsWith('http') ? 'http' : 'tcp' });
      expect(v1.status, `${listen} -> ${upstream}`).toBe(400);
      expect(v1.body.issues).toContainEqual({ path: 'upstream', message: expect.stringContaining('own listen address') });
      const toxi = await call(ex.url, 'POST', '/proxies', { name: 'loop', listen, upstream });
      expect(toxi.status, `${listen} -> ${upstream}`).toBe(400);
      expect(toxi.body.error).toContain('own listen address');
    }
    // Updating an existing proxy to point at itself is refused as well.
    const created = await call(ex.url, 'POST', '/proxies', { name: 'upd', upstream: `127.0.0.1:${echoPort}` });
    expect(created.status).toBe(201);
    const self = await call(ex.url, 'POST', '/proxies/upd', { upstream: created.body.listen });
    expect(self.status).toBe(400);
    expect(ex.proxies.get('upd')?.upstream).toBe(`127.0.0.1:${echoPort}`);
    expect(ex.proxies.list().map((p) => p.name)).toEqual(['upd']);
    await call(ex.url, 'DELETE', '/proxies/upd');
  });

  it('holds policy ids in URLs to the same rule', async () => {
    const plan = { service: 'nope', fault_type: 'latency', fault_config: { latency: 10 } };
    // (`%2E%2E` and `.` never arrive: clients resolve dot segments before sending.)
    for (const id of ['..%2F..%2Fetc', '..%2f', 'a%20b', '%C3%BC', 'x'.repeat(129)]) {
      const r = await call(ex.url, 'PUT', `/v1/policies/${id}`, plan);
      expect(r.status, id).toBe(400);
      expect(r.body.issues.map((i: { path: string }) => i.path)).toContain('id');
    }
    expect(ex.policies?.list()).toEqual([]);
  });

  it("accepts a slicer whose size_variation equals average_size on the Toxiproxy routes (toxiproxy-node-client's own test)", async () => {
    const toxiproxy = new Toxiproxy(ex.url);
    const proxy = await toxiproxy.createProxy({ name: 'sliced', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    const attributes = { average_size: 1000, delay: 1000, size_variation: 1000 };
    const toxic = await proxy.addToxic({ type: 'slicer', attributes } as never);
    expect(toxic.attributes).toMatchObject(attributes);
    // A variation above the average is still refused, with the field named.
    const over = await call(ex.url, 'POST', '/proxies/sliced/toxics', { name: 's2', type: 'slicer', attributes: { average_size: 10, size_variation: 11 } });
    expect(over.status).toBe(400);
    expect(over.body.error).toContain('attributes.size_variation');
    await proxy.remove();
  });
});

describe('tokens, reads of process output, and the audit trail', () => {
  let ex: Executor;
  let echo: Server;
  let echoPort: number;
  const logLines: Array<Record<string, unknown>> = [];
  const auth = { authorization: 'Bearer s3cret-token' };

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      token: 's3cret-token',
      logger: pino({ level: 'info' }, sink),
      config: {
        proxies: [{ name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` }],
        processes: [{ name: 'talker', command: process.execPath, args: ['-e', "console.log('private output line'); setInterval(() => {}, 1000)"] }],
      },
    });
  });

  afterAll(async () => {
    await ex?.close();
    echo?.close();
  });

  it('needs the token to read process output (last_lines) and the events, not for other reads', async () => {
    await until(async () => (await call(ex.url, 'GET', '/v1/processes', undefined, auth)).body.processes[0]?.last_lines?.length > 0);
    const withToken = await call(ex.url, 'GET', '/v1/processes', undefined, auth);
    expect(withToken.body.processes[0].last_lines).toContain('private output line');
    for (const path of ['/v1/processes', '/v1/processes/talker', '/v1/events']) {
      const r = await call(ex.url, 'GET', path);
      expect(r.status, path).toBe(401);
      expect(r.body.code).toBe('FL_ERR_EXECUTOR_UNAUTHORIZED');
      expect(JSON.stringify(r.body)).not.toContain('private output line');
    }
    expect((await call(ex.url, 'GET', '/v1/health')).status).toBe(200);
    expect((await call(ex.url, 'GET', '/v1/faults')).status).toBe(200);
  });

  it('lists applied, cancelled, halted and refused events newest first, and logs every mutating call', async () => {
    const since = Date.now();
    const applied = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'db', fault_type: 'latency', fault_config: { latency: 10 }, duration_seconds: 60 }, auth);
    expect(applied.status).toBe(201);
    const id = applied.body.apply_id as string;
    expect((await call(ex.url, 'DELETE', `/v1/faults/${id}`, undefined, auth)).status).toBe(200);
    expect((await call(ex.url, 'POST', '/v1/proxies', { name: 'x', upstream: `127.0.0.1:${echoPort}` })).status).toBe(401);
    expect((await raw(ex.url, 'POST', '/v1/halt', { ...auth, origin: 'http://evil.example' })).status).toBe(403);
    expect((await call(ex.url, 'POST', '/v1/halt', undefined, auth)).status).toBe(200);

    const events = await until(async () => {
      const r = await call(ex.url, 'GET', `/v1/events?since=${new Date(since).toISOString()}&limit=50`, undefined, auth);
      const list = r.body.events as Array<{ id: number; kind: string; subject: string; data: Record<string, unknown>; time: string }>;
      return list.some((e) => e.kind === 'halted') ? list : undefined;
    });
    const kinds = events.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['applied', 'cancelled', 'refused', 'halted']));
    // Newest first.
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => b - a));
    expect(kinds.indexOf('halted')).toBeLessThan(kinds.indexOf('applied'));
    expect(events.find((e) => e.kind === 'applied')?.subject).toBe(id);
    const refused = events.filter((e) => e.kind === 'refused');
    expect(refused.map((e) => [e.subject, e.data.status, e.data.code])).toEqual(
      expect.arrayContaining([
        ['POST /v1/proxies', 401, 'FL_ERR_EXECUTOR_UNAUTHORIZED'],
        ['POST /v1/halt', 403, 'FL_ERR_EXECUTOR_ORIGIN_REFUSED'],
      ]),
    );
    expect(refused.find((e) => e.data.code === 'FL_ERR_EXECUTOR_ORIGIN_REFUSED')?.data).toMatchObject({ origin: 'http://evil.example', remote: '127.0.0.1' });
    expect((await call(ex.url, 'GET', '/v1/events?limit=2', undefined, auth)).body.events).toHaveLength(2);
    const bad = await call(ex.url, 'GET', '/v1/events?limit=0&since=yesterday', undefined, auth);
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['limit', 'since']);

    const audit = logLines.filter((l) => l.audit === true && l.msg === 'mutating call');
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'POST', route: '/v1/faults/apply', status: 201, fault_id: id, remote: '127.0.0.1' }),
        expect.objectContaining({ method: 'DELETE', route: `/v1/faults/${id}`, status: 200, fault_id: id }),
        expect.objectContaining({ method: 'POST', route: '/v1/proxies', status: 401, fault_id: null }),
        expect.objectContaining({ method: 'POST', route: '/v1/halt', status: 200 }),
      ]),
    );
  });
});

describe('startExecutor on a non-loopback address', () => {
  it('refuses to listen beyond loopback without a token unless told dangerouslyAllowInsecureListen', async () => {
    await expect(startExecutor({ listen: '0.0.0.0:0', statePath: ':memory:', token: '' })).rejects.toMatchObject({ code: 'FL_ERR_EXECUTOR_TOKEN_REQUIRED' });
    const ex = await startExecutor({ listen: '0.0.0.0:0', statePath: ':memory:', token: '', dangerouslyAllowInsecureListen: true });
    try {
      // Listening on every address: an address literal is us, a DNS name is not (rebinding).
      expect((await raw(`http://127.0.0.1:${ex.port}`, 'GET', '/v1/health', { host: `192.0.2.7:${ex.port}` })).status).toBe(200);
      expect((await raw(`http://127.0.0.1:${ex.port}`, 'GET', '/v1/health', { host: 'attacker.example' })).status).toBe(403);
    } finally {
      await ex.close();
    }
  });
});

describe('toxic names on the Toxiproxy routes', () => {
  it('follow the name rule, so that every toxic can be named in a URL again', async () => {
    const ex = await startExecutor({ listen: '127.0.0.1:0', statePath: ':memory:', token: '', config: { proxies: [{ name: 'db', upstream: '127.0.0.1:9' }] } });
    try {
      for (const name of ['../../x', 'a b', 'x'.repeat(250), '..', 'ünï']) {
        const r = await call(ex.url, 'POST', '/proxies/db/toxics', { name, type: 'latency', attributes: { latency: 1 } });
        expect(r.status, name.slice(0, 20)).toBe(400);
        expect(r.body.error).toMatch(/^bad request body: name/);
      }
      const ok = await call(ex.url, 'POST', '/proxies/db/toxics', { type: 'latency', attributes: { latency: 1 } });
      expect(ok.status).toBe(200);
      expect(ok.body.name).toBe('latency_downstream');
      expect((await call(ex.url, 'DELETE', '/proxies/db/toxics/latency_downstream')).status).toBe(204);
    } finally {
      await ex.close();
    }
  });
});
