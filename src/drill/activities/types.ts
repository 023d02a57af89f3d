/**
 * What an activity kind is: one object per kind (`http`, `metric`, `kill`, ...) holding the
 * schema and the runner of each use it has — as a probe (steady state, verify), as a method,
 * rollback or cleanup step, as a preflight check — and the names it refers to.
 */
import type { z } from 'zod';
import type { HttpExecutorClient } from '../../client/index.js';
import type { Camelize } from '../../plan/index.js';
import type { FaultRecord, PhaseName, ProbeResult } from '../journal.js';
import type { LoadGenerator } from '../load/index.js';
import type { TemplateContext } from '../template.js';

/** The executor client drills use: faultline/client's, processes and raw calls included. */
export type DrillExecutorClient = HttpExecutorClient;

/** A load window in seconds of the load. */
export interface LoadWindow {
  readonly fromS: number;
  readonly toS: number;
}

/** What activities can reach while they run. */
export interface ActivityEnv {
  readonly ctx: () => TemplateContext;
  readonly client?: DrillExecutorClient | undefined;
  readonly load?: LoadGenerator | undefined;
  /** Phase windows in seconds of the load (for `metric` probes with `window: <phase>`). */
  readonly phaseWindow?: (phase: PhaseName) => LoadWindow | undefined;
  /** The window of a `metric` probe that names none (the runner's current phase); default the whole load. */
  readonly defaultWindow?: (() => LoadWindow | undefined) | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called when a fault (or a process action) takes effect; the runner keeps the list. */
  readonly onFault?: (fault: FaultRecord) => void;
}

/** A probe's result plus the value to keep under its `output` name. */
export interface ProbeOutcome extends ProbeResult {
  readonly output: unknown;
}

/** What a probe runner answers; the registry adds the name, kind and timing. */
export interface ProbeVerdict {
  readonly ok: boolean;
  readonly value: unknown;
  readonly expected: unknown;
  readonly message: string;
  /** What `{{steps.<output>}}` reads (default: the value). */
  readonly output?: unknown;
  /** The window held no data: neither held nor violated (`inconclusive` in the report). */
  readonly inconclusive?: boolean;
}

/** What a step runner answers; the registry adds the name, phase and timing. */
export interface StepOutcome {
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly output: unknown;
  readonly error: string | null;
}

/** Where a step runs: its name, its start (performance.now()) and the probe runner for nested probes. */
export interface StepCall {
  readonly name: string;
  readonly t0: number;
  readonly runProbe: (probe: unknown, env: ActivityEnv, name: string) => Promise<ProbeOutcome>;
}

/** A name an activity refers to, for `faultline validate`'s name checks. */
export interface NameRef {
  /** Path inside the activity (`['process']`, `['plan', 'service']`). */
  readonly path: readonly (string | number)[];
  /** `process`: a supervised process; `service`: a proxy or a process (a fault's target). */
  readonly what: 'process' | 'service';
  readonly name: string;
}

/** What an activity's own validation can see and say (`faultline validate`). */
export interface ValidateContext {
  /** The drill has a load section. */
  readonly hasLoad: boolean;
  /** Load stream and template names. */
  readonly streams: ReadonlySet<string>;
  /** Records a mistake at a path inside the activity. */
  issue(path: readonly (string | number)[], message: string): void;
  /** Validates a probe nested in this activity at a path inside it. */
  probe(probe: unknown, path: readonly (string | number)[]): void;
}

/** What every use may declare besides its runner. */
interface UseCommon<S extends z.ZodType> {
  readonly schema: S;
  /** Names of processes or services it refers to, checked against the drill's executor. */
  refs?(spec: z.output<S>): NameRef[];
  /** Checks that need the rest of the drill (a metric probe needs a load, ...). */
  validate?(spec: z.output<S>, v: ValidateContext): void;
  /** It talks to the executor whatever its names (faults, halt). */
  readonly needsExecutor?: boolean;
}

/** The probe use of a kind. */
export interface ProbeUse<S extends z.ZodType = z.ZodType> extends UseCommon<S> {
  /** False when the runner renders templates itself (a metric probe reads no template). */
  readonly render?: boolean;
  run(probe: Camelize<z.output<S>>, env: ActivityEnv): Promise<ProbeVerdict>;
  /** It measures the load over a window (the steady state `after` needs load left after the faults). */
  readonly windowed?: boolean;
}

/** The step use of a kind. */
export interface StepUse<S extends z.ZodType = z.ZodType> extends UseCommon<S> {
  /** False when the runner renders its nested probes itself, at each poll. */
  readonly render?: boolean;
  run(step: Camelize<z.output<S>>, env: ActivityEnv, call: StepCall): Promise<StepOutcome>;
  /** It injects a fault: `verify.recovery_within_s` measures from its end. */
  readonly injects?: boolean;
  /**
   * How long it can hold the method (`blocksS`) and how long after its start its effect can last
   * (`endsAfterS`), as far as the file says; for `faultline validate`'s after-window warning.
   */
  timing?(step: z.output<S>): { readonly blocksS?: number; readonly endsAfterS?: number };
}

/** The preflight-check use of a kind: answers a message, throws when the check fails. */
export interface CheckUse<S extends z.ZodType = z.ZodType> extends UseCommon<S> {
  run(check: Camelize<z.output<S>>, env: ActivityEnv): Promise<string>;
}

/** One activity kind. */
export interface Activity {
  readonly kind: string;
  readonly probe?: ProbeUse<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly step?: StepUse<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly check?: CheckUse<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Types a probe use: the runner's argument is the schema's output in code form. */
export const probeUse = <S extends z.ZodType>(use: ProbeUse<S>): ProbeUse<S> => use;
/** Types a step use. */
export const stepUse = <S extends z.ZodType>(use: StepUse<S>): StepUse<S> => use;
/** Types a check use. */
export const checkUse = <S extends z.ZodType>(use: CheckUse<S>): CheckUse<S> => use;
/** Declares an activity kind, keeping its literal kind and uses for the registry's types. */
export const defineActivity = <const A extends Activity>(activity: A): A => activity;

export const errMsg = (err: unknown): string => (err instanceof Error ? err.message : String(err));
