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
export {
  drillSchema,
  probeSchema,
  stepSchema,
  safeParseDrill,
  parseDrill,
  loadDrill,
  type Drill,
  type DrillWire,
  type DrillParseResult,
  type Probe,
  type Step,
  type PreflightCheck,
  type LoadSpec,
  type StopConditionSpec,
} from './spec.js';
export { DrillInvalidError, DrillReadError, DrillExecutorError } from './errors.js';
export { compileTemplate, renderValue, TemplateError, type Template, type TemplateContext } from './template.js';
export {
  LoadGenerator,
  streamsFromSpec,
  type LoadOptions,
  type LoadStream,
  type LoadTemplate,
  type AckRecord,
  type WindowStats,
  type LiveStats,
} from './load/index.js';
export { runProbe, runCheck, runStep, stepName } from './activities/run.js';
export { checkExpectations } from './activities/expect.js';
export { metricValue } from './activities/metric.js';
export { activities, kindsWith, checkSchema } from './activities/index.js';
export type { Activity, ActivityEnv, ActivityEnv as ProbeEnv, ActivityEnv as ActionEnv, ProbeOutcome, DrillExecutorClient } from './activities/types.js';
export { checkDrill } from './check.js';
export { runDrill, runnablePhases, type RunOptions, type RunOutcome, type RunnablePhase, type ProgressEvent } from './runner.js';
export { createProgress, formatRunSummary, jsonSummary, type ProgressOptions } from './progress.js';
