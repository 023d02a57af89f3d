import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Store, startExecutor, type Executor } from '../../src/executor/index.js';
import { call, probe, sleep, startUpstream } from './helpers.js';

const quiet = pino({ level: 'silent' });

describe('executor state across restarts (in-process, same state file)', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let dir: string;
  const open: Executor[] = [];

  const start = async (extra: { maxDurationSeconds?: number } = {}): Promise<Executor> => {
    const ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: join(dir, 'state.db'),
      logger: quiet,
      config: { proxies: [{ name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' }] },
      ...extra,
    });
    open.push(ex);
    return ex;
  };

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

  it('caps every application at the maximum duration', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-state-'));
    const ex = await start({ maxDurationSeconds: 1 });
    const r = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', duration_seconds: 3600 });
    expect(Date.parse(r.body.end_time) - Date.parse(r.body.start_time)).toBe(1000);
    const listen = ex.proxies.require('web').listen;
    expect(await probe(listen)).toBe(503);
    await sleep(1300);
    expect(await probe(listen)).toBe(200);
    expect((await call(ex.url, 'GET', `/v1/faults/${r.body.apply_id}/status`)).body.status).toBe('completed');
  });

  it('rejects a fault attribute time beyond the maximum duration with its path, installing nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-state-'));
    const ex = await start({ maxDurationSeconds: 1 });
    const r = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'delay', fault_config: { delay_ms: 1500 }, duration_seconds: 1 });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('fault_config.delay_ms');
    expect(await probe(ex.proxies.require('web').listen)).toBe(200);
    const huge = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'delay', fault_config: { delay_ms: 1e308 } });
    expect(huge.status).toBe(400);
    expect(JSON.stringify(huge.body)).toContain('fault_config.delay_ms');
  });

  it('a graceful close cancels applications (not re-armed) but keeps policies and runtime proxies', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-state-'));
    const first = await start();
    const a = await call(first.url, 'POST', '/v1/faults/apply', { service: 'web', fault_type: 'abort', api: '/a', duration_seconds: 60 });
    expect((await call(first.url, 'POST', '/v1/policies', { id: 'keep', service: 'web', fault_type: 'abort', api: '/p', fault_config: { http_status: 502 } })).status).toBe(201);
    const created = await call(first.url, 'POST', '/v1/proxies', { name: 'extra', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' });
    expect(created.status).toBe(201);
    const extraListen = created.body.listen as string;
    await first.close();
    open.length = 0;

    const second = await start();
    expect((await call(second.url, 'GET', `/v1/faults/${a.body.apply_id}/status`)).body).toMatchObject({ status: 'cancelled', error_msg: 'executor stopped' });
    const web = second.proxies.require('web').listen;
    expect(await probe(web, '/a')).toBe(200);
    expect(await probe(web, '/p')).toBe(502);
    expect((await call(second.url, 'GET', '/v1/policies/keep')).body).toMatchObject({ id: 'keep', installed: true });
    expect(second.proxies.require('extra').listen).toBe(extraListen);
    expect(await probe(extraListen)).toBe(200);
  });

  it('PUT replaces a policy; an expired policy is uninstalled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-state-'));
    const ex = await start();
    const web = ex.proxies.require('web').listen;
    expect((await call(ex.url, 'PUT', '/v1/policies/p', { service: 'web', fault_type: 'abort', fault_config: { http_status: 500 } })).status).toBe(200);
    expect(await probe(web)).toBe(500);
    // Long enough that a loaded machine still probes inside it; then polled, not slept.
    const expiresMs = Date.now() + 2500;
    const expiresAt = new Date(expiresMs).toISOString();
    const put = await call(ex.url, 'PUT', '/v1/policies/p', { service: 'web', fault_type: 'abort', fault_config: { http_status: 429 }, expires_at: expiresAt });
    expect(put.body).toMatchObject({ id: 'p', expires_at: expiresAt, installed: true });
    expect(await probe(web)).toBe(429);
    let cleanAt = 0;
    while (Date.now() < expiresMs + 10_000) {
      if ((await probe(web)) === 200) {
        cleanAt = Date.now();
        break;
      }
      await sleep(50);
    }
    expect(cleanAt, 'the policy never expired').toBeGreaterThan(0);
    expect(cleanAt).toBeGreaterThanOrEqual(expiresMs - 50); // not before its expiry
    expect((await call(ex.url, 'GET', '/v1/policies/p')).status).toBe(404);
    const mismatch = await call(ex.url, 'PUT', '/v1/policies/q', { id: 'other', service: 'web', fault_type: 'abort', expires_at: '2000-01-01T00:00:00Z' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['expires_at', 'id']);
  });
});

describe('the SQLite store', () => {
  it('writes off the main thread: a lock held by another process delays the write, never the event loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-store-'));
    try {
      const file = join(dir, 'state.db');
      const store = new Store(file);
      const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
      // Another process takes the write lock for 300 ms.
      const holder = spawn(
        process.execPath,
        ['-e', `const D=require(${JSON.stringify(sqlite)});const d=new D(${JSON.stringify(file)});d.exec('BEGIN IMMEDIATE');d.prepare("INSERT INTO events (time, kind, subject, data) VALUES (0,'x','y','{}')").run();console.log('locked');setTimeout(()=>{d.exec('COMMIT');process.exit(0)},300);`],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise((r) => holder.once('exit', r));
      await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
      const t0 = performance.now();
      const written = store.addEvent('after', 'lock');
      expect(performance.now() - t0).toBeLessThan(20);
      await written;
      expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
      expect(store.listEvents().map((e) => e.kind)).toEqual(['x', 'after']);
      expect(store.errorCount).toBe(0);
      await exited;
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a lock held past the retries fails the write (FL_ERR_EXECUTOR_STORE, counted); one store per file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-store-'));
    try {
      const file = join(dir, 'state.db');
      const store = new Store(file, { busyTimeoutMs: 10, writeAttempts: 2 });
      expect(() => new Store(file)).toThrow(expect.objectContaining({ code: 'FL_ERR_EXECUTOR_STATE_LOCKED', message: expect.stringContaining(`pid ${process.pid}`) }));
      const sqlite = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { exec(s: string): void; close(): void };
      const db = new sqlite(file);
      db.exec('BEGIN IMMEDIATE');
      await expect(store.addEvent('x', 'y')).rejects.toMatchObject({ code: 'FL_ERR_EXECUTOR_STORE' });
      expect(store.errorCount).toBe(1);
      db.exec('ROLLBACK');
      db.close();
      await store.close();
      // Closed: the lock is gone, the file opens again.
      const again = new Store(file);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('/v1/health', () => {
  it('shows exporter failures while the daemon stays healthy', async () => {
    const ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      logger: quiet,
      // Nothing listens on port 9: every export fails, is counted, and is retried with backoff.
      config: { telemetry: { exporters: [{ type: 'pushgateway', url: 'http://127.0.0.1:9', interval_ms: 100 }] } },
    });
    try {
      let exporters: Array<{ name: string; error_count: number; last_error: string | null }> = [];
      for (let i = 0; i < 60; i++) {
        const h = await call(ex.url, 'GET', '/v1/health');
        expect(h.body.status).toBe('ok');
        exporters = h.body.exporters;
        if ((exporters[0]?.error_count ?? 0) > 0) break;
        await sleep(50);
      }
      expect(exporters[0]).toMatchObject({ name: expect.stringContaining('pushgateway') });
      expect(exporters[0]!.error_count).toBeGreaterThan(0);
      expect(exporters[0]!.last_error).toEqual(expect.any(String));
    } finally {
      await ex.close();
    }
  });
});
