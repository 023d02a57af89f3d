import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProcessesConfig, runHealthCheck, type HealthConfig } from '../../src/supervisor/index.js';
import { fixture, freePort, servingPid, until } from './helpers.js';

function health(h: Record<string, unknown>): HealthConfig {
  return parseProcessesConfig([{ name: 'p', command: 'x', health: { timeout_ms: 300, ...h } }])[0]!.health!;
}

let port = 0;
let closedPort = 0;
const server = { kill: () => {} };

beforeAll(async () => {
  port = await freePort();
  closedPort = await freePort();
  const child = spawn(process.execPath, [fixture], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  server.kill = () => child.kill('SIGKILL');
  await until(async () => (await servingPid(port, 200)) !== null);
});
afterAll(() => server.kill());

describe('runHealthCheck', () => {
  it('passes an HTTP check on the expected status and fails on another', async () => {
    expect(await runHealthCheck(health({ http: { url: `http://127.0.0.1:${port}/health` } }))).toEqual({ ok: true });
    expect(await runHealthCheck(health({ http: { url: `http://127.0.0.1:${port}/health`, expect_status: [204, 200] } }))).toEqual({ ok: true });
    const wrong = await runHealthCheck(health({ http: { url: `http://127.0.0.1:${port}/health`, expect_status: 204 } }));
    expect(wrong).toEqual({ ok: false, reason: expect.stringContaining('HTTP 200') });
    const refused = await runHealthCheck(health({ http: { url: `http://127.0.0.1:${closedPort}/health` } }));
    expect(refused).toEqual({ ok: false, reason: expect.stringContaining('ECONNREFUSED') });
  });

  it('passes a TCP check when the port accepts and fails when it refuses', async () => {
    expect(await runHealthCheck(health({ tcp: { port } }))).toEqual({ ok: true });
    expect((await runHealthCheck(health({ tcp: { port: closedPort } }))).ok).toBe(false);
  });

  it('passes a command check on exit 0, fails otherwise, and kills it at the timeout', async () => {
    expect(await runHealthCheck(health({ command: 'exit 0' }))).toEqual({ ok: true });
    expect(await runHealthCheck(health({ command: ['/bin/sh', '-c', 'exit 3'] }))).toEqual({ ok: false, reason: 'health command exited with 3' });
    const t0 = performance.now();
    const slow = await runHealthCheck(health({ command: 'sleep 5', timeout_ms: 200 }));
    expect(slow.ok).toBe(false);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
