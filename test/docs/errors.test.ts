import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Code literals: a whole quoted string `FL_ERR_<AREA>_<WHAT>` (prefixes built at runtime end in `_` and are skipped). */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(join(root, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`](FL_ERR_[A-Z0-9_]*[A-Z0-9])['"`]/g)) {
      if (!found.has(m[1] as string)) found.set(m[1] as string, file.slice(root.length));
    }
  }
  return found;
}

function documentedRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readFileSync(join(root, 'docs/errors.md'), 'utf8').split('\n')) {
    const m = /^\|\s*`(FL_ERR_[A-Z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m) rows.set(m[1] as string, (m[2] as string).split('|').map((c) => c.trim()));
  }
  return rows;
}

describe('docs/errors.md', () => {
  const codes = codesInSource();
  const rows = documentedRows();

  it('finds the error codes in the source at all', () => {
    expect(codes.size).toBeGreaterThan(10);
    expect(codes.has('FL_ERR_PLAN_INVALID')).toBe(true);
    expect(codes.has('FL_ERR_RESILIENCE_CIRCUIT_OPEN')).toBe(true);
    expect(codes.has('FL_ERR_INJECT_NETWORK_TIMEOUT')).toBe(true);
  });

  it('has a row for every FL_ERR_ code literal under src/', () => {
    const missing = [...codes].filter(([code]) => !rows.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('gives every row an HTTP status column, a meaning and what to do', () => {
    const incomplete = [...rows].filter(([, cells]) => cells.length < 3 || cells.slice(0, 3).some((c) => c === '')).map(([code]) => code);
    expect(incomplete).toEqual([]);
    for (const [code, cells] of rows) {
      expect(cells[0], code).toMatch(/^(\d{3}|\dxx|—|-|any)([,/ ]+(\d{3}|\dxx))*$/);
    }
  });

  it('lists each code once', () => {
    const text = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    const all = [...text.matchAll(/^\|\s*`(FL_ERR_[A-Z0-9_]+)`/gm)].map((m) => m[1]);
    expect(all.length).toBe(new Set(all).size);
  });
});
