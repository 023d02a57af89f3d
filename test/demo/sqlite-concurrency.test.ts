import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservePort } from '../helpers/ports.js';

// Runs examples/drills/sqlite-concurrency.yaml as a user would, through the CLI in a child
// process: three writers and a reader on one SQLite file, one writer SIGKILLed under load.

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// A port the drill's children must know before they start: below the ephemeral range (test/helpers/ports.ts).
const freePort = reservePort;

function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // SIGINT lets the run roll back, clean up and stop its supervised workers.
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

type Report = Record<string, unknown> & { results: Record<string, unknown>; load: { status_counts: Record<string, number> } };

/** Runs the drill through the CLI with free ports and its database under `dir`; returns the exit and the report. */
async function runDrill(dir: string, extraEnv: Record<string, string>): Promise<{ run: RunResult; report: Report }> {
  const env = {
    ...process.env,
    FL_SQLITE_TMP: join(dir, 'db'),
    FL_SQLITE_WRITER1_PORT: String(await freePort()),
    FL_SQLITE_WRITER2_PORT: String(await freePort()),
    FL_SQLITE_WRITER3_PORT: String(await freePort()),
    FL_SQLITE_READER_PORT: String(await freePort()),
    ...extraEnv,
  };
  const run = await runCli(['run', 'examples/drills/sqlite-concurrency.yaml', '--report-dir', join(dir, 'reports')], env, 45_000);
  const runs = await readdir(join(dir, 'reports'));
  expect(runs).toHaveLength(1);
  const report = JSON.parse(await readFile(join(dir, 'reports', runs[0]!, 'report.json'), 'utf8')) as Report;
  return { run, report };
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fl-sqlite-demo-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('sqlite-concurrency drill (three writers, one reader, one SQLite file, a SIGKILL)', () => {
  let dir = '';
  let run: RunResult;
  let report: Report;

  beforeAll(async () => {
    dir = await tempDir();
    ({ run, report } = await runDrill(dir, {}));
  }, 55_000);

  it('ends with exit 0 and a completed report whose hypothesis held', () => {
    expect(run.code, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`).toBe(0);
    expect(report.status).toBe('completed');
    expect(report.verdict).toMatchObject({ exit_code: 0, hypothesis_held: true, recovered: true, reasons: [] });
  });

  it('loses no acknowledged write and keeps the file intact and in WAL mode', () => {
    const r = report.results;
    expect(r.acknowledged).toBeGreaterThanOrEqual(100);
    expect(r.lost).toBe(0);
    expect(r.lost_ids).toEqual([]);
    expect(r.duplicate_rows).toBe(0);
    expect(r.rows).toBeGreaterThanOrEqual(r.acknowledged as number);
    expect(r.integrity).toBe('ok');
    expect(r.wal).toBe('wal');
    // The writes really were spread over the three writers.
    expect(Object.keys(r.rows_by_writer as object).sort()).toEqual(['writer1', 'writer2', 'writer3']);
  });

  it('surfaces no "database is locked" to any caller', () => {
    const r = report.results;
    expect(r.busy_surfaced).toBe(0);
    expect(r.worker_errors).toBe(0);
    expect(r.callers_503).toMatchObject({ value: 0 });
    expect(r.callers_500).toMatchObject({ value: 0 });
    expect(report.load.status_counts['503'] ?? 0).toBe(0);
    expect(report.load.status_counts['201']).toBeGreaterThanOrEqual(100);
    // The writers did contend for the write lock: busy_timeout absorbed it.
    expect(r.lock_waits).toBeGreaterThan(0);
  });

  it('brings the SIGKILLed writer back healthy under a new pid', () => {
    const r = report.results as Record<string, { pid?: number; restart_count?: number; health?: string; ok?: boolean }>;
    expect(r.writer2_back).toMatchObject({ ok: true });
    expect(r.writer2_after).toMatchObject({ health: 'healthy', restart_count: 1 });
    expect(r.writer2_after?.pid).not.toBe(r.writer2_before_kill?.pid);
    const summary = (report.processes as { summary: { name: string; restart_count: number }[] }).summary;
    expect(summary.find((p) => p.name === 'writer2')?.restart_count).toBe(1);
    expect(summary.filter((p) => p.name !== 'writer2').every((p) => p.restart_count === 0)).toBe(true);
  });

  it('removes the temp folder holding the database', async () => {
    expect(await readdir(join(dir, 'db')).catch(() => [])).toEqual([]);
  });
});

describe('sqlite-concurrency drill against broken writers (busy_timeout 0, no retry)', () => {
  it('fails with exit 2 and names the "database is locked" answers callers got', async () => {
    const dir = await tempDir();
    const { run, report } = await runDrill(dir, { FL_SQLITE_BUSY_TIMEOUT_MS: '0', FL_SQLITE_RETRY: 'off' });
    expect(run.code, run.stdout.slice(-3000)).toBe(2);
    expect(report.status).toBe('failed');
    expect(report.verdict).toMatchObject({ exit_code: 2, hypothesis_held: false });
    expect(JSON.stringify((report.verdict as { reasons: string[] }).reasons)).toMatch(/no-busy-to-callers: status_503 = [1-9]/);
    expect(report.load.status_counts['503']).toBeGreaterThan(0);
    expect(await readdir(join(dir, 'db')).catch(() => [])).toEqual([]);
  }, 55_000);
});
