/**
 * A test must be able to fail. This file reads every test source and refuses the patterns that let
 * a test pass without checking anything: skipping on whether a file of our own exists, a
 * hand-rolled `cond ? describe : describe.skip`, unconditional `.skip`/`.only`/`.todo`, and checks
 * wrapped in `if (existsSync(...))`. A test that needs a tool from outside npm uses
 * `requireTool()` from test/helpers/tools.ts (skips locally with one line, fails on CI).
 * Tests with no assertion at all are caught at run time by `expect.hasAssertions()` in
 * test/setup/each-file.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const FORBIDDEN: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /\.(skipIf|runIf)\(\s*!?\s*existsSync\(/, why: 'skips on whether a file exists: import it, or use requireTool() for an outside tool' },
  { pattern: /\?\s*(describe|it|test)\s*:\s*(describe|it|test)\.skip\b/, why: 'a hand-rolled conditional skip: use requireTool() from test/helpers/tools.ts' },
  { pattern: /\b(describe|it|test)\.(skip|only|todo)\(/, why: 'an unconditional skip/only/todo leaves checks out of the run' },
  { pattern: /\bif\s*\(\s*!?\s*existsSync\(.*\bsrc\//, why: 'checks guarded on whether a source file exists' },
];

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('the test suite', () => {
  const files = [...testFiles(join(ROOT, 'test')), ...testFiles(join(ROOT, 'examples'))];

  it('finds the test files it polices', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it('has no guard that silently skips checks', () => {
    const offences: string[] = [];
    for (const file of files) {
      if (file.endsWith(join('meta', 'guards.test.ts'))) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const { pattern, why } of FORBIDDEN) {
            if (pattern.test(line)) offences.push(`${relative(ROOT, file)}:${i + 1}: ${why}\n    ${line.trim()}`);
          }
        });
    }
    expect(offences, offences.join('\n')).toEqual([]);
  });

  it('catches the patterns it forbids', () => {
    const samples = [
      "describe.skipIf(!existsSync(tcpIndex))('installPlan', () => {",
      'const d = haveChromium ? describe : describe.skip;',
      "it.skip('later', () => {});",
      "if (existsSync(join(process.cwd(), 'src/drill/report/html.ts'))) {",
    ];
    for (const sample of samples) expect(FORBIDDEN.some(({ pattern }) => pattern.test(sample)), sample).toBe(true);
    expect(FORBIDDEN.some(({ pattern }) => pattern.test("describe.skipIf(gate.skip)('Pushgateway', () => {"))).toBe(false);
  });
});
