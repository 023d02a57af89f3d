/** Names a drill defines, and "did you mean" for the ones it misspells. */
import type { DrillWire } from './spec.js';

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The defined name within a third of the name's length in edits (at least 1, at most 3), if any. */
export function closest(name: string, defined: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  for (const d of defined) {
    const k = distance(name.toLowerCase(), d.toLowerCase());
    if (k < bestD && k <= limit) {
      best = d;
      bestD = k;
    }
  }
  return best;
}

/** `; did you mean 'x'?` when a close name exists, else ''. */
export function didYouMean(name: string, defined: Iterable<string>): string {
  const c = closest(name, defined);
  return c === undefined ? '' : `; did you mean '${c}'?`;
}

/** Names the embedded executor's config defines (literal names only; templated ones are not known yet). */
export function definedNames(d: DrillWire): { proxies: Set<string>; processes: Set<string> } | undefined {
  if (d.executor?.embedded !== true) return undefined;
  const config = (d.executor.config ?? {}) as { proxies?: unknown; processes?: unknown };
  const names = (list: unknown) => new Set((Array.isArray(list) ? list : []).map((x: unknown) => (x as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string'));
  return { proxies: names(config.proxies), processes: names(config.processes) };
}
