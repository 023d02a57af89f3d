/**
 * Drill runs the rest of the suite does not cover: `--phase inject|recover|verify` (each stops
 * where it says, and rollbacks and cleanup still run), and a drill against a remote executor
 * (a real `faultline serve` child) that has a token.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDrill, runDrill, type RunnablePhase } from '../../src/drill/index.js';
import { startDaemon, stopAllDaemons, type Daemon } from '../helpers/daemon.js';
import { startServer, tempDir, type TestServer } from './helpers.js';

let server: TestServer;
let tmp: ReturnType<typeof tempDir>;

beforeEach(async () => {
  server = await startServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  tmp = tempDir();
});

afterEach(async () => {
  await server.close();
  tmp.remove();
});

const phasedDrill = () =>
  parseDrill(`
name: phased
executor:
  embedded: true
  config:
    proxies:
      - { name: api, protocol: http, listen: "127.0.0.1:0", upstream: "{{env.UPSTREAM}}" }
baseline_s: 0.2
steady_state:
  probes: [{ kind: http, name: up, url: "{{env.UPSTREAM}}/health" }]
method:
  - kind: fault
    name: cut
    plan: { service: api, fault_type: abort, duration_seconds: 1, fault_config: { http_status: 503 } }
verify:
  probes: [{ kind: http, name: still-up, url: "{{env.UPSTREAM}}/verify" }]
rollbacks:
  - { kind: http, name: undo, url: "{{env.UPSTREAM}}/rollback", method: POST }
cleanup:
  - { kind: http, name: wipe, url: "{{env.UPSTREAM}}/cleanup", method: POST }
`);

describe('--phase inject | recover | verify', () => {
  it.each<[RunnablePhase, string[]]>([
    ['inject', ['preflight', 'baseline', 'inject', 'rollback', 'cleanup']],
    ['recover', ['preflight', 'baseline', 'inject', 'recover', 'rollback', 'cleanup']],
    ['verify', ['preflight', 'baseline', 'inject', 'recover', 'rollback', 'verify', 'cleanup']],
  ])('--phase %s runs the phases up to it, then the rollbacks and the cleanup', async (phase, phases) => {
    const { journal } = await runDrill(phasedDrill(), { env: { ...process.env, UPSTREAM: server.url }, reportDir: tmp.dir, phase });
    expect(journal.phases.map((p) => p.name)).toEqual(phases);
    expect(journal.options.phase).toBe(phase);
    // The fault was injected in every case, and the rollback and cleanup steps ran once each.
    expect(journal.faults.map((f) => f.step)).toEqual(['cut']);
    expect(server.hits.get('/rollback')).toBe(1);
    expect(server.hits.get('/cleanup')).toBe(1);
    // Verification runs only when asked for.
    expect(server.hits.get('/verify')).toBe(phase === 'verify' ? 1 : undefined);
    expect(journal.verify.length).toBe(phase === 'verify' ? 1 : 0);
  });
});

describe('a drill against a remote executor with a token', () => {
  let daemon: Daemon;
  let upstream: TestServer;
  const token = 'drill-remote-token-1234';

  beforeAll(async () => {
    upstream = await startServer((_req, res) => res.end('ok'));
    daemon = await startDaemon({ token, config: { proxies: [{ name: 'api', listen: '127.0.0.1:0', upstream: upstream.url.replace('http://', ''), protocol: 'http' }] } });
  });

  afterAll(async () => {
    await stopAllDaemons();
    await upstream?.close();
  });

  const remoteDrill = () =>
    parseDrill(`
name: remote
executor: { url: "{{env.EXECUTOR_URL}}", token: "{{env.EXECUTOR_TOKEN}}" }
method:
  - kind: fault
    name: slow
    wait: true
    plan: { service: api, fault_type: delay, duration_seconds: 0.5, fault_config: { delay_ms: 10 } }
`);

  it('applies the fault through the remote executor with the token, and the executor lists it as completed', async () => {
    const { exitCode, journal } = await runDrill(remoteDrill(), {
      env: { ...process.env, EXECUTOR_URL: daemon.url, EXECUTOR_TOKEN: token },
      reportDir: tmp.dir,
    });
    expect(journal.steps[0], JSON.stringify(journal.steps[0])).toMatchObject({ name: 'slow', status: 'ok' });
    expect(exitCode).toBe(0);
    const applyId = journal.faults[0]?.applyId;
    expect(applyId).toBeTypeOf('string');
    const listed = (await (await fetch(`${daemon.url}/v1/faults`)).json()) as { faults: Array<{ apply_id: string; status: string }> };
    expect(listed.faults.find((f) => f.apply_id === applyId)?.status).toBe('completed');
  });

  it("with a wrong token, the fault step fails with the executor's 401 and nothing is applied", async () => {
    const before = ((await (await fetch(`${daemon.url}/v1/faults`)).json()) as { faults: unknown[] }).faults.length;
    const { exitCode, journal } = await runDrill(remoteDrill(), {
      env: { ...process.env, EXECUTOR_URL: daemon.url, EXECUTOR_TOKEN: 'wrong-token' },
      reportDir: tmp.dir,
    });
    expect(exitCode).not.toBe(0);
    expect(journal.steps[0]?.status).toBe('failed');
    expect(journal.steps[0]?.error ?? '').toMatch(/401|token|unauthori[sz]ed/i);
    const after = ((await (await fetch(`${daemon.url}/v1/faults`)).json()) as { faults: unknown[] }).faults.length;
    expect(after).toBe(before);
  });
});
