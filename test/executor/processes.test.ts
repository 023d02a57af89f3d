import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExecutor, type Executor } from '../../src/executor/index.js';
import { startDaemon, stopAllDaemons } from '../helpers/daemon.js';
import { call, sleep } from './helpers.js';
import { reservePort } from '../helpers/ports.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const fixture = join(root, 'test/fixtures/http-server.mjs');

// A port the drill's children must know before they start: below the ephemeral range (test/helpers/ports.ts).
const freePort = reservePort;

function processConfig(port: number): Record<string, unknown> {
  return {
    name: 'app',
    command: process.execPath,
    args: [fixture, String(port)],
    health: { http: { url: `http://127.0.0.1:${port}/health` }, interval_ms: 50 },
    restart: { policy: 'always' },
    stop_timeout_ms: 2000,
  };
}

/** The pid the app reports, or null when it does not answer within `timeoutMs`. */
async function appPid(port: number, timeoutMs = 300): Promise<number | null> {
  try {
    const res = await request(`http://127.0.0.1:${port}/`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, reset: true });
    return ((await res.body.json()) as { pid: number }).pid;
  } catch {
    return null;
  }
}

/** True once a request goes unanswered (SIGSTOP lands asynchronously on a busy machine). */
async function stopsAnswering(port: number): Promise<boolean> {
  for (let i = 0; i < 3; i++) if ((await appPid(port, 250)) === null) return true;
  return false;
}

async function servingWithNewPid(port: number, oldPid: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pid = await appPid(port);
    if (pid !== null && pid !== oldPid) return pid;
    await sleep(20);
  }
  throw new Error('the process did not come back with a new pid');
}

describe('process routes against a real supervised child', () => {
  let ex: Executor;
  let port: number;
  let runs: string;

  beforeAll(async () => {
    port = await freePort();
    runs = mkdtempSync(join(tmpdir(), 'faultline-runs-'));
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      runsDir: runs,
      logger: pino({ level: 'silent' }),
      config: { processes: [processConfig(port)], alerts: { interval_ms: 100, rules: ['restarts > 0'] } },
    });
    await ex.supervisor!.waitHealthy('app', 15_000);
  });

  afterAll(async () => {
    await ex?.close();
    await stopAllDaemons();
    rmSync(runs, { recursive: true, force: true });
  });

  it('lists the process with its pid and health, and reports it in /v1/health', async () => {
    const list = await call(ex.url, 'GET', '/v1/processes');
    expect(list.status).toBe(200);
    expect(list.body.health).toBe('healthy');
    const app = list.body.processes[0];
    expect(app).toMatchObject({ name: 'app', health: 'healthy', state: { kind: 'running' }, paused: false });
    expect(app.pid).toBe(await appPid(port));
    const one = await call(ex.url, 'GET', '/v1/processes/app');
    expect(one.body.pid).toBe(app.pid);
    const health = await call(ex.url, 'GET', '/v1/health');
    expect(health.body.processes).toMatchObject({ health: 'healthy', items: [{ name: 'app', health: 'healthy', state: 'running' }] });
  });

  it('kill: the process is killed and serving again with a new pid', async () => {
    const before = (await appPid(port))!;
    const r = await call(ex.url, 'POST', '/v1/processes/app/kill', { signal: 'SIGKILL' });
    expect(r.status).toBe(200);
    const after = await servingWithNewPid(port, before);
    expect(after).not.toBe(before);
    await ex.supervisor!.waitHealthy('app', 10_000);
    // The restart fires the alert rule from the config; /v1/alerts lists it.
    let alerts: Array<{ rule: string; state: string; firing: string }> = [];
    for (let i = 0; i < 50 && alerts.length === 0; i++) {
      alerts = (await call(ex.url, 'GET', '/v1/alerts')).body.alerts;
      if (alerts.length === 0) await sleep(50);
    }
    expect(alerts[0]).toMatchObject({ rule: 'restarts > 0', state: 'firing' });
    expect(Date.parse(alerts[0]!.firing)).toBeGreaterThan(0);
  });

  it('pause: the process stops answering, then answers again after duration_ms', async () => {
    const pid = (await appPid(port))!;
    // Long enough that a slow answer on a busy machine does not eat the whole pause.
    const r = await call(ex.url, 'POST', '/v1/processes/app/pause', { duration_ms: 3000 });
    expect(r.status).toBe(200);
    expect(r.body.paused).toBe(true);
    const t0 = Date.now();
    const stopped = await stopsAnswering(port);
    expect(stopped).toBe(true);
    await sleep(Math.max(0, 3100 - (Date.now() - t0)));
    expect(await appPid(port, 3000)).toBe(pid);
  });

  it('restart: stop then start, with a new pid', async () => {
    const before = (await appPid(port))!;
    const r = await call(ex.url, 'POST', '/v1/processes/app/restart', {});
    expect(r.status).toBe(200);
    await servingWithNewPid(port, before);
    await ex.supervisor!.waitHealthy('app', 10_000);
  });

  it('a kill FaultPlan through /v1/faults/apply completes once the signal is sent', async () => {
    const before = (await appPid(port))!;
    const r = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'app', fault_type: 'kill', fault_config: { signal: 'SIGKILL' } });
    expect(r.status).toBe(201);
    const st = await call(ex.url, 'GET', `/v1/faults/${r.body.apply_id}/status`);
    expect(st.body.status).toBe('completed');
    await servingWithNewPid(port, before);
    const m = await call(ex.url, 'GET', `/v1/faults/${r.body.apply_id}/metrics`);
    expect(m.body).toMatchObject({ requests: 0, faulted: 0, error_rate: 0 });
    await ex.supervisor!.waitHealthy('app', 10_000);
  });

  it('a pause FaultPlan is reverted (SIGCONT) at once when cancelled', async () => {
    const pid = (await appPid(port))!;
    const r = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'app', fault_type: 'pause', duration_seconds: 30 });
    expect(r.status).toBe(201);
    expect(await stopsAnswering(port)).toBe(true);
    await call(ex.url, 'DELETE', `/v1/faults/${r.body.apply_id}`);
    expect(await appPid(port, 2000)).toBe(pid);
  });

  it('answers 404 for an unknown process, 400 with paths for a bad body, 400 for a proxy fault on a process', async () => {
    expect((await call(ex.url, 'GET', '/v1/processes/nope')).status).toBe(404);
    const k = await call(ex.url, 'POST', '/v1/processes/nope/kill', {});
    expect(k.status).toBe(404);
    expect(k.body.code).toBe('FL_ERR_EXECUTOR_PROCESS_NOT_FOUND');
    const bad = await call(ex.url, 'POST', '/v1/processes/app/kill', { signal: 'SIGNOPE', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['extra', 'signal']);
    const pause = await call(ex.url, 'POST', '/v1/processes/app/pause', {});
    expect(pause.body.issues).toEqual([{ path: 'duration_ms', message: 'is required' }]);
    const mismatch = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'app', fault_type: 'abort' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.issues[0].path).toBe('fault_type');
  });

  it('faultline kill <name> signals the process through a running executor', async () => {
    const before = (await appPid(port))!;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'kill', 'app', '--signal', 'SIGTERM', '--executor', ex.url, '--json'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toMatchObject({ name: 'app' });
    await servingWithNewPid(port, before);
  }, 60_000);

  it('faultline supervise serves the process API without the fault API', async () => {
    const port2 = await freePort();
    const d = await startDaemon({ command: 'supervise', config: { processes: [{ ...processConfig(port2), name: 'solo' }] } });
    const deadline = Date.now() + 15_000;
    let health = '';
    while (Date.now() < deadline && health !== 'healthy') {
      health = (await call(d.url, 'GET', '/v1/processes/solo')).body.health as string;
      await sleep(50);
    }
    expect(health).toBe('healthy');
    expect((await call(d.url, 'GET', '/v1/health')).body.mode).toBe('supervisor');
    expect((await call(d.url, 'POST', '/v1/faults/apply', { service: 'solo', fault_type: 'kill' })).status).toBe(404);
    const pid = (await appPid(port2))!;
    expect((await call(d.url, 'POST', '/v1/processes/solo/kill', {})).status).toBe(200);
    const pid2 = await servingWithNewPid(port2, pid);
    // Pauses here go through the same lifecycle: counted in active_faults, capped, ended by resume.
    expect((await call(d.url, 'POST', '/v1/processes/solo/pause', { duration_ms: 604_800_000 })).status).toBe(400);
    expect((await call(d.url, 'POST', '/v1/processes/solo/pause', { duration_ms: 60_000 })).status).toBe(200);
    expect((await call(d.url, 'POST', '/v1/processes/solo/pause', { duration_ms: 60_000 })).status).toBe(200);
    expect((await call(d.url, 'GET', '/v1/health')).body.active_faults).toBe(2);
    expect(await stopsAnswering(port2)).toBe(true);
    expect((await call(d.url, 'POST', '/v1/processes/solo/resume', {})).body.paused).toBe(false);
    expect(await appPid(port2, 2000)).toBe(pid2);
    expect((await call(d.url, 'GET', '/v1/health')).body.active_faults).toBe(0);
    const exit = await d.stop();
    expect(exit.code).toBe(0);
    // Stopping the supervisor stopped its child.
    expect(await appPid(port2, 300)).toBeNull();
  }, 60_000);
});
