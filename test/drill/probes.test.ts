import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDrill, runCheck, runProbe, type PreflightCheck, type Probe } from '../../src/drill/index.js';
import { startServer, tempDir, type TestServer } from './helpers.js';

let server: TestServer;
const tmp = tempDir();
const env = { ctx: () => ({ env: { ...process.env, DIR: tmp.dir } }) };

beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'healthy', count: 3 }));
  });
  const wal = new Database(join(tmp.dir, 'wal.db'));
  wal.pragma('journal_mode = WAL');
  wal.exec('create table t (x integer); insert into t values (1), (2), (3);');
  wal.close();
  const plain = new Database(join(tmp.dir, 'plain.db'));
  plain.exec('create table t (x integer)');
  plain.close();
  writeFileSync(join(tmp.dir, 'self.pid'), String(process.pid));
});
afterAll(async () => {
  await server.close();
  tmp.remove();
});

function checks(yaml: string): PreflightCheck[] {
  return parseDrill(`name: t\npreflight:\n${yaml}`).preflight;
}
function probes(yaml: string): Probe[] {
  return parseDrill(`name: t\nverify:\n  probes:\n${yaml}`).verify.probes;
}

describe('preflight checks', () => {
  it('checks SQLite: integrity ok and WAL on; fails with WAL off, and keeps the guidance', async () => {
    const [ok, notWal] = checks(`  - { kind: sqlite, path: "{{env.DIR}}/wal.db" }\n  - { kind: sqlite, path: "{{env.DIR}}/plain.db", guidance: "Turn WAL on" }\n`);
    expect(await runCheck(ok!, env, 'a')).toMatchObject({ ok: true, kind: 'sqlite' });
    const r = await runCheck(notWal!, env, 'b');
    expect(r).toMatchObject({ ok: false, guidance: 'Turn WAL on' });
    expect(r.message).toContain('journal_mode is delete');
  });

  it('checks a pid file, a process name, a port, disk space and a command', async () => {
    const list = checks(
      [
        `  - { kind: process, pid_file: "{{env.DIR}}/self.pid" }`,
        `  - { kind: process, process_name: no-such-process-xyz }`,
        `  - { kind: port, port: ${server.port} }`,
        `  - { kind: disk, path: "{{env.DIR}}", min_free_mb: 1 }`,
        `  - { kind: disk, path: "{{env.DIR}}", min_free_mb: 999999999 }`,
        `  - { kind: command, run: "exit 3", exit_code: 3 }`,
        `  - { kind: command, run: [node, -e, "process.exit(2)"] }`,
      ].join('\n') + '\n',
    );
    const rs = await Promise.all(list.map((c, i) => runCheck(c, env, `c${i}`)));
    expect(rs.map((r) => r.ok)).toEqual([true, false, true, true, false, true, false]);
    expect(rs[6]?.message).toContain('exit 2, expected 0');
  });

  it('retries a check for wait_s until it passes', async () => {
    const probe = await startServer();
    const port = probe.port;
    await probe.close();
    const [c] = checks(`  - { kind: port, port: ${port}, wait_s: 3 }\n`);
    const pending = runCheck(c!, env, 'late');
    // The port starts listening half a second later.
    const srv = createServer((_q, s) => s.end());
    setTimeout(() => srv.listen(port, '127.0.0.1'), 500);
    const r = await pending;
    await new Promise<void>((res) => srv.close(() => res()));
    expect(r.ok).toBe(true);
    expect(r.durationMs).toBeGreaterThanOrEqual(400);
  });
});

describe('probes', () => {
  it('evaluates http status and body expectations', async () => {
    const [good, bad] = probes(
      `    - { kind: http, url: "${server.url}/health", status: 200, expect: [{ path: status, equals: healthy }, { path: count, min: 1, max: 5 }] }\n` +
        `    - { kind: http, url: "${server.url}/health", expect: { path: count, max: 2 } }\n`,
    );
    expect(await runProbe(good!, env, 'g')).toMatchObject({ ok: true, value: 200 });
    const r = await runProbe(bad!, env, 'b');
    expect(r.ok).toBe(false);
    expect(r.message).toContain('count = 3, expected <= 2');
  });

  it('runs SQL on SQLite and compares the scalar', async () => {
    const [p, q] = probes(`    - { kind: sql, driver: sqlite, path: "{{env.DIR}}/wal.db", query: "select count(*) from t", expect: { equals: 3 } }\n    - { kind: sql, driver: sqlite, path: "{{env.DIR}}/wal.db", query: "select x from t order by x", value: rows, expect: { path: 2.x, equals: 3 } }\n`);
    expect(await runProbe(p!, env, 'p')).toMatchObject({ ok: true, value: 3 });
    expect(await runProbe(q!, env, 'q')).toMatchObject({ ok: true });
  });

  it('parses a command probe JSON output and checks its fields', async () => {
    const [p] = probes(`    - kind: command\n      run: [node, -e, "console.log(JSON.stringify({ lost_payments: 0, duplicate_payments: 1 }))"]\n      json: true\n      expect: [{ path: lost_payments, equals: 0 }, { path: duplicate_payments, equals: 0 }]\n`);
    const r = await runProbe(p!, env, 'p');
    expect(r.ok).toBe(false);
    expect(r.value).toEqual({ lost_payments: 0, duplicate_payments: 1 });
    expect(r.message).toContain('duplicate_payments = 1, expected 0');
  });

  it('fails a probe that cannot run instead of throwing', async () => {
    const [p] = probes(`    - { kind: sql, driver: sqlite, path: "{{env.DIR}}/missing.db", query: "select 1" }\n`);
    const r = await runProbe(p!, env, 'p');
    expect(r.ok).toBe(false);
    expect(r.message).toContain('probe error');
  });
});
