/** Expectations on a probe's value (`{ path: rows.0.n, equals: 0 }`). */

/** Reads `a.b.0.c` inside a value. */
export function pathValue(value: unknown, path: string | undefined): unknown {
  if (path === undefined || path === '') return value;
  let v = value;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = Array.isArray(v) && /^\d+$/.test(key) ? v[Number(key)] : (v as Record<string, unknown>)[key];
  }
  return v;
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' || typeof b === 'number') {
    const na = Number(a);
    const nb = Number(b);
    if (a !== null && b !== null && a !== '' && b !== '' && !Number.isNaN(na) && na === nb) return true;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One expectation in code form. */
export interface Expectation {
  path?: string | undefined;
  equals?: unknown;
  notEquals?: unknown;
  in?: unknown[] | undefined;
  min?: number | undefined;
  max?: number | undefined;
  contains?: string | undefined;
}

/** Checks expectations; returns the failures (empty when all hold). */
export function checkExpectations(value: unknown, expectations: readonly Expectation[] | undefined): string[] {
  const failures: string[] = [];
  for (const e of expectations ?? []) {
    const v = pathValue(value, e.path);
    const where = e.path ? `${e.path} = ${JSON.stringify(v)}` : `value ${JSON.stringify(v)}`;
    if ('equals' in e && !looseEqual(v, e.equals)) failures.push(`${where}, expected ${JSON.stringify(e.equals)}`);
    if ('notEquals' in e && looseEqual(v, e.notEquals)) failures.push(`${where}, expected anything but ${JSON.stringify(e.notEquals)}`);
    if (e.in !== undefined && !e.in.some((x) => looseEqual(v, x))) failures.push(`${where}, expected one of ${JSON.stringify(e.in)}`);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (e.min !== undefined && !(n >= e.min)) failures.push(`${where}, expected >= ${e.min}`);
    if (e.max !== undefined && !(n <= e.max)) failures.push(`${where}, expected <= ${e.max}`);
    if (e.contains !== undefined && !(typeof v === 'string' ? v : JSON.stringify(v) ?? '').includes(e.contains)) failures.push(`${where}, expected to contain ${JSON.stringify(e.contains)}`);
  }
  return failures;
}
