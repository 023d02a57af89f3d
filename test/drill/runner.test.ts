import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDrill, reportSchema, runDrill } from '../../src/drill/index.js';
import { startServer, tempDir, type TestServer } from './helpers.js';

let server: TestServer;
let tmp: ReturnType<typeof tempDir>;
let env: Record<string, string | undefined>;

let readyAt = 0;

beforeEach(async () => {
  let n = 0;
  readyAt = 0;
  server = await startServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/arm') readyAt = Date.now() + 2500;
    if (path === '/ready') {
      res.statusCode = Date.now() >= readyAt ? 200 : 503;
      return res.end('{}');
    }
    if (req.method === 'POST' && path === '/items') {
      res.statusCode = 201;
      return res.end(JSON.stringify({ id: `item-${++n}` }));
    }
    const m = /^\/items\/(.+)$/.exec(path ?? '');
    if (m) {
      res.statusCode = m[1] === `item-${n}` ? 200 : 404;
      return res.end(JSON.stringify({ id: m[1] }));
    }
    res.end(JSON.stringify({ ok: true }));
  });
  tmp = tempDir();
  env = { ...process.env, UPSTREAM: server.url };
});

afterEach(async () => {
  await server.close();
  tmp.remove();
});

const executor = `
executor:
  embedded: true
  config:
    proxies:
      - { name: api, protocol: http, listen: "127.0.0.1:0", upstream: "{{env.UPSTREAM}}" }
`;

describe('drill runner', () => {
  it('stops before any fault when a preflight check fails: exit 1, the guidance, and the report', async () => {
    const drill = parseDrill(`
name: preflight-fails
${executor}
preflight:
  - { kind: http, name: upstream-ok, url: "{{env.UPSTREAM}}/health" }
  - { kind: port, name: db-port, port: 1, guidance: "Start the database on port 1" }
method:
  - kind: fault
    plan: { service: api, fault_type: abort, duration_seconds: 5, fault_config: { http_status: 503 } }
`);
    const { exitCode, journal, jsonPath } = await runDrill(drill, { env, reportDir: tmp.dir });
    expect(exitCode).toBe(1);
    expect(journal.status).toBe('failed');
    const failed = journal.preflight.find((c) => c.name === 'db-port');
    expect(failed).toMatchObject({ ok: false, guidance: 'Start the database on port 1' });
    expect(journal.preflight.find((c) => c.name === 'upstream-ok')?.ok).toBe(true);
    expect(journal.faults).toEqual([]);
    expect(journal.steps).toEqual([]);
    expect(journal.phases.map((p) => p.name)).toEqual(['preflight']);
    expect(journal.verdict.reasons.join('\n')).toContain('Start the database on port 1');
    expect(jsonPath && existsSync(jsonPath)).toBeTruthy();
    const onDisk = reportSchema.parse(JSON.parse(readFileSync(jsonPath!, 'utf8')));
    expect(onDisk.preflight[2]?.guidance).toBe('Start the database on port 1');
  });

  it('goes on after a failed preflight check with force', async () => {
    const drill = parseDrill(`
name: preflight-forced
${executor}
preflight:
  - { kind: port, port: 1, guidance: "Start it" }
method:
  - kind: fault
    output: f
    plan: { service: api, fault_type: abort, duration_seconds: 1, fault_config: { http_status: 503 } }
`);
    const { exitCode, journal } = await runDrill(drill, { env, reportDir: tmp.dir, force: true });
    expect(exitCode).toBe(0);
    expect(journal.faults).toHaveLength(1);
    expect(journal.faults[0]?.applyId).toEqual(expect.any(String));
    expect(journal.options.force).toBe(true);
  });

  it('passes step outputs on to later steps and probes, and into results', async () => {
    const drill = parseDrill(`
name: outputs
method:
  - { kind: http, name: create, url: "{{env.UPSTREAM}}/items", method: POST, body: { n: 1 }, output: created }
  - { kind: http, name: read, url: "{{env.UPSTREAM}}/items/{{steps.created.body.id}}", status: 200, output: read }
verify:
  probes:
    - kind: http
      name: same-id
      url: "{{env.UPSTREAM}}/items/{{steps.created.body.id}}"
      expect: { path: id, equals: "{{steps.read.body.id}}" }
    - kind: command
      name: payments-intact
      run: [node, -e, "console.log(JSON.stringify({ lost_payments: 0, duplicate_payments: 0 }))"]
      json: true
      spread: true
      output: payment_check
      expect: [{ path: lost_payments, equals: 0 }]
`);
    const { exitCode, journal } = await runDrill(drill, { env, reportDir: tmp.dir });
    expect(journal.steps.map((s) => [s.name, s.status])).toEqual([
      ['create', 'ok'],
      ['read', 'ok'],
    ]);
    expect(server.hits.get('/items/item-1')).toBe(2);
    expect(journal.verify[0]).toMatchObject({ name: 'same-id', ok: true });
    expect(journal.results.created).toMatchObject({ status: 201, body: { id: 'item-1' } });
    expect(journal.results).toMatchObject({ lost_payments: 0, duplicate_payments: 0, payment_check: { lost_payments: 0 } });
    expect(exitCode).toBe(0);
  });

  it('trips a stop condition: stops the method, halts the faults, runs the rollbacks, exit 3', async () => {
    const drill = parseDrill(`
name: stop-condition
${executor}
load: { url: "{{proxies.api.url}}/orders", rate_per_s: 50, duration_s: 30, timeout_ms: 1000 }
baseline_s: 1
method:
  - kind: fault
    name: break-it
    plan: { service: api, fault_type: abort, duration_seconds: 60, fault_config: { http_status: 503 } }
  - { kind: wait, name: long-wait, seconds: 25 }
  - { kind: http, name: never, url: "{{env.UPSTREAM}}/never" }
stop_conditions:
  - error_rate > 0.5 for 2s
rollbacks:
  - { kind: http, name: mark, url: "{{env.UPSTREAM}}/rollback", method: POST }
`);
    const started = Date.now();
    const { exitCode, journal } = await runDrill(drill, { env, reportDir: tmp.dir });
    expect(exitCode).toBe(3);
    expect(journal.status).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(journal.alerts[0]).toMatchObject({ kind: 'stop_condition', rule: 'error_rate > 0.5 for 2s' });
    expect(journal.steps.find((s) => s.name === 'long-wait')?.status).toBe('skipped');
    expect(journal.steps.find((s) => s.name === 'never')?.status).toBe('skipped');
    expect(server.hits.get('/never')).toBeUndefined();
    expect(journal.rollbacks).toMatchObject([{ name: 'mark', status: 'ok' }]);
    expect(server.hits.get('/rollback')).toBe(1);
    const fault = journal.faults[0]!;
    expect(fault.status).toBe('cancelled');
    expect(Date.parse(fault.end!) - Date.parse(fault.start!)).toBeLessThan(20_000);
    expect(journal.load?.statusCounts['503']).toBeGreaterThan(0);
    expect(journal.verdict.reasons.join('\n')).toContain('stop condition tripped');
  });

  it('fails with exit 2 when the steady state comes back later than recovery_within_s, and says how late', async () => {
    const drill = parseDrill(`
name: slow-recovery
${executor}
steady_state:
  probes:
    - { kind: http, name: ready, url: "{{proxies.api.url}}/ready" }
method:
  - kind: fault
    plan: { service: api, fault_type: abort, duration_seconds: 1, fault_config: { http_status: 503 } }
  - { kind: http, name: arm, url: "{{env.UPSTREAM}}/arm", method: POST }
verify:
  recovery_within_s: 1
  recovery_poll_ms: 50
`);
    const { exitCode, journal } = await runDrill(drill, { env, reportDir: tmp.dir });
    expect(exitCode).toBe(2);
    expect(journal.recovery.ok).toBe(false);
    // The upstream is ready ~2.5 s after arm; the fault ended ~1 s after it started.
    expect(journal.recovery.recoveryMs).toBeGreaterThanOrEqual(1000);
    expect(journal.recovery.recoveryMs).toBeLessThan(5000);
    expect(journal.verdict.recovered).toBe(false);
    expect(journal.verdict.reasons.join('\n')).toMatch(/recovery took \d+ ms, limit 1 s/);
  });

  it('runs only up to the named phase: --phase baseline injects nothing', async () => {
    const drill = parseDrill(`
name: baseline-only
${executor}
load: { url: "{{proxies.api.url}}/orders", rate_per_s: 20, duration_s: 20 }
baseline_s: 1
steady_state:
  probes: [{ kind: metric, metric: "error_rate <= 0.01" }]
method:
  - kind: fault
    plan: { service: api, fault_type: abort, duration_seconds: 5, fault_config: { http_status: 503 } }
rollbacks:
  - { kind: http, url: "{{env.UPSTREAM}}/rollback", method: POST }
`);
    const started = Date.now();
    const { exitCode, journal } = await runDrill(drill, { env, reportDir: tmp.dir, phase: 'baseline' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(exitCode).toBe(0);
    expect(journal.phases.map((p) => p.name)).toEqual(['preflight', 'baseline']);
    expect(journal.faults).toEqual([]);
    expect(journal.steadyState.before[0]?.ok).toBe(true);
    expect(server.hits.get('/rollback')).toBeUndefined();
    expect(journal.load?.sent).toBeGreaterThan(10);
  });

  it('checks the steady state during the method at its interval, and waits for a fault to end with wait: true', async () => {
    const drill = parseDrill(`
name: during
${executor}
load: { url: "{{proxies.api.url}}/orders", rate_per_s: 20, duration_s: 3 }
baseline_s: 0.5
steady_state:
  probes: [{ kind: http, name: up, url: "{{env.UPSTREAM}}/health" }]
  during: { interval_s: 0.5 }
method:
  - kind: fault
    name: slow
    wait: true
    output: slow
    plan: { service: api, fault_type: delay, duration_seconds: 1.5, fault_config: { delay_ms: 20 } }
`);
    const { exitCode, journal } = await runDrill(drill, { env, reportDir: tmp.dir });
    expect(exitCode).toBe(0);
    const step = journal.steps[0]!;
    expect(step).toMatchObject({ name: 'slow', status: 'ok', output: { status: 'completed' } });
    expect(step.durationMs).toBeGreaterThanOrEqual(1300);
    expect(journal.steadyState.during.length).toBeGreaterThanOrEqual(2);
    expect(journal.steadyState.during.every((r) => r.ok)).toBe(true);
    expect(journal.faults[0]?.observation).toMatchObject({ requests: expect.any(Number) });
  });

  it('runs the cleanup steps alone with --phase cleanup', async () => {
    const drill = parseDrill(`
name: cleanup-only
preflight:
  - { kind: port, port: 1 }
method:
  - { kind: http, url: "{{env.UPSTREAM}}/method" }
cleanup:
  - { kind: http, name: wipe, url: "{{env.UPSTREAM}}/cleanup", method: POST }
`);
    const { exitCode, journal } = await runDrill(drill, { env, reportDir: tmp.dir, phase: 'cleanup' });
    expect(exitCode).toBe(0);
    expect(journal.phases.map((p) => p.name)).toEqual(['cleanup']);
    expect(journal.preflight).toEqual([]);
    expect(server.hits.get('/method')).toBeUndefined();
    expect(server.hits.get('/cleanup')).toBe(1);
  });
});
