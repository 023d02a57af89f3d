import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activities, DrillInvalidError, kindsWith, parseDrill, runDrill } from '../../src/drill/index.js';

const drillWithEcho = `
name: echo-kind
method:
  - { kind: echo, text: hello, output: said }
verify:
  probes:
    - { kind: echo, name: echoed, text: "{{steps.said.text}}" }
`;

// A copy of src/ inside the worktree (so node_modules resolves), removed afterwards.
const copy = join(process.cwd(), `.fixture-kind-${process.pid}`);
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('activity registry', () => {
  it('lists each kind once and derives the kinds of probes, steps and checks from it', () => {
    const kinds = activities.map((a) => a.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kindsWith('probe')).toEqual(['http', 'command', 'sql', 'metric', 'process']);
    expect(kindsWith('check')).toEqual(['http', 'command', 'process', 'postgres', 'sqlite', 'port', 'disk']);
    expect(kindsWith('step')).toEqual(['http', 'command', 'sql', 'fault', 'kill', 'pause', 'restart', 'halt', 'wait', 'probe', 'await', 'remove']);
  });

  it('refuses a kind it does not list, naming the kinds it has', () => {
    let err: unknown;
    try {
      parseDrill(drillWithEcho);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DrillInvalidError);
    expect((err as DrillInvalidError).issues[0]).toMatchObject({ path: 'method[0].kind' });
    expect((err as DrillInvalidError).issues[0]?.message).toContain('must have kind one of http, command, sql');
  });

  it('adding a kind is one file plus one registry line: schema, validation, probe and step use all follow', async () => {
    mkdirSync(copy);
    cpSync('src', join(copy, 'src'), { recursive: true });
    cpSync('package.json', join(copy, 'package.json'));
    const dir = join(copy, 'src/drill/activities');
    // The one file...
    writeFileSync(join(dir, 'echo.ts'), readFileSync('test/drill/fixtures/echo-activity.ts.txt', 'utf8'));
    // ...and the one registry line (its import, and its place in the list).
    const index = readFileSync(join(dir, 'index.ts'), 'utf8');
    writeFileSync(join(dir, 'index.ts'), index.replace("import { wait } from './wait.js';", "import { wait } from './wait.js';\nimport { echo } from './echo.js';").replace(', remove] as const;', ', remove, echo] as const;'));
    writeFileSync(
      join(copy, 'run.ts'),
      `import { parseDrill, runDrill } from './src/drill/index.js';
const drill = parseDrill(${JSON.stringify(drillWithEcho)});
const { exitCode, journal } = await runDrill(drill, { writeReport: false });
let invalid = '';
try { parseDrill('name: x\\nmethod:\\n  - { kind: echo }\\n'); } catch (e) { invalid = JSON.stringify(e.issues); }
console.log(JSON.stringify({ exitCode, steps: journal.steps, verify: journal.verify, invalid }));`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'run.ts'], { cwd: copy, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { exitCode: number; steps: { name: string; output: unknown }[]; verify: { name: string; ok: boolean; message: string }[]; invalid: string };
    expect(out.steps[0]).toMatchObject({ name: 'said', output: { text: 'HELLO' } });
    expect(out.verify[0]).toMatchObject({ name: 'echoed', ok: true, message: 'echo HELLO' });
    expect(out.exitCode).toBe(0);
    // Its schema is part of the drill schema: a missing field is named with its path.
    expect(out.invalid).toContain('method[0].text');
  }, 90_000);

  it('the same drill without the kind still runs the built-in kinds', async () => {
    const { exitCode, journal } = await runDrill(parseDrill('name: w\nmethod:\n  - { kind: wait, seconds: 0 }\n'), { writeReport: false });
    expect(journal.steps[0]).toMatchObject({ kind: 'wait', status: 'ok' });
    expect(exitCode).toBe(0);
  });
});
