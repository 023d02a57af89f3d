import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalFromWire } from '../../src/drill/index.js';
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

interface Child {
  code: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  kill: (sig: NodeJS.Signals) => void;
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
}

function cli(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, UPSTREAM: server.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const code = new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  void code.then(() => clearTimeout(killer));
  return {
    code,
    stdout: () => out,
    stderr: () => err,
    kill: (sig) => child.kill(sig),
    waitFor: async (text, timeoutMs) => {
      const end = Date.now() + timeoutMs;
      while (!out.includes(text) && !err.includes(text)) {
        if (Date.now() > end) throw new Error(`'${text}' not seen; stdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('faultline run / check (child process)', () => {
  it('on SIGINT during inject still runs the rollbacks and writes the report with status interrupted', async () => {
    const file = join(tmp.dir, 'long.yaml');
    writeFileSync(
      file,
      `name: interrupt-me
executor:
  embedded: true
  config:
    proxies:
      - { name: api, protocol: http, listen: "127.0.0.1:0", upstream: "{{env.UPSTREAM}}" }
load: { url: "{{proxies.api.url}}/load", rate_per_s: 20, duration_s: 60 }
baseline_s: 0.5
method:
  - kind: fault
    plan: { service: api, fault_type: delay, duration_seconds: 60, fault_config: { delay_ms: 50 } }
  - { kind: wait, name: long-wait, seconds: 60 }
rollbacks:
  - { kind: http, name: mark-rolled-back, url: "{{env.UPSTREAM}}/rollback", method: POST }
cleanup:
  - { kind: http, name: mark-cleaned, url: "{{env.UPSTREAM}}/cleanup", method: POST }
`,
    );
    const reports = join(tmp.dir, 'reports');
    const run = cli(['run', file, '--report-dir', reports]);
    await run.waitFor('== inject', 30_000);
    await run.waitFor('fault delay on api', 10_000);
    run.kill('SIGINT');
    const code = await run.code;
    expect(code, run.stderr()).toBe(130);
    expect(server.hits.get('/rollback')).toBe(1);
    expect(server.hits.get('/cleanup')).toBe(1);
    const [runId] = readdirSync(reports);
    const report = journalFromWire(JSON.parse(readFileSync(join(reports, runId!, 'report.json'), 'utf8')));
    expect(report.status).toBe('interrupted');
    expect(report.rollbacks[0]).toMatchObject({ name: 'mark-rolled-back', status: 'ok' });
    expect(report.steps.find((s) => s.name === 'long-wait')?.status).toBe('skipped');
    expect(report.faults[0]?.status).toBe('cancelled');
    expect(report.load?.sent).toBeGreaterThan(0);
  }, 60_000);

  it('check exits 1 with the guidance when a preflight check fails, 0 when all pass', async () => {
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, `name: not-ready\npreflight:\n  - { kind: http, url: "{{env.UPSTREAM}}/health" }\n  - { kind: port, port: 1, guidance: "Start the thing on port 1" }\n`);
    const r1 = cli(['check', bad]);
    expect(await r1.code).toBe(1);
    expect(r1.stdout()).toContain('guidance: Start the thing on port 1');
    expect(r1.stdout()).toContain('NOT ready: 1/2');
    const good = join(tmp.dir, 'good.yaml');
    writeFileSync(good, `name: ready\npreflight:\n  - { kind: http, url: "{{env.UPSTREAM}}/health" }\n`);
    const r2 = cli(['check', good, '--json']);
    expect(await r2.code).toBe(0);
    expect(JSON.parse(r2.stdout())).toMatchObject({ ok: true, checks: [{ kind: 'http', ok: true }] });
  }, 40_000);
});
