/**
 * The report's schema (`report.json`, snake_case, zod) and the journal types derived from it.
 * Payloads a user or a service produced (`results`, step `output`, probe `value`/`expected`,
 * fault `plan`, process event `detail`) are opaque: written verbatim, keys never renamed.
 */
import { z } from 'zod';
import type { Camelize } from '../plan/index.js';

/** The report format's version; bumped on an incompatible change. */
export const REPORT_SCHEMA_VERSION = 1;

/** Phases in the order they run. `rollback` runs after `inject` (or on abort/interrupt). */
export const phaseNames = ['preflight', 'baseline', 'inject', 'recover', 'verify', 'rollback', 'cleanup'] as const;
export type PhaseName = (typeof phaseNames)[number];

/**
 * How a run ended. `partial`: `--phase` ran only some phases (no verdict on the hypothesis);
 * `inconclusive`: nothing failed but a window probe had no data in its window.
 */
export const runStatuses = ['completed', 'failed', 'aborted', 'interrupted', 'partial', 'inconclusive'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** Exit codes of `faultline run`. */
export const ExitCode = {
  /** Hypothesis held and the system recovered in time. */
  Ok: 0,
  /** A preflight check failed (before any fault). */
  PreflightFailed: 1,
  /** The steady-state hypothesis was violated, or recovery was too slow. */
  HypothesisViolated: 2,
  /** A stop condition tripped. */
  Aborted: 3,
  /** The drill file is invalid. */
  InvalidDrill: 4,
  /** Interrupted by SIGINT/SIGTERM (128 + SIGINT, the shell's convention). */
  Interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const iso = z.string();
const isoOrNull = z.string().nullable();
const opaque = z.unknown();

const latency = z.object({
  p50: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
  mean: z.number(),
});

const counts = z.record(z.string(), z.number());

const phaseRecord = z.object({
  name: z.enum(phaseNames),
  started_at: iso,
  ended_at: isoOrNull,
  status: z.enum(['ok', 'failed', 'skipped', 'aborted', 'interrupted']),
});

const checkResult = z.object({
  name: z.string(),
  kind: z.string(),
  ok: z.boolean(),
  message: z.string(),
  guidance: z.string().nullable(),
  duration_ms: z.number(),
});

const probeResult = z.object({
  name: z.string(),
  kind: z.string(),
  ok: z.boolean(),
  /** What was measured (a status code, a rate, a row...). */
  value: opaque,
  /** What was expected, as written in the drill. */
  expected: opaque,
  message: z.string(),
  /** Present (true) when the probe's window held no data: neither held nor violated. */
  inconclusive: z.literal(true).optional(),
  /** When the probe ran (ISO). */
  at: iso,
  duration_ms: z.number(),
});

const stepResult = z.object({
  phase: z.enum(phaseNames),
  name: z.string(),
  kind: z.string(),
  status: z.enum(['ok', 'failed', 'skipped']),
  started_at: iso,
  ended_at: iso,
  duration_ms: z.number(),
  /** The step's output (referenced later as `{{steps.<output>...}}`). */
  output: opaque,
  error: z.string().nullable(),
});

const faultRecord = z.object({
  /** The executor's application id; null for process actions done directly (kill). */
  apply_id: z.string().nullable(),
  /** The method step that applied it. */
  step: z.string(),
  /** `fault_type` of the plan (`delay`, `down`, `kill`, ...). */
  fault_type: z.string(),
  /** The proxy or process it targeted. */
  target: z.string(),
  /** The FaultPlan as sent (wire form). */
  plan: opaque,
  /** When the fault took effect and when it ended (ISO); `end` is null while unknown. */
  start: isoOrNull,
  end: isoOrNull,
  status: z.string(),
  /**
   * The executor's observation of the fault, snake_case like the rest of the report:
   * `{apply_id, requests, faulted, status_codes, latency_ms: {avg, p50, p95, p99, max}, error_rate, logs}`;
   * for kill and pause the process as the executor showed it; `{error}` when it could not be read.
   */
  observation: opaque.describe('The executor observation of the fault, snake_case: {apply_id, requests, faulted, status_codes, latency_ms: {avg, p50, p95, p99, max}, error_rate, logs}; for kill/pause the process view; {error} when unreadable'),
});

const timelineBucket = z.object({
  /** Seconds since the load started (bucket start). */
  t: z.number(),
  sent: z.number(),
  ok: z.number(),
  errors: z.number(),
  status_counts: counts,
  p50: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
});

const loadStreamSummary = z.object({
  name: z.string(),
  target: z.string(),
  rate_per_s: z.number(),
  sent: z.number(),
  completed: z.number(),
  status_counts: counts,
  error_kinds: counts,
  latency_ms: latency,
});

const loadReport = z.object({
  target: z.string(),
  /** Total planned arrival rate over all streams. */
  rate_per_s: z.number(),
  duration_s: z.number(),
  /** Epoch-aligned start of the load (ISO); timeline `t` counts from here. */
  started_at: iso,
  sent: z.number(),
  completed: z.number(),
  /** Requests that ended with a 5xx or a transport error. */
  errors: z.number(),
  error_rate: z.number(),
  status_counts: counts,
  error_kinds: counts,
  latency_ms: latency,
  timeline: z.array(timelineBucket),
  streams: z.array(loadStreamSummary),
});

const alertRecord = z.object({
  /** The rule as written, e.g. `error_rate > 0.5 for 5s`. */
  rule: z.string(),
  kind: z.enum(['stop_condition', 'probe', 'alert']),
  fired_at: iso,
  resolved_at: isoOrNull,
  value: z.number().nullable(),
  message: z.string(),
});

const recovery = z.object({
  /** From the last fault's end until the steady state held again; null when never measured. */
  recovery_ms: z.number().nullable(),
  within_s: z.number().nullable(),
  ok: z.boolean().nullable(),
  last_fault_end: isoOrNull,
  steady_at: isoOrNull,
});

const processEvent = z.object({
  time: iso,
  name: z.string(),
  type: z.string(),
  pid: z.number().nullable(),
  detail: opaque,
});

const processSummary = z.object({
  name: z.string(),
  restart_count: z.number(),
  pid_history: z.array(z.number()),
  health: z.string().nullable(),
  last_recovery_ms: z.number().nullable(),
});

/** The on-disk `report.json` (snake_case). */
export const reportSchema = z.object({
  schema_version: z.literal(REPORT_SCHEMA_VERSION),
  run_id: z.string(),
  drill: z.object({ name: z.string(), description: z.string().nullable(), file: z.string().nullable() }),
  status: z.enum(runStatuses),
  verdict: z.object({
    exit_code: z.number().int(),
    /** Null when the run never got to check it (preflight failed, aborted before `after`). */
    hypothesis_held: z.boolean().nullable(),
    recovered: z.boolean().nullable(),
    /** Why the verdict is what it is, one line each. Empty when all is well. */
    reasons: z.array(z.string()),
  }),
  started_at: iso,
  ended_at: iso,
  duration_ms: z.number(),
  options: z.object({ force: z.boolean(), phase: z.string().nullable() }),
  executor: z.object({ url: z.string().nullable(), embedded: z.boolean() }),
  phases: z.array(phaseRecord),
  preflight: z.array(checkResult),
  steady_state: z.object({
    before: z.array(probeResult),
    during: z.array(probeResult),
    after: z.array(probeResult),
  }),
  steps: z.array(stepResult),
  rollbacks: z.array(stepResult),
  faults: z.array(faultRecord),
  load: loadReport.nullable(),
  alerts: z.array(alertRecord),
  recovery,
  processes: z.object({ summary: z.array(processSummary), events: z.array(processEvent) }),
  verify: z.array(probeResult),
  cleanup: z.array(stepResult),
  /** Named outputs of probes and steps (`results: [lost_payments]`), verbatim. */
  results: z.record(z.string(), opaque),
  /** Errors of the runner itself (not of a step), one line each. */
  errors: z.array(z.string()),
});

/** `report.json` as it is on disk. */
export type ReportJson = z.output<typeof reportSchema>;

/** The run journal in code form. */
export type Journal = Camelize<ReportJson>;
export type PhaseRecord = Journal['phases'][number];
export type CheckResult = Journal['preflight'][number];
export type ProbeResult = Journal['verify'][number];
export type StepResult = Journal['steps'][number];
export type FaultRecord = Journal['faults'][number];
export type LoadSummary = NonNullable<Journal['load']>;
export type LoadStreamSummary = LoadSummary['streams'][number];
export type TimelineBucket = LoadSummary['timeline'][number];
export type LatencyStats = LoadSummary['latencyMs'];
export type AlertRecord = Journal['alerts'][number];
export type RecoveryRecord = Journal['recovery'];
export type ProcessEventRecord = Journal['processes']['events'][number];
export type ProcessSummaryRecord = Journal['processes']['summary'][number];
