/**
 * The report in a terminal: the verdict table printed at the end of a run, by
 * `faultline report <run_id>`, and two runs side by side (`--compare`).
 */
import type { Journal } from '../journal.js';

/** The verdict in words, and how it should look (pass / fail / warn). */
export function verdictLabel(j: Journal): { text: string; tone: 'pass' | 'fail' | 'warn' } {
  if (j.status === 'partial') return { text: `PARTIAL — only up to --phase ${j.options.phase ?? '?'}; no verdict on the hypothesis`, tone: 'warn' };
  if (j.status === 'inconclusive') return { text: 'INCONCLUSIVE — nothing failed, but a window probe had no data in its window', tone: 'warn' };
  switch (j.verdict.exitCode) {
    case 0:
      return { text: 'PASSED — hypothesis held and the system recovered', tone: 'pass' };
    case 1:
      return { text: 'PREFLIGHT FAILED — no fault was injected', tone: 'warn' };
    case 2:
      return { text: 'FAILED — hypothesis violated or recovery too slow', tone: 'fail' };
    case 3:
      return { text: 'ABORTED — a stop condition tripped', tone: 'fail' };
    default:
      return j.status === 'interrupted'
        ? { text: 'INTERRUPTED — the run was stopped; rollbacks ran', tone: 'warn' }
        : { text: `${j.status.toUpperCase()} (exit ${j.verdict.exitCode})`, tone: 'fail' };
  }
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)} %`;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') {
    const text = JSON.stringify(v);
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  }
  return String(v);
}

/** The rows of a run's summary, as `[label, value]`. */
export function summaryRows(j: Journal): [string, string][] {
  const load = j.load;
  const rows: [string, string][] = [
    ['drill', j.drill.name],
    ['run', j.runId],
    ['status', `${j.status} (exit ${j.verdict.exitCode})`],
    ['duration', ms(j.durationMs)],
    ['preflight', j.preflight.length ? `${j.preflight.filter((c) => c.ok).length}/${j.preflight.length} ok` : '—'],
    ['hypothesis held', j.verdict.hypothesisHeld === null ? '—' : j.verdict.hypothesisHeld ? 'yes' : 'no'],
    ['recovered', j.verdict.recovered === null ? '—' : j.verdict.recovered ? 'yes' : 'no'],
    ['recovery time', `${ms(j.recovery.recoveryMs)}${j.recovery.withinS !== null ? ` (limit ${j.recovery.withinS} s)` : ''}`],
    ['faults', j.faults.map((f) => `${f.faultType}→${f.target}`).join(', ') || '—'],
  ];
  if (load) {
    rows.push(
      ['requests', `${load.sent} sent, ${load.completed} completed`],
      ['error rate', pct(load.errorRate)],
      ['latency p50/p95/p99', `${ms(load.latencyMs.p50)} / ${ms(load.latencyMs.p95)} / ${ms(load.latencyMs.p99)}`],
      [
        'status codes',
        Object.entries(load.statusCounts)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}:${v}`)
          .join(' ') || '—',
      ],
    );
  }
  const restarts = j.processes.summary.reduce((n, p) => n + p.restartCount, 0);
  if (j.processes.summary.length) rows.push(['restarts', String(restarts)]);
  if (j.alerts.length) rows.push(['alerts', j.alerts.map((a) => a.rule).join('; ')]);
  for (const [k, v] of Object.entries(j.results)) rows.push([k, scalar(v)]);
  return rows;
}

function render(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** A run's summary for the terminal: the verdict, then one aligned row per figure, then the reasons. */
export function formatSummary(j: Journal): string {
  const v = verdictLabel(j);
  const lines = [v.text, '', render(summaryRows(j))];
  if (j.verdict.reasons.length) lines.push('', 'why:', ...j.verdict.reasons.map((r) => `  - ${r}`));
  const failedChecks = j.preflight.filter((c) => !c.ok);
  for (const c of failedChecks) lines.push(`  ✗ ${c.name}: ${c.message}${c.guidance ? `\n    → ${c.guidance}` : ''}`);
  return lines.join('\n');
}

/** Two runs side by side: one row per figure, a column per run. */
export function formatComparison(a: Journal, b: Journal): string {
  const ra = new Map(summaryRows(a));
  const rb = new Map(summaryRows(b));
  const labels = [...new Set([...ra.keys(), ...rb.keys()])];
  const rows = [['', a.runId, b.runId], ...labels.map((l) => [l, ra.get(l) ?? '—', rb.get(l) ?? '—'])];
  return render(rows);
}
