import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrillInvalidError, parseDrill, runDrill } from '../../src/drill/index.js';
import { startServer, tempDir, type TestServer } from './helpers.js';

// A service whose answers try to reach a shell, SQL text and a deletion outside the run.
let server: TestServer;
let tmp: ReturnType<typeof tempDir>;
/** A folder outside the run's folder and outside the system temp folder (the working tree). */
let victim: string;

beforeEach(async () => {
  tmp = tempDir();
  victim = join(process.cwd(), `.faultline-victim-${process.pid}-${Date.now()}`);
  mkdirSync(victim);
  writeFileSync(join(victim, 'keep.txt'), 'precious');
  const runDir = join(tmp.dir, 'run-1');
  server = await startServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        id: `42; touch ${join(victim, 'PWNED-semicolon')}; echo`,
        sub: `$(touch ${join(victim, 'PWNED-subst')})\`touch ${join(victim, 'PWNED-backtick')}\` '"`,
        traversal: relative(runDir, victim),
        absolute: victim,
      }),
    );
  });
});

afterEach(async () => {
  await server.close();
  tmp.remove();
  rmSync(victim, { recursive: true, force: true });
});

const env = () => ({ ...process.env, UPSTREAM: server.url });

describe('values from a service never reach a shell, SQL text or a deletion outside the run', () => {
  it('shell-quotes step outputs in a string run:, so `; touch`, $(...) and backticks stay text', async () => {
    const drill = parseDrill(`
name: hostile-shell
method:
  - { kind: http, name: order, url: "{{env.UPSTREAM}}/order", output: order }
  - kind: command
    name: echo-id
    run: "echo checking {{steps.order.body.id}} {{steps.order.body.sub}}"
    output: echoed
  - kind: command
    name: echo-in-a-word
    run: "echo id={{steps.order.body.id}}."
    output: echoed_word
`);
    const { journal } = await runDrill(drill, { env: env(), reportDir: tmp.dir, runId: 'run-1' });
    expect(journal.steps.map((s) => [s.name, s.status])).toEqual([
      ['order', 'ok'],
      ['echo-id', 'ok'],
      ['echo-in-a-word', 'ok'],
    ]);
    const body = (journal.results.order as { body: { id: string; sub: string } }).body;
    expect((journal.results.echoed as { stdout: string }).stdout).toBe(`checking ${body.id} ${body.sub}`);
    expect((journal.results.echoed_word as { stdout: string }).stdout).toBe(`id=${body.id}.`);
    expect(readdirSync(victim)).toEqual(['keep.txt']);
  });

  it('refuses to remove a path an answer names outside the run folder, and names the path', async () => {
    const drill = parseDrill(`
name: hostile-remove
method:
  - { kind: http, name: order, url: "{{env.UPSTREAM}}/order", output: order }
cleanup:
  - kind: remove
    name: traversal
    paths: ["{{run.dir}}/{{steps.order.body.traversal}}"]
  - kind: remove
    name: absolute
    paths: ["{{run.dir}}/ok.txt", "{{steps.order.body.absolute}}"]
`);
    const { journal, exitCode } = await runDrill(drill, { env: env(), reportDir: tmp.dir, runId: 'run-1' });
    expect(existsSync(join(victim, 'keep.txt'))).toBe(true);
    expect(journal.cleanup.map((s) => [s.name, s.status])).toEqual([
      ['traversal', 'failed'],
      ['absolute', 'failed'],
    ]);
    expect(journal.cleanup[0]?.error).toContain('paths[0]');
    expect(journal.cleanup[0]?.error).toContain(victim);
    expect(journal.cleanup[1]?.error).toContain('paths[1]');
    expect(journal.cleanup[1]?.error).not.toContain('paths[0]');
    expect(exitCode).toBe(2);
  });

  it('removes inside the run folder and the temp folder as before', async () => {
    const inTmp = join(tmp.dir, 'scratch');
    mkdirSync(inTmp);
    const drill = parseDrill(`
name: remove-inside
method:
  - { kind: command, name: make, run: [node, -e, "const f=require('fs'),p=require('path');f.mkdirSync(p.dirname(process.argv[1]),{recursive:true});f.writeFileSync(process.argv[1],'x')", "{{run.dir}}/made.txt"] }
cleanup:
  - { kind: remove, name: rm, paths: ["{{run.dir}}/made.txt", "{{env.SCRATCH}}"] }
`);
    const { journal, exitCode } = await runDrill(drill, { env: { ...env(), SCRATCH: inTmp }, reportDir: tmp.dir, runId: 'run-1' });
    expect(journal.cleanup[0]).toMatchObject({ name: 'rm', status: 'ok' });
    expect(existsSync(inTmp)).toBe(false);
    expect(existsSync(join(tmp.dir, 'run-1', 'made.txt'))).toBe(false);
    expect(exitCode).toBe(0);
  });

  it('binds a step output as a SQL parameter: the hostile text is a value, not SQL', async () => {
    const dbPath = join(tmp.dir, 'x.db');
    const db = new Database(dbPath);
    db.exec("CREATE TABLE t (id TEXT); INSERT INTO t VALUES ('1')");
    db.close();
    const drill = parseDrill(`
name: hostile-sql
method:
  - { kind: http, name: order, url: "{{env.UPSTREAM}}/order", output: order }
verify:
  probes:
    - kind: sql
      name: bound
      driver: sqlite
      path: "{{env.DB}}"
      query: "SELECT count(*) AS n FROM t WHERE id = ? OR ? = 'x'"
      params: ["{{steps.order.body.id}}", "{{steps.order.body.sub}}"]
      expect: { equals: 0 }
`);
    const { journal, exitCode } = await runDrill(drill, { env: { ...env(), DB: dbPath }, reportDir: tmp.dir, runId: 'run-1' });
    expect(journal.verify[0]).toMatchObject({ name: 'bound', ok: true, value: 0 });
    expect(exitCode).toBe(0);
  });
});

describe('validate refuses unsafe templates with their path', () => {
  const invalid = (yaml: string): { path: string; message: string }[] => {
    try {
      parseDrill(yaml);
    } catch (err) {
      expect(err).toBeInstanceOf(DrillInvalidError);
      return [...(err as DrillInvalidError).issues];
    }
    throw new Error('the drill was valid');
  };

  it('a step output in SQL text', () => {
    const issues = invalid(`
name: sql-text
method:
  - { kind: http, url: "http://127.0.0.1:1/x", output: order }
  - { kind: sql, driver: sqlite, path: /tmp/x.db, query: "DELETE FROM t WHERE id = '{{steps.order.body.id}}'" }
verify:
  probes:
    - { kind: sql, driver: postgres, url: "postgres://x", query: "SELECT {{results.order || 1}}" }
`);
    expect(issues.map((i) => i.path)).toEqual(['method[1].query', 'verify.probes[0].query']);
    expect(issues[0]?.message).toContain('params');
  });

  it('a remove path outside the run folder and the temp folder', () => {
    const issues = invalid(`
name: remove-outside
cleanup:
  - { kind: remove, paths: ["{{run.dir}}/ok", "{{run.dir}}/../../etc"] }
  - { kind: remove, paths: ["../../x", "{{run.drill_dir}}/data"] }
  - { kind: remove, paths: ["{{run.dir}}"] }
`);
    expect(issues.map((i) => i.path)).toEqual(['cleanup[0].paths[1]', 'cleanup[1].paths[0]', 'cleanup[1].paths[1]', 'cleanup[2].paths[0]']);
    expect(issues[0]?.message).toContain('outside the run');
  });

  it('faultline validate exits 4 and names the path', async () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\ncleanup:\n  - { kind: remove, paths: ["/etc/hosts"] }\n');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'validate', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((r) => child.once('close', r));
    expect(code).toBe(4);
    expect(err).toContain('cleanup[0].paths[0]');
  }, 30_000);
});
