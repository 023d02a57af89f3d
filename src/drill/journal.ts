/**
 * The run journal: everything a drill run did and saw, typed in code form (camelCase) and
 * published on disk as `reports/<run_id>/report.json` (snake_case, validated by
 * {@link reportSchema}; its JSON Schema is {@link reportJsonSchema}).
 *
 * One source of truth: the zod schema below describes the file; {@link Journal} is its code form.
 * Payloads a user or a service produced (`results`, step `output`, probe `value`/`expected`,
 * fault `plan`/`observation`, process event `detail`) are opaque: they are written verbatim and
 * their keys are never renamed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { camelCase, snakeCase } from '../plan/index.js';

import { REPORT_SCHEMA_VERSION, reportSchema, type Journal, type ReportJson } from './report-schema.js';
export {
  REPORT_SCHEMA_VERSION,
  phaseNames,
  type PhaseName,
  runStatuses,
  type RunStatus,
  ExitCode,
  type ExitCodeValue,
  reportSchema,
  type ReportJson,
  type Journal,
  type PhaseRecord,
  type CheckResult,
  type ProbeResult,
  type StepResult,
  type FaultRecord,
  type LoadSummary,
  type LoadStreamSummary,
  type TimelineBucket,
  type LatencyStats,
  type AlertRecord,
  type RecoveryRecord,
  type ProcessEventRecord,
  type ProcessSummaryRecord,
} from './report-schema.js';

/** Keys whose values are user or service data: copied verbatim, never renamed. */
const OPAQUE_KEYS = new Set(['results', 'output', 'value', 'expected', 'plan', 'observation', 'detail', 'status_counts', 'statusCounts', 'error_kinds', 'errorKinds']);

function renameJournal(value: unknown, rename: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameJournal(v, rename));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[rename(k)] = OPAQUE_KEYS.has(k) ? jsonSafe(v) : renameJournal(v, rename);
    }
    return out;
  }
  return value;
}

/** Drops what JSON cannot hold (functions, undefined, bigint as string), keeping the shape. */
function jsonSafe(v: unknown): unknown {
  if (v === undefined) return null;
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null') as unknown;
}

/** The journal in its on-disk form (snake_case; opaque payloads verbatim). */
export function journalToWire(journal: Journal): ReportJson {
  return renameJournal(journal, snakeCase) as ReportJson;
}

/**
 * Reads a `report.json` body back into a journal.
 * @throws ValidationError-like zod error when the body is not a report.
 */
export function journalFromWire(wire: unknown): Journal {
  const parsed = reportSchema.parse(wire);
  return renameJournal(parsed, camelCase) as Journal;
}

/** The JSON Schema (draft 2020-12) of `report.json`. */
export function reportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(reportSchema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://faultline.dev/schemas/drill-report.json', title: 'faultline drill report' };
}

/** A run id: sortable by time, unique enough (`20261122T061500Z-3fa9c1`). */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** An empty journal for a run that is about to start. */
export function emptyJournal(init: { runId: string; name: string; description?: string | null; file?: string | null; startedAt?: Date }): Journal {
  const started = (init.startedAt ?? new Date()).toISOString();
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: init.runId,
    drill: { name: init.name, description: init.description ?? null, file: init.file ?? null },
    status: 'completed',
    verdict: { exitCode: 0, hypothesisHeld: null, recovered: null, reasons: [] },
    startedAt: started,
    endedAt: started,
    durationMs: 0,
    options: { force: false, phase: null },
    executor: { url: null, embedded: false },
    phases: [],
    preflight: [],
    steadyState: { before: [], during: [], after: [] },
    steps: [],
    rollbacks: [],
    faults: [],
    load: null,
    alerts: [],
    recovery: { recoveryMs: null, withinS: null, ok: null, lastFaultEnd: null, steadyAt: null },
    processes: { summary: [], events: [] },
    verify: [],
    cleanup: [],
    results: {},
    errors: [],
  };
}

async function writeAtomic(path: string, body: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, body, 'utf8');
  await rename(tmp, path);
}

type HtmlRenderer = (journal: Journal) => string;

async function loadHtmlRenderer(): Promise<HtmlRenderer | undefined> {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'report', 'html.ts'), join(here, 'report', 'html.js')];
  if (!candidates.some((p) => existsSync(p))) return undefined;
  try {
    const mod = await import('./report/html.js');
    return mod.renderHtmlReport;
  } catch {
    return undefined;
  }
}

/**
 * Writes `<dir>/<run_id>/report.json` (atomically: temp file + rename) and, when the HTML
 * renderer is available, `report.html` next to it.
 * @returns the paths written (`htmlError` when the HTML renderer threw; the JSON is written anyway).
 * @example
 * const { jsonPath, htmlPath } = await writeReport(journal, 'reports');
 */
export async function writeReport(journal: Journal, dir: string): Promise<{ jsonPath: string; htmlPath?: string; htmlError?: string }> {
  const runDir = join(dir, journal.runId);
  await mkdir(runDir, { recursive: true });
  const jsonPath = join(runDir, 'report.json');
  await writeAtomic(jsonPath, `${JSON.stringify(journalToWire(journal), null, 2)}\n`);
  const render = await loadHtmlRenderer();
  if (!render) return { jsonPath };
  const htmlPath = join(runDir, 'report.html');
  // The JSON is the record; a broken renderer must not lose the run.
  try {
    await writeAtomic(htmlPath, render(journal));
  } catch (err) {
    return { jsonPath, htmlError: err instanceof Error ? err.message : String(err) };
  }
  return { jsonPath, htmlPath };
}
