/**
 * The one fault lifecycle, asserted as guarantees: a halt ends what every door made (API v1 TCP
 * and HTTP, a policy, a Toxiproxy toxic and `enabled: false`, process pauses through the fault API
 * and the process route, a request held by a 30 s delay) at once, also while another connection
 * holds the state file locked; a failing disk neither keeps a fault alive nor revives it after a
 * restart; one executor per state file; a bad row does not stop the start; pauses stack.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { request } from 'undici';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { HttpExecutorClient } from '../../src/client/index.js';
import { Store, startExecutor, type Executor } from '../../src/executor/index.js';
import { runCli } from '../helpers/cli.js';
import { call, probe, sleep, startUpstream } from './helpers.js';

const quiet = pino({ level: 'silent' });
const fixture = resolve(import.meta.dirname, '../fixtures/http-server.mjs');
/** The issue's bound: every fault reverted within 100 ms. */
const HALT_BOUND_MS = 100;
/**
 * Seen from the client, the answer also waits for a loaded 2-core machine to schedule the HTTP
 * round trips: a wide ceiling there (a 30 s hold released, a 60 s fault gone), the exact bound on
 * the revert itself (`revert_ms`, timed inside the executor) and on the process state.
 */
const CLIENT_CEILING_MS = 1000;

/**
 * The longest the event loop waited for the CPU while `work` ran (ms): on a 2-core machine that
 * runs other test files at once, the scheduler, not the executor, owns that time.
 */
async function starvedMs<T>(work: () => Promise<T>): Promise<{ value: T; starved: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  try {
    const value = await work();
    return { value, starved: h.max / 1e6 };
  } finally {
    h.disable();
  }
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The kernel's state letter of a pid (`T` = stopped), or null when it is gone. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** Resolves true when a TCP connection to `listen` is accepted. */
function accepts(listen: string): Promise<boolean> {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
  return new Promise((r) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

/** Milliseconds of one GET through a proxy. */
async function timed(listen: string, path = '/'): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const status = await probe(listen, path);
  return { status, ms: performance.now() - t0 };
}

async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('the fault lifecycle', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let dir: string;
  let svcPort: number;
  const open: Executor[] = [];

  const start = async (extra: Record<string, unknown> = {}, withProcess = false): Promise<Executor> => {
    const ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: join(dir, 'state.db'),
      runsDir: join(dir, 'runs'),
      logger: quiet,
      config: {
        proxies: [
          { name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' },
          { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'tcp' },
          { name: 'tp', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'tcp' },
          { name: 'tp2', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'tcp' },
        ],
        ...(withProcess
          ? {
              processes: [
                {
                  name: 'svc',
                  command: process.execPath,
                  args: [fixture, String(svcPort)],
                  health: { http: { url: `http://127.0.0.1:${svcPort}/health` }, interval_ms: 100 },
                  stop_timeout_ms: 2000,
                },
              ],
            }
          : {}),
        ...extra,
      },
    });
    open.push(ex);
    if (withProcess) await ex.supervisor!.waitHealthy('svc', 15_000);
    return ex;
  };

  /** Applies one fault through every door and holds one request in a 30 s delay. */
  async function applyEverywhere(ex: Executor): Promise<{ held: Promise<{ status: number; at: number }>; pid: number }> {
    const ok = (r: { status: number; body: unknown }, status = 201) => expect(r.status, JSON.stringify(r.body)).toBe(status);
    ok(await call(ex.url, 'POST', '/v1/faults/apply', { service: 'db', fault_type: 'latency', fault_config: { latency: 2000 }, duration_seconds: 60 }));
    ok(await call(ex.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', api: '/a', duration_seconds: 60 }));
    ok(await call(ex.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'delay', api: '/slow', fault_config: { delay_ms: 30_000 }, duration_seconds: 60 }));
    ok(await call(ex.url, 'POST', '/v1/policies', { id: 'standing', service: 'web', fault_type: 'abort', api: '/b', fault_config: { http_status: 502 } }));
    ok(await call(ex.url, 'POST', '/proxies/tp/toxics', { type: 'latency', attributes: { latency: 3000 } }), 200);
    ok(await call(ex.url, 'POST', '/proxies/tp2', { enabled: false }), 200);
    ok(await call(ex.url, 'POST', '/v1/faults/apply', { service: 'svc', fault_type: 'pause', duration_seconds: 60 }));
    ok(await call(ex.url, 'POST', '/v1/processes/svc/pause', { duration_ms: 60_000 }), 200);
    const pid = ex.supervisor!.get('svc')!.pid!;
    await until(() => procState(pid) === 'T');

    const web = ex.proxies.require('web').listen;
    const held = request(`http://${web}/slow`, { reset: true }).then(async (res) => {
      await res.body.dump();
      return { status: res.statusCode, at: performance.now() };
    });
    // Every door shows in the one list, counted in active_faults.
    await until(async () => (await call(ex.url, 'GET', '/v1/health')).body.active_faults === 8);
    const faults = (await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ source: string; status: string }>;
    expect(faults.filter((f) => f.status === 'running').map((f) => f.source).sort()).toEqual(['policy', 'process', 'toxiproxy', 'toxiproxy', 'v1', 'v1', 'v1', 'v1']);
    expect(await probe(web, '/a')).toBe(503);
    expect(await probe(web, '/b')).toBe(502);
    expect(await accepts(ex.proxies.require('tp2').listen)).toBe(false);
    // The held request reaches the proxy before the halt.
    await sleep(100);
    return { held, pid };
  }

  /** Halts and asserts that everything is reverted within the bound, from the halt request's start. */
  async function haltAndCheck(ex: Executor, held: Promise<{ status: number; at: number }>, pid: number): Promise<void> {
    const t0 = performance.now();
    const { value: h, starved } = await starvedMs(() => call(ex.url, 'POST', '/v1/halt', {}));
    const haltMs = performance.now() - t0;
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'halted', cancelled: 8, policies_removed: 1 });
    // Reverted in memory by the time halt answered: the process got SIGCONT, the listener is back.
    await until(() => procState(pid) !== 'T', HALT_BOUND_MS);
    expect(performance.now() - t0).toBeLessThan(CLIENT_CEILING_MS);
    expect(await accepts(ex.proxies.require('tp2').listen)).toBe(true);
    const running = ((await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ status: string }>).filter((f) => f.status === 'running' || f.status === 'pending');
    expect(running).toEqual([]);
    expect((await call(ex.url, 'GET', '/v1/health')).body.active_faults).toBe(0);
    const answered = await held;
    expect(answered.status).toBe(200);
    // 100 ms of the executor's own time: what the CPU scheduler took from the loop is added back.
    expect(h.body.revert_ms, `reverted inside the executor (loop starved up to ${starved} ms)`).toBeLessThan(HALT_BOUND_MS + starved);
    expect(haltMs, 'halt answered').toBeLessThan(CLIENT_CEILING_MS);
    expect(answered.at - t0, 'held request answered').toBeLessThan(CLIENT_CEILING_MS);

    // And traffic is clean through every proxy.
    const web = ex.proxies.require('web').listen;
    expect(await probe(web, '/a')).toBe(200);
    expect(await probe(web, '/b')).toBe(200);
    expect((await timed(ex.proxies.require('db').listen)).ms).toBeLessThan(1000);
    expect((await timed(ex.proxies.require('tp').listen)).ms).toBeLessThan(1000);
    expect(((await call(ex.url, 'GET', '/proxies/tp/toxics')).body as unknown[]).length).toBe(0);
    expect((await call(ex.url, 'GET', '/proxies/tp2')).body.enabled).toBe(true);
    expect((await call(ex.url, 'GET', '/v1/processes/svc')).body.paused).toBe(false);
  }

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('halt reverts what every door made within 100 ms, the held request included', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    svcPort = await freePort();
    const ex = await start({}, true);
    const { held, pid } = await applyEverywhere(ex);
    await haltAndCheck(ex, held, pid);
  });

  it('halt works the same while another connection holds BEGIN EXCLUSIVE on the state file, and traffic is not delayed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    svcPort = await freePort();
    const ex = await start({}, true);
    const { held, pid } = await applyEverywhere(ex);
    const web = ex.proxies.require('web').listen;
    const probes = async (): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < 20; i++) times.push((await timed(web, '/clean')).ms);
      return times;
    };
    // The same traffic without the lock first: what this machine's load alone does to the loop.
    const baseline = monitorEventLoopDelay({ resolution: 5 });
    baseline.enable();
    await probes();
    baseline.disable();
    const other = new Database(join(dir, 'state.db'));
    other.exec('BEGIN EXCLUSIVE');
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    try {
      // Traffic through a proxy while the lock is held: not slowed by the store.
      const traffic = probes();
      await haltAndCheck(ex, held, pid);
      const times = await traffic;
      expect(Math.max(...times)).toBeLessThan(1000);
      // Writes are queued behind the lock, not lost and not on the event loop.
      expect(ex.store!.pendingWrites).toBeGreaterThan(0);
    } finally {
      loop.disable();
      other.exec('COMMIT');
      other.close();
    }
    // p99 under 50 ms, beyond what the same traffic saw without the lock on this loaded machine
    // (before this change, each write blocked the loop for up to 25 s).
    expect(loop.percentile(99) / 1e6).toBeLessThan(50 + baseline.percentile(99) / 1e6);
    // Once the lock is gone, the store catches up: nothing stays 'running' in the file.
    await until(() => ex.store!.pendingWrites === 0, 10_000);
    expect(ex.store!.listApplications({ live: true })).toEqual([]);
  });

  it('apply is all or nothing: a fault that cannot be recorded answers 503 and leaves nothing installed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    const ex = await start();
    const db = new Database(join(dir, 'state.db'));
    db.exec(`CREATE TRIGGER no_apps BEFORE INSERT ON applications BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    db.close();
    const r = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', duration_seconds: 60 });
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('FL_ERR_EXECUTOR_STORE');
    expect(await probe(ex.proxies.require('web').listen)).toBe(200);
    expect((await call(ex.url, 'GET', '/v1/proxies/web')).body.faults).toEqual([]);
    const h = (await call(ex.url, 'GET', '/v1/health')).body;
    expect(h.active_faults).toBe(0);
    expect(h.store_errors).toBeGreaterThan(0);
    expect(((await call(ex.url, 'GET', '/v1/faults')).body.faults as unknown[]).length).toBe(0);
  });

  it('a write failure after install: the fault still ends at its planned end, and a restart brings back neither it nor a cancelled one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    const first = await start();
    const web = first.proxies.require('web').listen;
    const timedOne = await call(first.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', api: '/t', duration_seconds: 1.5 });
    const cancelled = await call(first.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', api: '/c', duration_seconds: 60 });
    expect([timedOne.status, cancelled.status]).toEqual([201, 201]);
    const plannedEnd = Date.parse(timedOne.body.end_time);
    const db = new Database(join(dir, 'state.db'));
    db.exec(`CREATE TRIGGER no_updates BEFORE UPDATE ON applications BEGIN SELECT RAISE(ABORT, 'disk says no'); END;
             CREATE TRIGGER no_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END;`);
    db.close();
    expect(await probe(web, '/t')).toBe(503);
    expect((await call(first.url, 'DELETE', `/v1/faults/${cancelled.body.apply_id}`)).body.status).toBe('cancelled');
    expect(await probe(web, '/c')).toBe(200);
    await until(async () => (await probe(web, '/t')) === 200, 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(plannedEnd - 50);
    expect(Date.now()).toBeLessThan(plannedEnd + 1500);
    await until(async () => (await call(first.url, 'GET', '/v1/health')).body.store_errors >= 2, 10_000);
    expect((await call(first.url, 'GET', `/v1/faults/${timedOne.body.apply_id}/status`)).body.status).toBe('completed');

    await first.close();
    open.length = 0;
    const second = await start();
    const web2 = second.proxies.require('web').listen;
    expect(await probe(web2, '/t')).toBe(200);
    expect(await probe(web2, '/c')).toBe(200);
    expect((await call(second.url, 'GET', '/v1/health')).body.active_faults).toBe(0);
    expect((await call(second.url, 'GET', `/v1/faults/${cancelled.body.apply_id}/status`)).body.status).toBe('cancelled');
  });

  it('a second executor on the same state file exits 1 with one line naming the file and the holder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    await start();
    const file = join(dir, 'state.db');
    const r = await runCli(['serve', '--state', file, '--listen', '127.0.0.1:0'], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toContain(`pid ${process.pid}`);
  });

  it('a row with invalid JSON is logged, marked failed and skipped; the executor starts', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    const file = join(dir, 'state.db');
    const s = new Store(file);
    await s.close();
    const db = new Database(file);
    db.prepare(
      `INSERT INTO applications (id, plan, service, fault_type, status, created_at, start_at, end_at) VALUES ('bad', '{not json', 'web', 'abort', 'running', ?, ?, ?)`,
    ).run(Date.now(), Date.now(), Date.now() + 60_000);
    db.close();
    const ex = await start();
    expect((await call(ex.url, 'GET', '/v1/health')).body.status).toBe('ok');
    expect(await probe(ex.proxies.require('web').listen)).toBe(200);
    await until(() => {
      const check = new Database(file, { readonly: true });
      try {
        return (check.prepare(`SELECT status FROM applications WHERE id = 'bad'`).get() as { status: string }).status === 'failed';
      } finally {
        check.close();
      }
    });
  });

  it('stacked pauses through the fault API and the process route: the process runs again only when the last ends', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    svcPort = await freePort();
    const ex = await start({}, true);
    const pid = ex.supervisor!.get('svc')!.pid!;
    const a = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'svc', fault_type: 'pause', duration_seconds: 60 });
    expect((await call(ex.url, 'POST', '/v1/processes/svc/pause', { duration_ms: 60_000 })).status).toBe(200);
    await until(() => procState(pid) === 'T');
    const fromRoute = ((await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ apply_id: string; source: string }>).find((f) => f.source === 'process');
    expect(fromRoute).toBeDefined();
    await call(ex.url, 'DELETE', `/v1/faults/${a.body.apply_id}`);
    await sleep(200);
    expect(procState(pid)).toBe('T');
    expect(ex.supervisor!.get('svc')!.paused).toBe(true);
    await call(ex.url, 'DELETE', `/v1/faults/${fromRoute!.apply_id}`);
    await until(() => procState(pid) !== 'T', 2000);
    expect(ex.supervisor!.get('svc')!.paused).toBe(false);
  });

  it('the process route obeys the max duration (400 naming duration_ms) and has a resume route', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    svcPort = await freePort();
    const ex = await start({ max_duration_seconds: 5 }, true);
    const tooLong = await call(ex.url, 'POST', '/v1/processes/svc/pause', { duration_ms: 604_800_000 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.issues.map((i: { path: string }) => i.path)).toEqual(['duration_ms']);
    const pid = ex.supervisor!.get('svc')!.pid!;
    expect((await call(ex.url, 'POST', '/v1/processes/svc/pause', { duration_ms: 4000 })).status).toBe(200);
    expect((await call(ex.url, 'POST', '/v1/processes/svc/pause', { duration_ms: 4000 })).status).toBe(200);
    await until(() => procState(pid) === 'T');
    const resumed = await call(ex.url, 'POST', '/v1/processes/svc/resume', {});
    expect(resumed.body.paused).toBe(false);
    await until(() => procState(pid) !== 'T', 2000);
    expect((await call(ex.url, 'GET', '/v1/health')).body.active_faults).toBe(0);
  });

  it('Toxiproxy toxics and enabled:false end on their own after toxiproxy.max_toxic_seconds; /reset ends only what that API made', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    const ex = await start({ toxiproxy: { max_toxic_seconds: 1 } });
    const tp = ex.proxies.require('tp').listen;
    expect((await call(ex.url, 'POST', '/proxies/tp/toxics', { type: 'latency', attributes: { latency: 400 } })).status).toBe(200);
    expect((await call(ex.url, 'POST', '/proxies/tp2', { enabled: false })).body.enabled).toBe(false);
    expect((await timed(tp)).ms).toBeGreaterThanOrEqual(380);
    await until(async () => ((await call(ex.url, 'GET', '/proxies/tp/toxics')).body as unknown[]).length === 0, 5000);
    await until(async () => (await call(ex.url, 'GET', '/proxies/tp2')).body.enabled === true, 5000);
    expect(await accepts(ex.proxies.require('tp2').listen)).toBe(true);
    const ended = (await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ source: string; status: string }>;
    expect(ended.filter((f) => f.source === 'toxiproxy').map((f) => f.status)).toEqual(['completed', 'completed']);

    // /reset: the Toxiproxy toxic ends (listed cancelled), a v1 fault keeps running.
    const v1 = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'db', fault_type: 'latency', fault_config: { latency: 50 }, duration_seconds: 60 });
    expect((await call(ex.url, 'POST', '/proxies/tp/toxics', { type: 'latency', attributes: { latency: 500 } })).status).toBe(200);
    expect((await call(ex.url, 'POST', '/reset')).status).toBe(204);
    expect(((await call(ex.url, 'GET', '/proxies/tp/toxics')).body as unknown[]).length).toBe(0);
    expect((await call(ex.url, 'GET', `/v1/faults/${v1.body.apply_id}/status`)).body.status).toBe('running');
    expect(((await call(ex.url, 'GET', '/proxies/db/toxics')).body as unknown[]).length).toBe(1);
    const live = ((await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ source: string; status: string }>).filter((f) => f.status === 'running');
    expect(live.map((f) => f.source)).toEqual(['v1']);
  });

  it('a halt that arrives while a fault is still being installed ends it too', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    const ex = await start();
    // `down` awaits the listener's close: the halt lands inside that await.
    const applying = ex.applications!.apply({ service: 'db', fault_type: 'down', duration_seconds: 60 });
    const halted = await ex.halt();
    expect(halted.cancelled).toBe(1);
    const r = await applying;
    expect(r.view.status).toBe('cancelled');
    expect(ex.applications!.activeCount()).toBe(0);
    expect(await accepts(ex.proxies.require('db').listen)).toBe(true);
    expect((await call(ex.url, 'GET', `/v1/faults/${r.applyId}/status`)).body.status).toBe('cancelled');
  });

  it('the client names its door: drills and the CLI apply with source drill / cli', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    const ex = await start();
    for (const source of ['drill', 'cli'] as const) {
      const client = new HttpExecutorClient({ baseUrl: ex.url, source });
      const r = await client.apply({ service: 'web', fault_type: 'abort', api: `/${source}`, duration_seconds: 60 });
      const st = await client.status(r.applyId);
      expect(st).toMatchObject({ applyId: r.applyId, source, status: 'running', faultType: 'abort' });
    }
    expect((await call(ex.url, 'POST', '/v1/halt', {})).body.cancelled).toBe(2);
  });

  it('retention prunes ended applications and events beyond max_rows as it goes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-lifecycle-'));
    const ex = await start({ retention: { days: 7, max_rows: 10 } });
    for (let i = 0; i < 30; i++) {
      const r = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', api: `/r${i}`, duration_seconds: 60 });
      await call(ex.url, 'DELETE', `/v1/faults/${r.body.apply_id}`);
    }
    await until(() => ex.store!.pendingWrites === 0);
    await ex.store!.prune();
    const counts = ex.store!.countByStatus();
    expect(counts.cancelled).toBe(10);
    expect(ex.store!.listEvents(1000).length).toBeLessThanOrEqual(10);
  });
});
