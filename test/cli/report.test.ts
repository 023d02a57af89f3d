import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/drill/index.js';
import { sampleJournal } from '../helpers/journal-fixture.js';
import { runCli } from '../helpers/cli.js';
import { ONE_LINE } from './helpers.js';

describe('faultline report (dist/cli/main.js)', () => {
  let dir: string;
  let reports: string;
  const A = '20261122T060000Z-aaaaaa';
  const B = '20261122T070000Z-bbbbbb';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-cli-report-'));
    reports = join(dir, 'reports');
    await writeReport(sampleJournal({ runId: A }), reports);
    await writeReport(
      sampleJournal({ runId: B, verdict: { exitCode: 2, hypothesisHeld: false, recovered: true, reasons: ['error rate 0.4 > 0.1'] } }),
      reports,
    );
    // Make B the newest for `latest`, whatever the file system's timestamp resolution.
    const later = new Date(Date.now() + 5_000);
    const { utimesSync } = await import('node:fs');
    utimesSync(join(reports, B), later, later);
    // A run folder that is a symlink to a report outside the report folder.
    mkdirSync(join(dir, 'elsewhere', 'x'), { recursive: true });
    writeFileSync(join(dir, 'elsewhere', 'x', 'report.json'), readFileSync(join(reports, A, 'report.json')));
    symlinkSync(join(dir, 'elsewhere', 'x'), join(reports, 'escape'));
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a run by id under --report-dir, and latest', async () => {
    const r = await runCli(['report', A, '--report-dir', reports]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASSED|HELD|held/i);
    expect(r.stdout).toContain(`report: ${join(reports, A, 'report.html')}`);
    const latest = await runCli(['report', 'latest', '--report-dir', reports]);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toContain('error rate 0.4 > 0.1');
    expect(latest.stdout).toContain(join(reports, B));
  });

  it('prints the report.json with --json', async () => {
    const r = await runCli(['report', A, '--report-dir', reports, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(join(reports, A, 'report.json'), 'utf8')));
  });

  it('reads a report anywhere with --file', async () => {
    const r = await runCli(['report', '--file', join(dir, 'elsewhere', 'x', 'report.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`report: ${join(dir, 'elsewhere', 'x', 'report.json')}`);
  });

  it('compares two runs side by side, and as JSON with --json', async () => {
    const r = await runCli(['report', '--compare', A, B, '--report-dir', reports]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^\\s+${A}\\s+${B}$`));
    const j = await runCli(['report', '--compare', A, B, '--report-dir', reports, '--json']);
    expect(j.code).toBe(0);
    const body = JSON.parse(j.stdout) as { runs: string[]; reports: string[]; rows: { label: string; a: string | null; b: string | null }[] };
    expect(body.runs).toEqual([A, B]);
    expect(body.reports).toEqual([join(reports, A, 'report.json'), join(reports, B, 'report.json')]);
    expect(body.rows.length).toBeGreaterThan(3);
    expect(body.rows.every((row) => typeof row.label === 'string')).toBe(true);
  });

  it('refuses a path outside the report folder, through the argument or a symlinked run folder', async () => {
    for (const ref of ['../elsewhere/x', join(dir, 'elsewhere', 'x'), 'escape']) {
      const r = await runCli(['report', ref, '--report-dir', reports]);
      expect(r.code, ref).toBe(2);
      expect(r.stderr, ref).toMatch(ONE_LINE);
      expect(r.stderr, ref).toMatch(/--file PATH/);
      expect(r.stdout).toBe('');
    }
  });

  it("says in one line that a JSON file is not a faultline report, exit 1 (also as JSON)", async () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0' }));
    const r = await runCli(['report', '--file', join(dir, 'package.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(ONE_LINE);
    expect(r.stderr).toMatch(/^faultline: not a faultline report: .*package\.json \(/);
    const j = await runCli(['report', '--file', join(dir, 'package.json'), '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ code: 'FL_ERR_CLI_NOT_A_REPORT', exit_code: 1 });
  });
});
