/**
 * The structure of a report.json: every key path, array items folded into `[]`, and the keys of
 * maps whose keys are data (status codes, error kinds, headers, bodies, outputs) left out.
 * Two runs of one drill have the same key set even though their numbers differ.
 */
const DATA_MAPS = new Set(['status_counts', 'error_kinds', 'headers', 'body', 'detail', 'output', 'value', 'expected', 'plan', 'results', 'logs', 'config', 'options', 'fault_config', 'by_kind', 'failures_by_kind', 'codes', 'statusCodes', 'status_codes', 'pid_history']);

export function reportKeySet(value: unknown, path = ''): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, p: string) => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item, `${p}[]`);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const last = p.replace(/\[\]/g, '').split('.').pop() ?? '';
    if (DATA_MAPS.has(last)) return;
    for (const [k, child] of Object.entries(v)) {
      const q = p === '' ? k : `${p}.${k}`;
      out.add(q);
      walk(child, q);
    }
  };
  walk(value, path);
  return [...out].sort();
}
