/**
 * Every fault type in the registry is accepted by each door that serves its target: the v1 API
 * (apply), the Toxiproxy API (TCP toxics; `enabled: false` for the listener fault), the
 * `faultline proxy` flags (`--toxic`, `--rule`) and a drill's fault step. The lists come from the
 * registry, so a new fault type is covered here without touching this file.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeParseDrill } from '../../src/drill/index.js';
import { startExecutor, type Executor } from '../../src/executor/index.js';
import {
  builtinFaultTypes,
  defaultRegistry,
  httpFaultTypes,
  listenerFaultTypes,
  processFaultTypes,
  toxicTypes,
  type FaultTarget,
} from '../../src/plan/index.js';
import type { HttpFaultDef } from '../../src/proxy/index.js';
import { httpFaultRegistry } from '../../src/proxy/http/faults/index.js';
import type { ToxicDef } from '../../src/proxy/tcp/toxic.js';
import { toxicRegistry } from '../../src/proxy/tcp/toxics/index.js';
import type { HttpFaultType, ToxicType } from '../../src/proxy/index.js';
import { call, startUpstream } from '../executor/helpers.js';

const root = resolve(import.meta.dirname, '../..');
const fixture = join(root, 'test/fixtures/http-server.mjs');
const services: Record<FaultTarget, string> = { tcp: 'db', http: 'web', process: 'app' };

function example(type: string): Record<string, unknown> {
  return defaultRegistry.get(type).example as Record<string, unknown>;
}

// Checked by `npm run typecheck`: an implementation map that misses a registered type does not compile.
const { latency: _latency, ...toxicsButLatency } = toxicRegistry;
// @ts-expect-error 'latency' is registered, so the toxic map must implement it
export const missingToxic: { readonly [T in ToxicType]: ToxicDef<T> } = toxicsButLatency;
const { delay: _delay, ...httpButDelay } = httpFaultRegistry;
// @ts-expect-error 'delay' is registered, so the HTTP fault map must implement it
export const missingHttpFault: { readonly [T in HttpFaultType]: HttpFaultDef<T> } = httpButDelay;

describe('the registry', () => {
  it('has one implementation per TCP toxic and per HTTP fault, keyed by the registry ids', () => {
    expect(Object.keys(toxicRegistry).sort()).toEqual([...toxicTypes].sort());
    expect(Object.keys(httpFaultRegistry).sort()).toEqual([...httpFaultTypes].sort());
    for (const [type, def] of [...Object.entries(toxicRegistry), ...Object.entries(httpFaultRegistry)]) expect(def.type).toBe(type);
  });

  it('splits every fault type into exactly one door family', () => {
    const all = builtinFaultTypes.map((d) => d.type).sort();
    expect([...toxicTypes, ...listenerFaultTypes, ...httpFaultTypes, ...processFaultTypes].sort()).toEqual(all);
  });

  it('marks the faults that act once (kill, restart) and the one that acts on the listener (down)', () => {
    expect(builtinFaultTypes.filter((d) => 'oneShot' in d && d.oneShot === true).map((d) => d.type)).toEqual(['kill', 'restart']);
    expect([...listenerFaultTypes]).toEqual(['down']);
  });

  it('has an example that its own schema accepts, for every fault type', () => {
    for (const def of builtinFaultTypes) expect(def.schema.safeParse(def.example).success, def.type).toBe(true);
  });
});

describe('a drill fault step accepts every registered fault type', () => {
  it.each(builtinFaultTypes.map((d) => [d.type, d.target] as const))('%s', (type, target) => {
    const plan = { service: services[target], fault_type: type, fault_config: example(type), duration_seconds: 5 };
    const r = safeParseDrill({ name: 'doors', executor: { url: 'http://127.0.0.1:1' }, method: [{ kind: 'fault', plan }] });
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});

describe('a drill fault step rejects an out-of-bound attribute with its path', () => {
  it.each([
    [{ service: 'web', fault_type: 'delay', fault_config: { delay_ms: 1e308 } }, 'method[0].plan.fault_config.delay_ms'],
    [{ service: 'db', fault_type: 'latency', fault_config: { latency: 2 ** 53 - 1 } }, 'method[0].plan.fault_config.latency'],
  ])('%j', (plan, path) => {
    const r = safeParseDrill({ name: 'doors', executor: { url: 'http://127.0.0.1:1' }, method: [{ kind: 'fault', plan }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(path);
  });
});

describe('faultline proxy accepts every TCP fault as --toxic and every HTTP fault as --rule', () => {
  /** Runs `faultline proxy` until it prints ready; returns the installed fault ids. */
  async function ready(args: string[]): Promise<string[]> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'proxy', '--listen', '127.0.0.1:0', '--json', '--summary-interval', '0', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      return await new Promise<string[]>((res, rej) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const msg = JSON.parse(line) as { msg?: string; faults?: string[] };
          if (msg.msg === 'ready') res(msg.faults ?? []);
        });
        child.once('exit', (code) => rej(new Error(`exited ${code}: ${err}`)));
      });
    } finally {
      const gone = new Promise((r) => child.once('exit', r));
      if (child.exitCode === null) child.kill('SIGINT');
      await gone;
    }
  }

  it('--toxic <type>:<example> for every toxic and listener fault', async () => {
    const types = [...toxicTypes, ...listenerFaultTypes];
    const flags = types.flatMap((t) => {
      const kv = Object.entries(example(t)).map(([k, v]) => `${k}=${String(v)}`);
      return ['--toxic', kv.length > 0 ? `${t}:${kv.join(',')}` : t];
    });
    const ids = await ready(['--upstream', '127.0.0.1:9', ...flags]);
    expect(ids).toHaveLength(types.length);
  }, 60_000);

  it('exits 2 naming the field of a time beyond the timer range (--toxic and --rule)', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((res) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'proxy', '--listen', '127.0.0.1:0', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => res({ code, err }));
      });
    const tcp = await run(['--upstream', '127.0.0.1:9', '--toxic', 'latency:latency=2147483648']);
    expect(tcp.code).toBe(2);
    expect(tcp.err).toContain('--toxic[0].fault_config.latency');
    const http = await run(['--http', '--upstream', 'http://127.0.0.1:9', '--rule', 'delay delay_ms=2147483648']);
    expect(http.code).toBe(2);
    expect(http.err).toContain('--rule[0].fault_config.delay_ms');
  }, 60_000);

  it('--rule <type> <example> for every HTTP fault', async () => {
    const flags = httpFaultTypes.flatMap((t) => ['--rule', [t, ...Object.entries(example(t)).map(([k, v]) => `${k}=${String(v)}`)].join(' ')]);
    const ids = await ready(['--http', '--upstream', 'http://127.0.0.1:9', ...flags]);
    expect(ids).toHaveLength(httpFaultTypes.length);
  }, 60_000);
});

describe('the executor accepts every registered fault type at each door of its target', () => {
  let ex: Executor;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;

  beforeAll(async () => {
    upstream = await startUpstream();
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      logger: pino({ level: 'silent' }),
      config: {
        proxies: [
          { name: services.tcp, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'tcp' },
          { name: services.http, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' },
        ],
        processes: [
          {
            name: services.process,
            command: process.execPath,
            args: [fixture, '0'],
            restart: { policy: 'always' },
            stop_timeout_ms: 2000,
          },
        ],
      },
    });
    await ex.supervisor!.waitHealthy(services.process, 15_000);
  }, 30_000);

  afterAll(async () => {
    await ex?.close();
    await upstream?.close();
  });

  // Process faults last and pause first: a kill or restart leaves the process restarting.
  const order = [...builtinFaultTypes].sort((a, b) => Number(a.target === 'process') - Number(b.target === 'process'));

  it.each(order.map((d) => [d.type, d.target] as const))('POST /v1/faults/apply with %s', async (type, target) => {
    if (target === 'process') await ex.supervisor!.waitHealthy(services.process, 15_000);
    const r = await call(ex.url, 'POST', '/v1/faults/apply', { service: services[target], fault_type: type, fault_config: example(type), duration_seconds: 30 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(typeof r.body.apply_id).toBe('string');
    const end = await call(ex.url, 'DELETE', `/v1/faults/${r.body.apply_id}`);
    expect(end.status).toBeLessThan(300);
  }, 30_000);

  it.each(toxicTypes.map((t) => [t]))('Toxiproxy API: POST /proxies/db/toxics with %s', async (type) => {
    const r = await call(ex.url, 'POST', `/proxies/${services.tcp}/toxics`, { name: `door_${type}`, type, attributes: example(type) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ name: `door_${type}`, type });
    expect((await call(ex.url, 'DELETE', `/proxies/${services.tcp}/toxics/door_${type}`)).status).toBe(204);
  });

  it('rejects the out-of-bound values of the issue with their paths: v1 apply and the Toxiproxy API', async () => {
    for (const [plan, path] of [
      [{ service: services.http, fault_type: 'delay', fault_config: { delay_ms: 1e308 } }, 'fault_config.delay_ms'],
      [{ service: services.http, fault_type: 'delay', fault_config: { delay_ms: 2147483648 } }, 'fault_config.delay_ms'],
      [{ service: services.tcp, fault_type: 'latency', fault_config: { latency: 2 ** 53 - 1 } }, 'fault_config.latency'],
    ] as const) {
      const r = await call(ex.url, 'POST', '/v1/faults/apply', plan);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(JSON.stringify(r.body)).toContain(path);
    }
    const t = await call(ex.url, 'POST', `/proxies/${services.tcp}/toxics`, { type: 'latency', attributes: { latency: 2 ** 53 - 1 } });
    expect(t.status).toBe(400);
    expect(String(t.body.error)).toContain('attributes.latency');
    expect((await call(ex.url, 'GET', '/v1/faults')).body).not.toContainEqual(expect.objectContaining({ status: 'running' }));
    expect((await call(ex.url, 'GET', `/proxies/${services.tcp}/toxics`)).body).toEqual([]);
  });

  it('POST /v1/halt answers a request held by a 30 s delay at once', async () => {
    const listen = ex.proxies.require(services.http).listen;
    const r = await call(ex.url, 'POST', '/v1/faults/apply', { service: services.http, fault_type: 'delay', fault_config: { delay_ms: 30_000 }, duration_seconds: 60 });
    expect(r.status).toBe(201);
    const t0 = performance.now();
    const held = request(`http://${listen}/held`, { reset: true }).then(async (res) => {
      await res.body.dump();
      return { status: res.statusCode, at: performance.now() };
    });
    await new Promise((res) => setTimeout(res, 500));
    const haltAt = performance.now();
    expect((await call(ex.url, 'POST', '/v1/halt')).status).toBe(200);
    const { status, at } = await held;
    expect(status).toBe(200);
    expect(at - t0).toBeGreaterThanOrEqual(450);
    expect(at - haltAt).toBeLessThan(1_500);
  }, 30_000);

  it.each(listenerFaultTypes.map((t) => [t]))('Toxiproxy API: %s is POST /proxies/db {"enabled": false}', async () => {
    const off = await call(ex.url, 'POST', `/proxies/${services.tcp}`, { enabled: false });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    const on = await call(ex.url, 'POST', `/proxies/${services.tcp}`, { enabled: true });
    expect(on.body.enabled).toBe(true);
  });
});
