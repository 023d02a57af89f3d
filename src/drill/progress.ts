/**
 * Live progress of a drill run: on a terminal, one status line redrawn in place (phase,
 * elapsed/total, request rate, error rate, p95, active faults) with events printed above it;
 * elsewhere (a pipe, CI, `--json`), plain lines.
 */
import type { Journal } from './journal.js';
import type { ProgressEvent } from './runner.js';

export interface ProgressOptions {
  /** Where lines go (default process.stderr with --json, else process.stdout). */
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw a status line (default: `out.isTTY`). */
  readonly tty?: boolean;
  /** Seconds between two status lines in plain mode (default 5). */
  readonly plainEveryS?: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function statusLine(e: Extract<ProgressEvent, { type: 'tick' }>): string {
  const total = e.totalS !== null ? `/${e.totalS.toFixed(0)}s` : 's';
  const parts = [`[${e.phase}]`, `${e.elapsedS.toFixed(1)}${total}`];
  if (e.live) parts.push(`${e.live.ratePerS} req/s`, `err ${pct(e.live.errorRate)}`, `p95 ${e.live.p95Ms.toFixed(0)} ms`, `in flight ${e.live.inFlight}`);
  parts.push(e.activeFaults.length > 0 ? `faults: ${e.activeFaults.join(', ')}` : 'no active fault');
  return parts.join('  ');
}

function eventLine(e: ProgressEvent): string | undefined {
  switch (e.type) {
    case 'phase':
      return `== ${e.phase}`;
    case 'check':
      return `  ${e.result.ok ? 'ok  ' : 'FAIL'} preflight ${e.result.name} (${e.result.kind}): ${e.result.message}${!e.result.ok && e.result.guidance ? `\n       guidance: ${e.result.guidance}` : ''}`;
    case 'probe':
      return `  ${e.result.ok ? 'ok  ' : 'FAIL'} ${e.when} ${e.result.name} (${e.result.kind}): ${e.result.message}`;
    case 'step':
      return `  ${e.result.status === 'ok' ? 'ok  ' : e.result.status === 'skipped' ? 'skip' : 'FAIL'} ${e.result.phase} step ${e.result.name} (${e.result.kind}, ${e.result.durationMs} ms)${e.result.error ? `: ${e.result.error}` : ''}`;
    case 'fault':
      return `  fault ${e.fault.faultType} on ${e.fault.target}${e.fault.applyId ? ` (${e.fault.applyId})` : ''} until ${e.fault.end ?? '?'}`;
    case 'alert':
      return `  ALERT ${e.alert.rule}: ${e.alert.message}`;
    case 'log':
      return `  ${e.message}`;
    case 'tick':
      return undefined;
  }
}

/** Returns an `onProgress` for the runner and a `finish()` that clears the status line. */
export function createProgress(options: ProgressOptions): { onProgress: (e: ProgressEvent) => void; finish: () => void } {
  const out = options.out;
  const tty = options.tty ?? out.isTTY === true;
  const every = (options.plainEveryS ?? 5) * 1000;
  let last = '';
  let lastPlain = 0;
  const clear = () => {
    if (tty && last !== '') out.write('\r\x1b[2K');
  };
  const draw = () => {
    if (tty && last !== '') out.write(last.slice(0, Math.max(40, (out.columns || 160) - 1)));
  };
  return {
    onProgress: (e) => {
      if (e.type === 'tick') {
        if (tty) {
          clear();
          last = statusLine(e);
          draw();
        } else if (Date.now() - lastPlain >= every) {
          lastPlain = Date.now();
          out.write(`  .. ${statusLine(e)}\n`);
        }
        return;
      }
      const line = eventLine(e);
      if (line === undefined) return;
      clear();
      out.write(`${line}\n`);
      draw();
    },
    finish: () => {
      clear();
      last = '';
    },
  };
}

/** A human summary of a finished run: the verdict table. */
export function formatRunSummary(j: Journal, paths: { jsonPath?: string | undefined; htmlPath?: string | undefined } = {}): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`  ${k.padEnd(18)} ${v}`);
  lines.push('', `drill ${j.drill.name} — ${j.status.toUpperCase()} (exit ${j.verdict.exitCode})`);
  row('run id', j.runId);
  row('hypothesis held', j.verdict.hypothesisHeld === null ? '-' : j.verdict.hypothesisHeld ? 'yes' : 'NO');
  row('recovered', j.verdict.recovered === null ? '-' : j.verdict.recovered ? `yes${j.recovery.recoveryMs !== null ? ` in ${j.recovery.recoveryMs} ms (limit ${j.recovery.withinS} s)` : ''}` : `NO${j.recovery.recoveryMs !== null ? ` (${j.recovery.recoveryMs} ms, limit ${j.recovery.withinS} s)` : ''}`);
  row('duration', `${(j.durationMs / 1000).toFixed(1)} s`);
  const pf = j.preflight;
  if (pf.length > 0) row('preflight', `${pf.filter((c) => c.ok).length}/${pf.length} ok`);
  if (j.load) {
    const l = j.load;
    const codes = Object.entries(l.statusCounts).map(([k, v]) => `${k}:${v}`).join(' ');
    const kinds = Object.entries(l.errorKinds).map(([k, v]) => `${k}:${v}`).join(' ');
    row('load', `${l.sent} sent, ${l.completed} completed at ${l.ratePerS}/s; error rate ${pct(l.errorRate)}`);
    row('status codes', codes || '-');
    if (kinds) row('errors', kinds);
    row('latency ms', `p50 ${l.latencyMs.p50}  p95 ${l.latencyMs.p95}  p99 ${l.latencyMs.p99}  max ${l.latencyMs.max}`);
  }
  for (const f of j.faults) row('fault', `${f.faultType} on ${f.target} ${f.start ?? '?'} -> ${f.end ?? '?'} (${f.status})`);
  for (const a of j.alerts) row('alert', `${a.rule} at ${a.firedAt}`);
  for (const p of j.processes.summary) row('process', `${p.name}: ${p.restartCount} restarts, health ${p.health ?? '-'}${p.lastRecoveryMs !== null ? `, last recovery ${p.lastRecoveryMs} ms` : ''}`);
  for (const [k, v] of Object.entries(j.results)) {
    const s = JSON.stringify(v) ?? 'null';
    if (s.length <= 80) row(`result ${k}`, s);
  }
  for (const r of j.verdict.reasons) lines.push(`  - ${r}`);
  if (paths.jsonPath) row('report', paths.jsonPath);
  if (paths.htmlPath) row('html report', paths.htmlPath);
  return `${lines.join('\n')}\n`;
}

/** The `--json` summary: the journal without the per-second timeline. */
export function jsonSummary(j: Journal, paths: { jsonPath?: string | undefined; htmlPath?: string | undefined } = {}): Record<string, unknown> {
  return {
    run_id: j.runId,
    drill: j.drill.name,
    status: j.status,
    verdict: { exit_code: j.verdict.exitCode, hypothesis_held: j.verdict.hypothesisHeld, recovered: j.verdict.recovered, reasons: j.verdict.reasons },
    recovery: { recovery_ms: j.recovery.recoveryMs, within_s: j.recovery.withinS, ok: j.recovery.ok },
    preflight: j.preflight.map((c) => ({ name: c.name, kind: c.kind, ok: c.ok, message: c.message, guidance: c.guidance })),
    load: j.load
      ? { sent: j.load.sent, completed: j.load.completed, error_rate: j.load.errorRate, status_counts: j.load.statusCounts, error_kinds: j.load.errorKinds, latency_ms: j.load.latencyMs }
      : null,
    faults: j.faults.map((f) => ({ apply_id: f.applyId, fault_type: f.faultType, target: f.target, start: f.start, end: f.end, status: f.status })),
    alerts: j.alerts.map((a) => ({ rule: a.rule, kind: a.kind, fired_at: a.firedAt, value: a.value })),
    results: j.results,
    report: { json: paths.jsonPath ?? null, html: paths.htmlPath ?? null },
  };
}
