import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePlan } from '../../src/plan/index.js';
import {
  applyProcessPlan,
  createSupervisor,
  type Manifest,
  type ProcessConfigWire,
  type Supervisor,
  type SupervisorEvent,
} from '../../src/supervisor/index.js';
import { alive, fixture, freePort, procState, readJson, servingPid, tempDir, until } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  overrides: Partial<ProcessConfigWire> = {},
  opts: { registry?: Registry } = {},
): Promise<{ sup: Supervisor; port: number; events: SupervisorEvent[] }> {
  const dir = await tempDir();
  const port = await freePort();
  const sup = createSupervisor(
    [
      {
        name: 'web',
        command: process.execPath,
        args: [fixture],
        env: { PORT: String(port) },
        health: { http: { url: `http://127.0.0.1:${port}/health` }, interval_ms: 100, recovery_interval_ms: 10, timeout_ms: 500 },
        ...overrides,
      },
    ],
    { runsDir: dir.path, ...(opts.registry ? { registry: opts.registry } : {}) },
  );
  const events: SupervisorEvent[] = [];
  sup.onEvent((e) => events.push(e));
  cleanups.push(async () => {
    await sup.stop();
    await dir.remove();
  });
  await sup.start();
  return { sup, port, events };
}

function nextEvent(sup: Supervisor, type: SupervisorEvent['type'], timeoutMs = 10_000): Promise<SupervisorEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
    const sub = sup.onEvent((e) => {
      if (e.type !== type) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

describe('supervisor', () => {
  it('restarts a SIGKILLed server, serving again with a new pid, and records restart_ms and recovery_ms', async () => {
    const registry = new Registry();
    const { sup, port } = await setup({}, { registry });
    await sup.waitHealthy('web', 10_000);
    expect(sup.health()).toBe('healthy');
    const first = await servingPid(port);
    expect(first).toBe(sup.get('web')?.pid);

    await sup.kill('web');
    const second = await until(async () => {
      const pid = await servingPid(port, 200);
      return pid !== null && pid !== first ? pid : null;
    });
    await sup.waitHealthy('web', 10_000);
    expect(sup.health()).toBe('healthy');
    expect(alive(first!)).toBe(false);

    const info = sup.get('web')!;
    expect(info.pid).toBe(second);
    expect(info.pidHistory).toEqual([first, second]);
    expect(info.restartCount).toBe(1);
    expect(info.lastRestartMs).toBeGreaterThanOrEqual(0);
    expect(info.lastRestartMs).toBeLessThan(1000);
    expect(info.lastRecoveryMs).toBeGreaterThanOrEqual(info.lastRestartMs!);
    expect(info.lastRecoveryMs).toBeLessThan(10_000);

    await sup.stop();
    const manifest = readJson<Manifest>(sup.manifestPath);
    expect(manifest.run_id).toBe(sup.runId);
    expect(manifest.config_hash).toMatch(/^[0-9a-f]{64}$/);
    const web = manifest.processes.web!;
    expect(web.restart_count).toBe(1);
    expect(web.pid_history).toEqual([first, second]);
    expect(web.restarts).toHaveLength(1);
    expect(web.restarts[0]).toMatchObject({ cause: 'exit', pid_before: first, pid_after: second });
    expect(web.restarts[0]!.restart_ms).toBe(info.lastRestartMs);
    expect(web.restarts[0]!.recovery_ms).toBe(info.lastRecoveryMs);
    const types = web.events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['started', 'healthy', 'killed', 'exited', 'unhealthy', 'restarted']));
    expect(web.events.find((e) => e.type === 'exited')).toMatchObject({ pid: first, signal: 'SIGKILL', code: null });
    expect(web.events.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true);

    const restarts = await registry.getSingleMetric('faultline_process_restarts_total')!.get();
    expect(restarts.values.find((v) => v.labels.cause === 'exit')?.value).toBe(1);
    const text = await registry.metrics();
    expect(text).toMatch(/faultline_process_recovery_ms_count\{process="web"\} 1/);
    expect(text).toMatch(/faultline_process_up\{process="web"\} 0/);
  });

  it('restarts a server killed from outside the supervisor', async () => {
    const { sup, port } = await setup();
    await sup.waitHealthy('web', 10_000);
    const first = sup.get('web')!.pid!;
    process.kill(first, 'SIGKILL');
    await until(async () => {
      const pid = await servingPid(port, 200);
      return pid !== null && pid !== first;
    });
    expect(sup.get('web')!.restartCount).toBe(1);
  });

  it('marks a process that exits at once fatal after max_restarts, with backoff delays growing as configured', async () => {
    const { sup, events } = await setup({
      env: { EXIT_AT_ONCE: '3' },
      health: undefined,
      restart: { max_restarts: 4, window_s: 60, stable_after_s: 30, backoff: { initial_ms: 100, multiplier: 2, max_ms: 1000 } },
    });
    const fatal = await nextEvent(sup, 'fatal', 20_000);
    expect(fatal).toMatchObject({ name: 'web', reason: expect.stringContaining('max_restarts') });
    const info = sup.get('web')!;
    expect(info.state.kind).toBe('fatal');
    expect(info.health).toBe('unhealthy');
    expect(sup.health()).toBe('unhealthy');
    expect(info.restartCount).toBe(4);
    expect(info.pidHistory).toHaveLength(5);

    const started = events.filter((e) => e.type === 'started').map((e) => e.time);
    const exited = events.filter((e) => e.type === 'exited');
    expect(exited.every((e) => e.type === 'exited' && e.code === 3)).toBe(true);
    // backoff = exit seen -> next spawn: 0 (first restart is immediate), then 100, 200, 400 ms.
    // A timer never fires early, so each delay is at least the configured one; a loaded machine
    // only adds (spawn alone can take hundreds of ms), so the ceilings are wide.
    const delays = [0, 1, 2, 3].map((i) => started[i + 1]! - exited[i]!.time);
    const configured = [0, 100, 200, 400];
    configured.forEach((ms, i) => {
      expect(delays[i], `restart ${i + 1}`).toBeGreaterThanOrEqual(ms - 10);
      expect(delays[i], `restart ${i + 1}`).toBeLessThan(ms + 3000);
    });
    // and the gaps between spawns grow with them
    const gaps = [0, 1, 2, 3].map((i) => started[i + 1]! - started[i]!);
    expect(gaps[2]! + gaps[3]!).toBeGreaterThan(gaps[0]! + gaps[1]!);

    await expect(sup.kill('web')).rejects.toMatchObject({ code: 'FL_ERR_PROCESS_STATE' });
    // restart() revives it with a fresh crash loop: max_restarts more tries before fatal again
    const fatalAgain = nextEvent(sup, 'fatal', 20_000);
    await sup.restart('web');
    expect(sup.get('web')!.state.kind).not.toBe('fatal');
    await fatalAgain;
    expect(sup.get('web')!.pidHistory).toHaveLength(10);
  });

  it('treats a command that cannot be spawned as a failed start and goes fatal', async () => {
    const { sup } = await setup({ command: '/nonexistent/faultline-test-binary', health: undefined, restart: { max_restarts: 2, backoff: { initial_ms: 10 } } });
    await until(() => sup.get('web')!.state.kind === 'fatal', 5000);
    expect(sup.get('web')!.pid).toBeNull();
    expect(sup.get('web')!.pidHistory).toEqual([]);
    expect(sup.health()).toBe('unhealthy');
  });

  it('pause stops the server answering and SIGCONT brings it back with the same pid', async () => {
    const { sup, port } = await setup();
    await sup.waitHealthy('web', 10_000);
    const pid = sup.get('web')!.pid!;
    await sup.pause('web', 700);
    expect(sup.get('web')!.paused).toBe(true);
    expect(procState(pid)).toBe('T');
    expect(await servingPid(port, 250)).toBeNull();
    await until(async () => (await servingPid(port, 200)) === pid, 5000);
    expect(sup.get('web')!.paused).toBe(false);

    await sup.pause('web', 60_000);
    expect(await servingPid(port, 200)).toBeNull();
    await sup.resume('web');
    expect(await servingPid(port, 1000)).toBe(pid);
    expect(sup.get('web')!.restartCount).toBe(0);
  });

  it('stop sends the stop signal, then SIGKILL after stop_timeout_ms', async () => {
    const { sup } = await setup({ env: { PORT: String(await freePort()), IGNORE_SIGTERM: '1' }, health: undefined, stop_timeout_ms: 400 });
    await until(() => sup.get('web')!.lastLines.some((l) => l.startsWith('listening')));
    const pid = sup.get('web')!.pid!;
    const t0 = performance.now();
    await sup.stop();
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(3000);
    expect(alive(pid)).toBe(false);
    expect(sup.get('web')!.lastLines).toContain('ignoring SIGTERM');
    expect(sup.get('web')!.state).toMatchObject({ kind: 'stopped', signal: 'SIGKILL' });
    const manifest = readJson<Manifest>(sup.manifestPath);
    expect(manifest.stopped_at).not.toBeNull();
    expect(manifest.processes.web!.events.find((e) => e.type === 'exited')).toMatchObject({ signal: 'SIGKILL' });
  });

  it('stop ends a well-behaved server with its stop signal, without waiting for the timeout', async () => {
    const { sup } = await setup({ stop_timeout_ms: 5000 });
    await sup.waitHealthy('web', 10_000);
    const pid = sup.get('web')!.pid!;
    const t0 = performance.now();
    await sup.stop();
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(alive(pid)).toBe(false);
    expect(sup.get('web')!.state).toMatchObject({ kind: 'stopped', signal: 'SIGTERM' });
    await sup.stop(); // idempotent
  });

  it('restart() stops and starts the process without counting it against max_restarts', async () => {
    const { sup, port } = await setup({ restart: { max_restarts: 0 } });
    await sup.waitHealthy('web', 10_000);
    const first = sup.get('web')!.pid!;
    await sup.restart('web');
    const second = sup.get('web')!.pid!;
    expect(second).not.toBe(first);
    expect(sup.get('web')!.state.kind).not.toBe('fatal');
    await until(async () => (await servingPid(port, 200)) === second);
    await sup.waitHealthy('web', 10_000);
    expect(sup.get('web')!.lastRecoveryMs).not.toBeNull();
    // max_restarts 0: the first automatic restart is one too many
    await sup.kill('web');
    await until(() => sup.get('web')!.state.kind === 'fatal');
    expect(sup.get('web')!.restartCount).toBe(1);
  });

  it('does not restart under policy never, and on-failure leaves a clean exit alone', async () => {
    const never = await setup({ health: undefined, restart: { policy: 'never' } });
    await until(() => never.sup.get('web')!.state.kind === 'running');
    await never.sup.kill('web', 'SIGTERM');
    await until(() => never.sup.get('web')!.state.kind === 'stopped');
    expect(never.sup.get('web')!.state).toMatchObject({ kind: 'stopped', signal: 'SIGTERM' });
    expect(never.sup.get('web')!.health).toBe('unhealthy');

    const clean = await setup({ env: { EXIT_AT_ONCE: '0' }, health: undefined, restart: { policy: 'on-failure' } });
    await until(() => clean.sup.get('web')!.state.kind === 'stopped');
    expect(clean.sup.get('web')!.state).toMatchObject({ kind: 'stopped', exitCode: 0 });
    expect(clean.sup.get('web')!.restartCount).toBe(0);
  });

  it('reports degraded while the health check fails, and waitHealthy times out', async () => {
    const { sup } = await setup({ env: { PORT: String(await freePort()), UNHEALTHY: '1' } });
    await until(() => sup.get('web')!.state.kind === 'running');
    expect(sup.get('web')!.health).toBe('degraded');
    expect(sup.health()).toBe('degraded');
    await expect(sup.waitHealthy('web', 300)).rejects.toMatchObject({ code: 'FL_ERR_PROCESS_HEALTH_TIMEOUT' });
  });

  it('captures output to the log file and keeps the last lines in memory', async () => {
    const { sup } = await setup({ log_lines: 5 });
    await sup.waitHealthy('web', 10_000);
    const info = sup.get('web')!;
    expect(info.lastLines.some((l) => l.startsWith(`listening `) && l.endsWith(`pid ${info.pid}`))).toBe(true);
    await until(() => readFileSync(info.logFile, 'utf8').includes(`pid ${info.pid}`));
    expect(info.logFile).toContain(sup.runId);
  });

  it('throws typed errors for unknown processes and impossible states', async () => {
    const { sup } = await setup({ health: undefined, restart: { policy: 'never' } });
    await expect(sup.kill('nope')).rejects.toMatchObject({ code: 'FL_ERR_PROCESS_NOT_FOUND', details: { process: 'nope', known: ['web'] } });
    await expect(sup.pause('nope', 10)).rejects.toMatchObject({ code: 'FL_ERR_PROCESS_NOT_FOUND' });
    await sup.kill('web');
    await until(() => sup.get('web')!.state.kind === 'stopped');
    await expect(sup.pause('web', 100)).rejects.toMatchObject({ code: 'FL_ERR_PROCESS_STATE' });
    await sup.stop();
    await expect(sup.restart('web')).rejects.toMatchObject({ code: 'FL_ERR_SUPERVISOR_STOPPED' });
  });

  it('writes annotations into the manifest', async () => {
    const { sup } = await setup({ health: undefined });
    sup.annotate('exporters', [{ name: 'pushgateway', export_count: 3, error_count: 1, last_error: 'ECONNREFUSED' }]);
    await until(() => {
      const m = readJson<Manifest>(sup.manifestPath);
      return Array.isArray(m.annotations.exporters);
    }, 3000);
    expect(readJson<Manifest>(sup.manifestPath).annotations.exporters).toEqual([
      { name: 'pushgateway', export_count: 3, error_count: 1, last_error: 'ECONNREFUSED' },
    ]);
  });
});

describe('aggregate health and the manifest file', () => {
  it('is the worst of its processes, and the manifest is replaced whole (no temp files left)', async () => {
    const dir = await tempDir();
    const [a, b] = [await freePort(), await freePort()];
    const proc = (name: string, port: number, env: Record<string, string> = {}) => ({
      name,
      command: process.execPath,
      args: [fixture],
      env: { PORT: String(port), ...env },
      health: { http: { url: `http://127.0.0.1:${port}/health` }, interval_ms: 50 },
    });
    const sup = createSupervisor([proc('a', a), proc('b', b, { UNHEALTHY: '1' })], { runsDir: dir.path, runId: 'agg-run' });
    cleanups.push(async () => {
      await sup.stop();
      await dir.remove();
    });
    await sup.start();
    await sup.waitHealthy('a', 10_000);
    await until(() => sup.get('b')!.state.kind === 'running');
    expect(sup.health()).toBe('degraded');
    await sup.kill('b', 'SIGKILL');
    await sup.stop();
    expect(sup.health()).toBe('unhealthy');
    expect(sup.manifestPath).toBe(`${dir.path}/agg-run/manifest.json`);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(`${dir.path}/agg-run`).sort()).toEqual(['logs', 'manifest.json']);
    expect(readJson<Manifest>(sup.manifestPath)).toMatchObject({ run_id: 'agg-run', health: 'unhealthy', processes: { a: { state: 'stopped' }, b: {} } });
  });
});

describe('applyProcessPlan', () => {
  it('applies kill, pause and restart plans to the named process; the caller ends a pause', async () => {
    const { sup, port } = await setup();
    await sup.waitHealthy('web', 10_000);
    const first = sup.get('web')!.pid!;

    const pause = await applyProcessPlan(sup, parsePlan({ service: 'web', fault_type: 'pause', duration_seconds: 60 }));
    expect(pause.oneShot).toBe(false);
    expect(sup.get('web')!.paused).toBe(true);
    expect(await servingPid(port, 300)).toBe(null);
    await pause.revert();
    await until(() => !sup.get('web')!.paused, 2000);
    expect(await servingPid(port, 1000)).toBe(first);

    const kill = await applyProcessPlan(sup, parsePlan({ service: 'web', fault_type: 'kill', fault_config: { signal: 'SIGTERM' } }));
    expect(kill.oneShot).toBe(true);
    await until(async () => {
      const pid = await servingPid(port, 200);
      return pid !== null && pid !== first;
    });
    const second = sup.get('web')!.pid!;
    await applyProcessPlan(sup, parsePlan({ service: 'web', fault_type: 'restart' }));
    expect(sup.get('web')!.pid).not.toBe(second);
    expect(sup.get('web')!.restartCount).toBe(2);

    await expect(applyProcessPlan(sup, parsePlan({ service: 'nope', fault_type: 'kill' }))).rejects.toMatchObject({ code: 'FL_ERR_PROCESS_NOT_FOUND' });
    await expect(applyProcessPlan(sup, parsePlan({ service: 'web', fault_type: 'latency', fault_config: { latency: 10 } }))).rejects.toMatchObject({
      code: 'FL_ERR_PROCESS_FAULT_UNSUPPORTED',
    });
  });

  it('stacked pauses: the process resumes only when the last one ends', async () => {
    const { sup, port } = await setup();
    await sup.waitHealthy('web', 10_000);
    const pid = sup.get('web')!.pid!;
    const one = await applyProcessPlan(sup, parsePlan({ service: 'web', fault_type: 'pause', duration_seconds: 60 }));
    const two = await applyProcessPlan(sup, parsePlan({ service: 'web', fault_type: 'pause', duration_seconds: 60 }));
    await one.revert();
    expect(sup.get('web')!.paused).toBe(true);
    expect(await servingPid(port, 300)).toBe(null);
    await two.revert();
    expect(sup.get('web')!.paused).toBe(false);
    expect(await servingPid(port, 2000)).toBe(pid);
  });
});

describe('supervised process cleanup', () => {
  it('leaves no child after stop()', async () => {
    const { sup } = await setup();
    await until(() => sup.get('web')!.pid !== null);
    const pid = sup.get('web')!.pid!;
    await sup.stop();
    expect(alive(pid)).toBe(false);
  });
});
