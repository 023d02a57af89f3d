import type { z } from 'zod';
import type { FieldIssue } from './errors.js';

/** Joins a zod path as `a.b[0].c`. An empty path is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const part of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[part];
  }
  return v;
}

/**
 * Turns zod issues into one `{ path, message }` per bad field: unknown keys get one entry each,
 * a missing required field reads `is required` (pass the parsed `input` so that it can tell).
 */
export function fieldIssues(error: z.ZodError, input?: unknown, prefix: readonly PropertyKey[] = []): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    const missing = issue.path.length > 0 && valueAt(input, issue.path) === undefined && (input !== undefined || /received undefined$/.test(issue.message));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: 'unknown field' });
    } else if (missing && (issue.code === 'invalid_type' || issue.code === 'invalid_union' || issue.code === 'invalid_value')) {
      out.push({ path: formatPath(path), message: 'is required' });
    } else if (issue.code === 'invalid_type') {
      out.push({ path: formatPath(path), message: `must be ${article(issue.expected)}` });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return dedupe(out);
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function dedupe(issues: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
