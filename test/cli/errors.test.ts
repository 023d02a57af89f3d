import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/program.js';
import { runCli } from '../helpers/cli.js';
import { ONE_LINE } from './helpers.js';

let dir: string;
let closedPort: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-cli-errors-'));
  writeFileSync(join(dir, 'broken.yaml'), 'service: [api\nfault_type: abort\n');
  writeFileSync(join(dir, 'bad-plan.json'), JSON.stringify({ service: 'api', fault_type: 'delay', fault_config: {}, duration_seconds: -1 }));
  writeFileSync(join(dir, 'not-a-report.json'), JSON.stringify({ hello: 'world' }));
  writeFileSync(join(dir, 'garbage.json'), 'this is not json');
  // A port nothing listens on: bind, read, close.
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = String((s.address() as { port: number }).port);
  await new Promise<void>((r) => s.close(() => r()));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one-line errors and exit codes (dist/cli/main.js)', () => {
  const cases: { title: string; args: () => string[]; code: number; says: RegExp }[] = [
    { title: 'an unknown command', args: () => ['bogus'], code: 2, says: /unknown command 'bogus'/ },
    { title: 'an unknown option of faults ls', args: () => ['faults', 'ls', '--bogus'], code: 2, says: /unknown option '--bogus'.* — see `faultline faults --help`/ },
    { title: 'a missing argument', args: () => ['faults', 'status'], code: 2, says: /missing required argument 'apply_id'/ },
    { title: 'apply of a missing file', args: () => ['apply', join(dir, 'nope.json')], code: 2, says: /cannot read .*nope\.json: no such file/ },
    { title: 'apply of broken YAML', args: () => ['apply', join(dir, 'broken.yaml')], code: 2, says: /not valid YAML: .* — fix the YAML/ },
    { title: 'apply of an invalid plan', args: () => ['apply', join(dir, 'bad-plan.json')], code: 2, says: /invalid fault plan: .*duration_seconds/ },
    { title: 'serve --max-duration abc', args: () => ['serve', '--max-duration', 'abc', '--listen', '127.0.0.1:0'], code: 2, says: /--max-duration 'abc' is not a positive number/ },
    { title: 'faults ls with no executor', args: () => ['faults', 'ls', '--executor', `http://127.0.0.1:${closedPort}`], code: 1, says: /cannot reach the executor .* — start the executor with `faultline serve`/ },
    { title: 'halt with a URL that is not one', args: () => ['halt', '--executor', 'not a url'], code: 2, says: /--executor 'not a url' is not a URL/ },
    { title: 'report on a JSON file that is not a report', args: () => ['report', '--file', join(dir, 'not-a-report.json')], code: 1, says: /not a faultline report: .*not-a-report\.json/ },
    { title: 'report on a file that is not JSON', args: () => ['report', '--file', join(dir, 'garbage.json')], code: 1, says: /not a faultline report: .*\(not JSON\)/ },
    { title: 'report with a path instead of a run id', args: () => ['report', '../../etc', '--report-dir', dir], code: 2, says: /is not a run id .* --file PATH/ },
    { title: 'report of an unknown run', args: () => ['report', 'no-such-run', '--report-dir', dir], code: 1, says: /no report for run 'no-such-run'/ },
    { title: 'report --compare with one run', args: () => ['report', '--compare', 'a'], code: 2, says: /--compare takes exactly two run ids/ },
    { title: 'schema of an unknown name', args: () => ['schema', 'bogus'], code: 2, says: /no schema named 'bogus' — use one of plan, drill, config, report/ },
    // The drill commands keep 2 for "violated": their usage errors are 4.
    { title: 'run with an unknown option', args: () => ['run', 'x.yaml', '--bogus'], code: 4, says: /unknown option '--bogus'/ },
    { title: 'run with a bad --phase', args: () => ['run', 'x.yaml', '--phase', 'bogus'], code: 4, says: /--phase 'bogus' is not a phase — use one of/ },
    { title: 'validate of a missing file', args: () => ['validate', join(dir, 'nope.yaml')], code: 4, says: /cannot read drill file/ },
    { title: 'check without its argument', args: () => ['check'], code: 4, says: /missing required argument 'drill'/ },
  ];

  it.each(cases)('$title: exit $code, one line, no stack', async ({ args, code, says }) => {
    const r = await runCli(args());
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(ONE_LINE);
    expect(r.stderr).toMatch(says);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('prints the error as JSON on stdout with --json', async () => {
    const r = await runCli(['faults', 'ls', '--json', '--executor', `http://127.0.0.1:${closedPort}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const body = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'FL_ERR_CLIENT_CONNECTION', exit_code: 1 });
    expect(String(body.error)).toMatch(/cannot reach the executor/);
    expect(String(body.fix)).toMatch(/faultline serve/);
  });

  it('names every bad field of an invalid plan in the JSON error', async () => {
    const r = await runCli(['apply', join(dir, 'bad-plan.json'), '--json']);
    expect(r.code).toBe(2);
    const body = JSON.parse(r.stdout) as { code: string; issues: { path: string }[] };
    expect(body.code).toBe('FL_ERR_PLAN_INVALID');
    expect(body.issues.map((i) => i.path)).toContain('duration_seconds');
  });

  it('adds the stack trace only with --debug', async () => {
    const r = await runCli(['faults', 'ls', '--debug', '--executor', `http://127.0.0.1:${closedPort}`]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^faultline: cannot reach the executor/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('exits 0 for --version, --help and help X; 2 for a bare faultline or command group', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Exit codes:/);
    const bare = await runCli(['drill']);
    expect(bare.code).toBe(2);
    const nothing = await runCli([]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/Usage: faultline/);
    const helpCommand = await runCli(['help', 'faults']);
    expect(helpCommand.code).toBe(0);
    expect(helpCommand.stdout).toMatch(/Usage: faultline faults/);
  });

  it('states the exit-code policy in every command help', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const r = await runCli([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(/Exit codes:\n {2}0 /);
      if (['run', 'check', 'validate', 'demo'].includes(name)) expect(r.stdout, name).toMatch(/ 130 +interrupted/);
      else expect(r.stdout, name).toMatch(/ 2 +usage error or invalid input/);
      // The full help shows the same one-line description as the top-level list.
      expect(r.stdout.replace(/\s+/g, ' '), name).toContain((COMMANDS[name] as { description: string }).description);
    }
  }, 180_000); // one CLI child per command, one after another: minutes on a loaded 2-core machine
});
