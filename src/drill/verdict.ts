/**
 * The verdict: what the journal says about the hypothesis, as a status, reasons and an exit code.
 *
 *   preflight failed (not forced) ─▶ failed, 1      interrupted ─▶ interrupted, 130
 *   stop condition ─▶ aborted, 3                     a probe, step or recovery failed ─▶ failed, 2
 *   --phase ─▶ partial, 0                            only windows without data ─▶ inconclusive, 0
 *   otherwise ─▶ completed, 0
 *
 * Only a complete run can say the hypothesis held: an aborted, interrupted or partial run says
 * "no" when a probe failed and "not known" otherwise. A window probe with no data is never a
 * violation.
 */
import { ExitCode, type Journal } from './journal.js';

/** What the runner knows besides the journal. */
export interface VerdictFlags {
  readonly preflightFailed: boolean;
  readonly forced: boolean;
  readonly interrupted: boolean;
  readonly aborted: boolean;
  /** The `--phase` the run stopped at, if any. */
  readonly phase: string | null;
}

/** Sets the journal's status and verdict; returns the exit code. */
export function decideVerdict(j: Journal, flags: VerdictFlags): number {
  const v = j.verdict;
  const steady = [...j.steadyState.before, ...j.steadyState.during, ...j.steadyState.after, ...j.verify];
  const inconclusive = steady.filter((r) => r.inconclusive === true);
  const failedProbes = steady.filter((r) => !r.ok && r.inconclusive !== true);
  const decided = steady.length - inconclusive.length;
  v.hypothesisHeld = decided === 0 ? null : failedProbes.length === 0;
  v.recovered = j.recovery.ok;
  const unfinished = (status: 'interrupted' | 'aborted' | 'partial') => {
    j.status = status;
    // An unfinished run never claims the hypothesis held.
    if (v.hypothesisHeld === true) v.hypothesisHeld = null;
    if (v.recovered === true && status !== 'partial') v.recovered = null;
  };
  if (flags.preflightFailed) {
    for (const r of j.preflight.filter((c) => !c.ok)) v.reasons.push(`preflight ${r.name} failed: ${r.message}${r.guidance ? ` — ${r.guidance}` : ''}${flags.forced ? ' (forced on)' : ''}`);
    if (!flags.forced) {
      j.status = 'failed';
      if (v.hypothesisHeld === true) v.hypothesisHeld = null;
      return ExitCode.PreflightFailed;
    }
  }
  if (flags.interrupted) {
    unfinished('interrupted');
    v.reasons.push('interrupted (SIGINT/SIGTERM): rollbacks and cleanup ran');
    return ExitCode.Interrupted;
  }
  if (flags.aborted) {
    unfinished('aborted');
    for (const a of j.alerts.filter((x) => x.kind === 'stop_condition')) v.reasons.push(`stop condition tripped: ${a.rule} (value ${a.value})`);
    return ExitCode.Aborted;
  }
  const problems: string[] = [];
  for (const r of failedProbes) problems.push(`steady state violated: ${r.name}: ${r.message}`);
  for (const s of [...j.steps, ...j.rollbacks, ...j.cleanup].filter((x) => x.status === 'failed')) problems.push(`${s.phase} step ${s.name} failed: ${s.error ?? ''}`);
  if (j.recovery.ok === false && j.recovery.recoveryMs !== null) problems.push(`recovery took ${j.recovery.recoveryMs} ms, limit ${j.recovery.withinS} s`);
  if (j.recovery.ok === false) v.recovered = false;
  problems.push(...j.errors);
  v.reasons.push(...problems);
  if (problems.length > 0 || j.recovery.ok === false) {
    j.status = 'failed';
    return ExitCode.HypothesisViolated;
  }
  for (const r of inconclusive) v.reasons.push(`inconclusive: ${r.name}: ${r.message}`);
  if (flags.phase !== null) {
    unfinished('partial');
    v.reasons.push(`partial run (--phase ${flags.phase}): no verdict on the hypothesis`);
    return ExitCode.Ok;
  }
  j.status = inconclusive.length > 0 ? 'inconclusive' : 'completed';
  return ExitCode.Ok;
}
