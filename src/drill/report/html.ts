/**
 * The HTML report: one self-contained file (uPlot and its CSS inlined, the journal embedded as
 * JSON), so it opens anywhere with no network.
 *
 *   journal ──▶ tables (rendered here, escaped) ──┐
 *          └──▶ chart data (JSON in the page) ───┴──▶ report.html ──▶ uPlot draws the timeline
 *
 * The verdict is at the top; the timeline shades the fault windows and marks alerts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CheckResult, Journal, ProbeResult, StepResult } from '../journal.js';
import { verdictLabel } from './summary.js';

const require = createRequire(import.meta.url);
let assets: { js: string; css: string } | undefined;

function uplotAssets(): { js: string; css: string } {
  assets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return assets;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON safe to embed inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms * 10) / 10} ms`;
}

function fmtPct(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(2)} %`;
}

function short(value: unknown, max = 300): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function okCell(ok: boolean | null): string {
  if (ok === null) return '<td class="muted">—</td>';
  return ok ? '<td class="ok">ok</td>' : '<td class="bad">failed</td>';
}

function table(head: readonly string[], rows: readonly string[], empty = 'none'): string {
  if (rows.length === 0) return `<p class="muted">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function checksTable(checks: readonly CheckResult[]): string {
  return table(
    ['check', 'kind', 'result', 'message', 'guidance', 'time'],
    checks.map(
      (c) =>
        `<tr>${[`<td>${escapeHtml(c.name)}</td>`, `<td>${escapeHtml(c.kind)}</td>`, okCell(c.ok), `<td>${escapeHtml(c.message)}</td>`, `<td class="${c.ok ? 'muted' : 'guidance'}">${escapeHtml(c.guidance ?? '')}</td>`, `<td>${fmtMs(c.durationMs)}</td>`].join('')}</tr>`,
    ),
  );
}

function probesTable(probes: readonly ProbeResult[], empty = 'none'): string {
  return table(
    ['probe', 'kind', 'result', 'value', 'expected', 'message', 'at'],
    probes.map(
      (p) =>
        `<tr><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.kind)}</td>${okCell(p.ok)}<td><code>${escapeHtml(short(p.value, 120))}</code></td><td><code>${escapeHtml(short(p.expected, 120))}</code></td><td>${escapeHtml(p.message)}</td><td>${escapeHtml(p.at.slice(11, 23))}</td></tr>`,
    ),
    empty,
  );
}

function stepsTable(steps: readonly StepResult[], empty = 'none'): string {
  return table(
    ['phase', 'step', 'kind', 'status', 'started', 'time', 'output / error'],
    steps.map(
      (s) =>
        `<tr><td>${escapeHtml(s.phase)}</td><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.kind)}</td><td class="${s.status === 'ok' ? 'ok' : s.status === 'failed' ? 'bad' : 'muted'}">${escapeHtml(s.status)}</td><td>${escapeHtml(s.startedAt.slice(11, 23))}</td><td>${fmtMs(s.durationMs)}</td><td><code>${escapeHtml(s.error ?? short(s.output))}</code></td></tr>`,
    ),
    empty,
  );
}

function countsTable(label: string, counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  const total = entries.reduce((n, [, v]) => n + v, 0);
  return table(
    [label, 'count', 'share'],
    entries.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td class="num">${v}</td><td class="num">${total ? ((v / total) * 100).toFixed(1) : '0'} %</td></tr>`),
  );
}

/** Chart data: the load timeline on the x axis, fault windows and alerts as times (s from load start). */
function chartData(j: Journal): unknown {
  const load = j.load;
  if (!load || load.timeline.length === 0) return null;
  const t0 = Date.parse(load.startedAt);
  const rel = (iso: string | null) => (iso === null ? null : (Date.parse(iso) - t0) / 1000);
  const lastT = (load.timeline.at(-1)?.t ?? 0) + 1;
  return {
    t: load.timeline.map((b) => b.t),
    rate: load.timeline.map((b) => b.sent),
    errorRate: load.timeline.map((b) => (b.ok + b.errors > 0 ? (b.errors / (b.ok + b.errors)) * 100 : 0)),
    p50: load.timeline.map((b) => b.p50),
    p95: load.timeline.map((b) => b.p95),
    p99: load.timeline.map((b) => b.p99),
    faults: j.faults
      .filter((f) => f.start !== null)
      .map((f) => ({ label: `${f.faultType} → ${f.target}`, from: rel(f.start), to: rel(f.end) ?? lastT })),
    alerts: j.alerts.map((a) => ({ label: a.rule, at: rel(a.firedAt) })),
  };
}

const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  if (!data) return;
  function shade(u) {
    var ctx = u.ctx;
    ctx.save();
    data.faults.forEach(function (f) {
      var x0 = u.valToPos(f.from, 'x', true), x1 = u.valToPos(f.to, 'x', true);
      ctx.fillStyle = 'rgba(220, 60, 60, 0.12)';
      ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
    });
    data.alerts.forEach(function (a) {
      if (a.at === null) return;
      var x = u.valToPos(a.at, 'x', true);
      ctx.strokeStyle = 'rgba(200, 120, 0, 0.9)';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
    });
    ctx.restore();
  }
  function width() { return Math.max(480, Math.min(1100, document.body.clientWidth - 48)); }
  var common = { width: width(), height: 260, hooks: { drawClear: [shade] }, axes: [{ label: 'seconds since load start' }] };
  var rate = new uPlot(Object.assign({}, common, {
    title: 'Request rate and error rate',
    scales: { x: { time: false }, pct: { range: [0, 100] } },
    series: [{ label: 't (s)' },
      { label: 'requests/s', stroke: '#2563eb', width: 2 },
      { label: 'errors %', stroke: '#dc2626', width: 2, scale: 'pct' }],
    axes: [{ label: 's since load start' }, { label: 'req/s' }, { side: 1, scale: 'pct', label: 'errors %', grid: { show: false } }]
  }), [data.t, data.rate, data.errorRate], document.getElementById('chart-rate'));
  var lat = new uPlot(Object.assign({}, common, {
    title: 'Latency (ms)',
    scales: { x: { time: false } },
    series: [{ label: 't (s)' },
      { label: 'p50', stroke: '#16a34a', width: 2 },
      { label: 'p95', stroke: '#d97706', width: 2 },
      { label: 'p99', stroke: '#7c3aed', width: 2 }],
    axes: [{ label: 's since load start' }, { label: 'ms' }]
  }), [data.t, data.p50, data.p95, data.p99], document.getElementById('chart-latency'));
  window.__faultlineCharts = [rate, lat];
  window.addEventListener('resize', function () { rate.setSize({ width: width(), height: 260 }); lat.setSize({ width: width(), height: 260 }); });
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, sans-serif; margin: 24px; color: #1f2937; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
.verdict { padding: 14px 18px; border-radius: 8px; margin: 14px 0; font-size: 18px; font-weight: 600; }
.verdict.pass { background: #dcfce7; color: #14532d; } .verdict.fail { background: #fee2e2; color: #7f1d1d; } .verdict.warn { background: #fef3c7; color: #78350f; }
.verdict ul { font-size: 14px; font-weight: 400; margin: 6px 0 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; } .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 14px; min-width: 130px; }
.card .v { font-size: 20px; font-weight: 600; } .card .k { color: #6b7280; font-size: 12px; }
table { border-collapse: collapse; background: #fff; margin: 6px 0; } th, td { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #15803d; font-weight: 600; } .bad { color: #b91c1c; font-weight: 600; } .muted { color: #9ca3af; } .guidance { color: #92400e; }
code { font-size: 12px; white-space: pre-wrap; word-break: break-word; } .chart { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px; margin: 8px 0; display: inline-block; }
.legend-note { color: #6b7280; font-size: 12px; }
`;

/**
 * Renders a drill's journal as one self-contained HTML page.
 * @example
 * writeFileSync('report.html', renderHtmlReport(journal));
 */
export function renderHtmlReport(j: Journal): string {
  const { js, css } = uplotAssets();
  const v = verdictLabel(j);
  const load = j.load;
  const restarts = j.processes.summary.reduce((n, p) => n + p.restartCount, 0);
  const cards: [string, string][] = [
    ['status', j.status],
    ['exit code', String(j.verdict.exitCode)],
    ['duration', fmtMs(j.durationMs)],
    ['requests', load ? String(load.sent) : '—'],
    ['error rate', load ? fmtPct(load.errorRate) : '—'],
    ['p95 latency', load ? fmtMs(load.latencyMs.p95) : '—'],
    ['recovery', fmtMs(j.recovery.recoveryMs)],
    ['restarts', String(restarts)],
  ];
  for (const [k, val] of Object.entries(j.results)) {
    if (typeof val === 'number' || typeof val === 'string' || typeof val === 'boolean') cards.push([k, String(val)]);
  }
  const data = chartData(j);
  const recovery = j.recovery;
  const sections: string[] = [];

  sections.push(`<h2>Timeline</h2>${
    data
      ? `<p class="legend-note">Shaded: fault windows${j.faults.length ? ` (${j.faults.map((f) => escapeHtml(`${f.faultType} → ${f.target}`)).join(', ')})` : ''}. Dashed lines: alerts and stop conditions.</p><div class="chart" id="chart-rate"></div><br><div class="chart" id="chart-latency"></div>`
      : '<p class="muted">no load was generated</p>'
  }`);

  sections.push(
    `<h2>Phases</h2>${table(
      ['phase', 'status', 'started', 'ended'],
      j.phases.map(
        (p) =>
          `<tr><td>${escapeHtml(p.name)}</td><td class="${p.status === 'ok' ? 'ok' : p.status === 'skipped' ? 'muted' : 'bad'}">${escapeHtml(p.status)}</td><td>${escapeHtml(p.startedAt.slice(11, 23))}</td><td>${escapeHtml(p.endedAt?.slice(11, 23) ?? '—')}</td></tr>`,
      ),
    )}`,
  );
  sections.push(`<h2>Preflight</h2>${checksTable(j.preflight)}`);
  sections.push(
    `<h2>Steady state</h2><h3>before</h3>${probesTable(j.steadyState.before)}<h3>during</h3>${probesTable(j.steadyState.during)}<h3>after</h3>${probesTable(j.steadyState.after)}`,
  );
  sections.push(`<h2>Method</h2>${stepsTable(j.steps)}`);
  sections.push(
    `<h2>Faults</h2>${table(
      ['step', 'fault', 'target', 'status', 'start', 'end', 'observation'],
      j.faults.map(
        (f) =>
          `<tr><td>${escapeHtml(f.step)}</td><td>${escapeHtml(f.faultType)}</td><td>${escapeHtml(f.target)}</td><td>${escapeHtml(f.status)}</td><td>${escapeHtml(f.start?.slice(11, 23) ?? '—')}</td><td>${escapeHtml(f.end?.slice(11, 23) ?? '—')}</td><td><code>${escapeHtml(short(f.observation, 240))}</code></td></tr>`,
      ),
    )}`,
  );
  if (load) {
    sections.push(
      `<h2>Load</h2><p>${escapeHtml(load.target)} at ${load.ratePerS}/s for ${load.durationS} s: ${load.sent} sent, ${load.completed} completed, ${load.errors} errors (${fmtPct(load.errorRate)}); latency p50 ${fmtMs(load.latencyMs.p50)}, p95 ${fmtMs(load.latencyMs.p95)}, p99 ${fmtMs(load.latencyMs.p99)}, max ${fmtMs(load.latencyMs.max)}.</p>
<h3>Status codes</h3>${countsTable('status', load.statusCounts)}<h3>Errors by kind</h3>${countsTable('kind', load.errorKinds)}
<h3>Streams</h3>${table(
        ['stream', 'target', 'rate/s', 'sent', 'completed', 'p95', 'status codes'],
        load.streams.map(
          (s) =>
            `<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.target)}</td><td class="num">${s.ratePerS}</td><td class="num">${s.sent}</td><td class="num">${s.completed}</td><td class="num">${fmtMs(s.latencyMs.p95)}</td><td><code>${escapeHtml(short(s.statusCounts))}</code></td></tr>`,
        ),
      )}`,
    );
  }
  sections.push(
    `<h2>Recovery</h2>${table(
      ['recovery time', 'limit', 'result', 'last fault ended', 'steady again'],
      [
        `<tr><td>${fmtMs(recovery.recoveryMs)}</td><td>${recovery.withinS === null ? '—' : `${recovery.withinS} s`}</td>${okCell(recovery.ok)}<td>${escapeHtml(recovery.lastFaultEnd?.slice(11, 23) ?? '—')}</td><td>${escapeHtml(recovery.steadyAt?.slice(11, 23) ?? '—')}</td></tr>`,
      ],
    )}`,
  );
  sections.push(
    `<h2>Processes</h2>${table(
      ['process', 'restarts', 'pids', 'health', 'last recovery'],
      j.processes.summary.map(
        (p) =>
          `<tr><td>${escapeHtml(p.name)}</td><td class="num">${p.restartCount}</td><td>${escapeHtml(p.pidHistory.join(' → '))}</td><td>${escapeHtml(p.health ?? '—')}</td><td>${fmtMs(p.lastRecoveryMs)}</td></tr>`,
      ),
    )}${table(
      ['time', 'process', 'event', 'pid', 'detail'],
      j.processes.events.map(
        (e) =>
          `<tr><td>${escapeHtml(e.time.slice(11, 23))}</td><td>${escapeHtml(e.name)}</td><td>${escapeHtml(e.type)}</td><td>${e.pid ?? '—'}</td><td><code>${escapeHtml(short(e.detail, 160))}</code></td></tr>`,
      ),
      'no process events',
    )}`,
  );
  sections.push(
    `<h2>Alerts and stop conditions</h2>${table(
      ['rule', 'kind', 'fired', 'resolved', 'value', 'message'],
      j.alerts.map(
        (a) =>
          `<tr><td>${escapeHtml(a.rule)}</td><td>${escapeHtml(a.kind)}</td><td>${escapeHtml(a.firedAt.slice(11, 23))}</td><td>${escapeHtml(a.resolvedAt?.slice(11, 23) ?? '—')}</td><td class="num">${a.value ?? '—'}</td><td>${escapeHtml(a.message)}</td></tr>`,
      ),
    )}`,
  );
  sections.push(`<h2>Verification</h2>${probesTable(j.verify)}`);
  sections.push(`<h2>Rollbacks</h2>${stepsTable(j.rollbacks)}`);
  sections.push(`<h2>Cleanup</h2>${stepsTable(j.cleanup)}`);
  if (Object.keys(j.results).length > 0) {
    sections.push(
      `<h2>Results</h2>${table(
        ['name', 'value'],
        Object.entries(j.results).map(([k, val]) => `<tr><td>${escapeHtml(k)}</td><td><code>${escapeHtml(short(val, 2000))}</code></td></tr>`),
      )}`,
    );
  }
  if (j.errors.length > 0) sections.push(`<h2>Runner errors</h2><ul>${j.errors.map((e) => `<li class="bad">${escapeHtml(e)}</li>`).join('')}</ul>`);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${j.drill.name} — ${v.text}`)}</title>
<style>${css}</style><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(j.drill.name)}</h1>
<div class="muted">run ${escapeHtml(j.runId)} · ${escapeHtml(j.startedAt)} → ${escapeHtml(j.endedAt)}${j.drill.file ? ` · ${escapeHtml(j.drill.file)}` : ''}</div>
${j.drill.description ? `<p>${escapeHtml(j.drill.description)}</p>` : ''}
<div class="verdict ${v.tone}" id="verdict">${escapeHtml(v.text)}${j.verdict.reasons.length ? `<ul>${j.verdict.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>` : ''}</div>
<div class="cards">${cards.map(([k, val]) => `<div class="card"><div class="v">${escapeHtml(val)}</div><div class="k">${escapeHtml(k)}</div></div>`).join('')}</div>
${sections.join('\n')}
<script id="chart-data" type="application/json">${scriptJson(data)}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
