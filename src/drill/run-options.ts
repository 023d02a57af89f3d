/** The runner's options, outcome and progress events. */
import type { AlertRecord, CheckResult, FaultRecord, Journal, PhaseName, ProbeResult, StepResult } from './journal.js';
import type { LiveStats } from './load/index.js';

/** Phases `--phase` accepts, in order. */
export const runnablePhases = ['preflight', 'baseline', 'inject', 'recover', 'verify', 'cleanup'] as const;
export type RunnablePhase = (typeof runnablePhases)[number];

/** What the runner tells a progress display. */
export type ProgressEvent =
  | { readonly type: 'phase'; readonly phase: PhaseName }
  | { readonly type: 'check'; readonly result: CheckResult }
  | { readonly type: 'probe'; readonly when: 'before' | 'during' | 'after' | 'verify' | 'recovery'; readonly result: ProbeResult }
  | { readonly type: 'step'; readonly result: StepResult }
  | { readonly type: 'fault'; readonly fault: FaultRecord }
  | { readonly type: 'alert'; readonly alert: AlertRecord }
  | { readonly type: 'log'; readonly message: string }
  | {
      readonly type: 'tick';
      readonly phase: PhaseName;
      readonly elapsedS: number;
      readonly totalS: number | null;
      readonly live: LiveStats | null;
      readonly activeFaults: readonly string[];
    };

/** Options of {@link runDrill}. */
export interface RunOptions {
  /** Go on after a failed preflight check. */
  readonly force?: boolean;
  /**
   * Run the phases up to and including this one (rollbacks and cleanup still run once anything
   * past preflight ran). `cleanup` runs the cleanup steps alone.
   */
  readonly phase?: RunnablePhase;
  /** Where `<run_id>/report.json` goes (default `reports` under cwd). */
  readonly reportDir?: string;
  /** Write the report (default true). */
  readonly writeReport?: boolean;
  /** Abort (SIGINT/SIGTERM): rollbacks and cleanup still run, status `interrupted`. */
  readonly signal?: AbortSignal;
  /** Environment templates read (`{{env.X}}`); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly onProgress?: (event: ProgressEvent) => void;
  readonly runId?: string;
  /** How often `tick` events are emitted (default 500 ms). */
  readonly tickMs?: number;
}

/** What {@link runDrill} returns. */
export interface RunOutcome {
  readonly journal: Journal;
  readonly exitCode: number;
  readonly jsonPath?: string;
  readonly htmlPath?: string;
}
