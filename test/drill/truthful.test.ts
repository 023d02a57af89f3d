import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrillInvalidError, formatRunSummary, parseDrill, runDrill } from '../../src/drill/index.js';
import { verdictLabel } from '../../src/drill/report/summary.js';
import { startServer, tempDir, type TestServer } from './helpers.js';

let server: TestServer;
let tmp: ReturnType<typeof tempDir>;
beforeEach(async () => {
  server = await startServer();
  tmp = tempDir();
});
afterEach(async () => {
  await server.close();
  tmp.remove();
});
const env = () => ({ ...process.env, UPSTREAM: server.url });

const issues = (yaml: string) => {
  try {
    parseDrill(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(DrillInvalidError);
    return (err as DrillInvalidError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('valid');
};

const embedded = `
executor:
  embedded: true
  config:
    proxies:
      - { name: api, protocol: http, listen: "127.0.0.1:0", upstream: "http://127.0.0.1:1" }
    processes:
      - { name: echo, command: node, args: ["-e", "setInterval(() => {}, 1000)"] }
`;

describe('validate checks names (exit 4 with the path and a did-you-mean)', () => {
  it('names a service, proxy, process or step output the drill does not define', () => {
    const found = issues(`
name: names
${embedded}
preflight:
  - { kind: process, process: ech0 }
  - { kind: http, url: "{{proxies.apx.url}}/health" }
method:
  - kind: fault
    plan: { service: apx, fault_type: abort, duration_seconds: 1, fault_config: { http_status: 503 } }
  - { kind: kill, process: echo }
  - { kind: http, url: "http://127.0.0.1:1/{{steps.ordr.body.id}}", output: order }
verify:
  probes:
    - { kind: process, process: zzz }
`);
    expect(found.sort()).toEqual([
      "preflight[0].process: the executor config defines no process 'ech0'; did you mean 'echo'?",
      "preflight[1].url: {{proxies.apx.url}}: the executor config defines no proxy 'apx'; did you mean 'api'?",
      "method[2].url: {{steps.ordr.body.id}}: no earlier step or probe has output 'ordr'",
      "method[0].plan.service: the executor config defines no proxy or process 'apx'; did you mean 'api'?",
      "verify.probes[0].process: the executor config defines no process 'zzz'",
    ].sort());
  });
});

describe('truthful verdicts', () => {
  it('a --phase run is titled partial, never passed, and claims no hypothesis', async () => {
    const drill = parseDrill(`
name: partial
steady_state:
  probes:
    - { kind: http, url: "{{env.UPSTREAM}}/health" }
method:
  - { kind: wait, seconds: 0 }
`);
    const { journal, exitCode } = await runDrill(drill, { env: env(), reportDir: tmp.dir, phase: 'baseline' });
    expect(exitCode).toBe(0);
    expect(journal.status).toBe('partial');
    expect(journal.verdict.hypothesisHeld).toBeNull();
    expect(verdictLabel(journal).text).toMatch(/^PARTIAL/);
    expect(formatRunSummary(journal)).not.toContain('PASSED');
  });

  it('an interrupted run never says the hypothesis held', async () => {
    const ac = new AbortController();
    const drill = parseDrill(`
name: interrupted
steady_state:
  probes:
    - { kind: http, url: "{{env.UPSTREAM}}/health" }
method:
  - { kind: wait, seconds: 30 }
`);
    setTimeout(() => ac.abort(), 300);
    const { journal, exitCode } = await runDrill(drill, { env: env(), reportDir: tmp.dir, signal: ac.signal });
    expect(exitCode).toBe(130);
    expect(journal.steadyState.before[0]?.ok).toBe(true);
    expect(journal.verdict.hypothesisHeld).toBeNull();
    expect(verdictLabel(journal).text).toMatch(/^INTERRUPTED/);
  });

  it('a failed fault step gives no recovery time', async () => {
    const drill = parseDrill(`
name: failed-fault
${embedded}
steady_state:
  probes:
    - { kind: http, url: "{{env.UPSTREAM}}/health" }
method:
  - kind: fault
    plan: { service: api, fault_type: latency, duration_seconds: 1, fault_config: { latency: 10 } }
verify:
  recovery_within_s: 2
`);
    const { journal, exitCode } = await runDrill(drill, { env: env(), reportDir: tmp.dir });
    expect(journal.steps[0]?.status).toBe('failed');
    expect(journal.recovery.recoveryMs).toBeNull();
    expect(journal.verdict.recovered).toBeNull();
    expect(journal.verdict.reasons.join('\n')).toContain('no fault took effect: recovery was not measured');
    expect(formatRunSummary(journal)).not.toMatch(/recovered\s+yes/);
    expect(exitCode).toBe(2);
  }, 30_000);

  it('an after-window with no data is inconclusive, not a violation; validate warns about it', async () => {
    const yaml = `
name: late-fault
load: { url: "{{env.UPSTREAM}}/", rate_per_s: 20, duration_s: 3, timeout_ms: 500 }
baseline_s: 1
steady_state:
  probes:
    - { kind: metric, name: few-errors, metric: error_rate <= 0.01 }
method:
  - { kind: wait, seconds: 3 }
`;
    const drill = parseDrill(yaml);
    const { journal, exitCode } = await runDrill(drill, { env: env(), reportDir: tmp.dir });
    expect(journal.steadyState.after[0]).toMatchObject({ name: 'few-errors', ok: false, inconclusive: true });
    expect(journal.status).toBe('inconclusive');
    expect(journal.verdict.reasons.join('\n')).toContain('inconclusive: few-errors');
    expect(exitCode).toBe(0);
    const onDisk = JSON.parse(readFileSync(join(tmp.dir, journal.runId, 'report.json'), 'utf8')) as { status: string; steady_state: { after: { inconclusive?: boolean }[] } };
    expect(onDisk.status).toBe('inconclusive');
    expect(onDisk.steady_state.after[0]?.inconclusive).toBe(true);
    // The same drill with a fault that ends at the end of the load: validate warns, with the path.
    const late = parseDrill(yaml.replace('- { kind: wait, seconds: 3 }', '- { kind: pause, process: echo, duration_s: 2 }') + embedded.replace('name: echo', 'name: echo'));
    expect(late.warnings?.[0]?.path).toBe('method[0]');
    expect(late.warnings?.[0]?.message).toContain('lengthen load.duration_s');
  }, 30_000);

  it('stop conditions and waits take the one duration grammar: 500ms, 5s, 1m', () => {
    expect(parseDrill('name: w\nmethod:\n  - { kind: wait, seconds: 500ms }\n  - { kind: wait, seconds: 1m }\n  - { kind: wait, seconds: 2 }\n').method.map((s) => (s as { seconds: number }).seconds)).toEqual([0.5, 60, 2]);
    expect(issues('name: w\nmethod:\n  - { kind: wait, seconds: soon }\n')).toEqual(['method[0].seconds: must be a number of seconds or a duration like 500ms, 5s, 1m']);
    for (const d of ['500ms', '5s', '1m']) expect(() => parseDrill(`name: d\nload: { url: "http://127.0.0.1:1/", rate_per_s: 1, duration_s: 1 }\nstop_conditions: ["error_rate > 0.5 for ${d}"]\n`)).not.toThrow();
    expect(issues(`name: d\nload: { url: "http://127.0.0.1:1/", rate_per_s: 1, duration_s: 1 }\nstop_conditions: ["error_rate > 0.5 for 5"]\n`)[0]).toContain('stop_conditions[0]');
  });

  it('an embedded executor listens where executor.config.listen says, and its log has each key once', async () => {
    const probe = await startServer();
    const port = probe.port;
    await probe.close();
    const drill = parseDrill(`
name: listen
executor:
  embedded: true
  config: { listen: "127.0.0.1:${port}" }
`);
    const { journal } = await runDrill(drill, { env: env(), reportDir: tmp.dir });
    expect(journal.executor.url).toBe(`http://127.0.0.1:${port}`);
    const log = readFileSync(join(tmp.dir, journal.runId, 'executor.log'), 'utf8').trim().split('\n');
    expect(log.length).toBeGreaterThan(0);
    for (const line of log) {
      const keys = [...line.matchAll(/"([a-z_]+)":/g)].map((m) => m[1]);
      const top = JSON.parse(line) as Record<string, unknown>;
      expect(keys.filter((k) => k === 'mode').length).toBeLessThanOrEqual(1);
      expect(Object.keys(top).length).toBeGreaterThan(0);
    }
  }, 30_000);
});
