/**
 * Drills: declarative chaos experiments (YAML) with preflight checks, generated load, a
 * steady-state hypothesis, faults through the executor, stop conditions, rollbacks, verification,
 * cleanup and a report.
 */
export {
  REPORT_SCHEMA_VERSION,
  ExitCode,
  phaseNames,
  runStatuses,
  reportSchema,
  reportJsonSchema,
  journalToWire,
  journalFromWire,
  writeReport,
  newRunId,
  emptyJournal,
  type ExitCodeValue,
  type PhaseName,
  type RunStatus,
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
} from './journal.js';
export { renderHtmlReport, formatSummary, formatComparison, summaryRows, verdictLabel } from './report/index.js';
