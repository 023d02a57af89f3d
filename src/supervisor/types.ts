/**
 * The supervisor's public contract: what the executor, the CLI and the drills use.
 * (Owned by the supervisor module; the executor codes against these types.)
 */

/** A process's lifecycle state; a discriminated union so an impossible state cannot be written. */
export type ProcessState =
  | { readonly kind: 'starting'; readonly since: number }
  | { readonly kind: 'running'; readonly pid: number; readonly since: number }
  | { readonly kind: 'backoff'; readonly attempt: number; readonly retryAt: number }
  /** Not running and not coming back by itself (stopped, or restart policy said no). */
  | { readonly kind: 'stopped'; readonly exitCode: number | null; readonly signal: string | null }
  /** Gave up: more than max_restarts within window_s (as supervisord's FATAL). `restart()` revives it. */
  | { readonly kind: 'fatal'; readonly reason: string; readonly since: number };

/**
 * `healthy`: running and its health check passes; `degraded`: running but the check fails, or it
 * (re)started and has not passed yet; `unhealthy`: not running (backoff, stopped, fatal).
 */
export type Health = 'healthy' | 'degraded' | 'unhealthy';

/** A snapshot of one supervised process (code form; snake_case it at the API edge). */
export interface ProcessInfo {
  readonly name: string;
  readonly state: ProcessState;
  readonly pid: number | null;
  readonly health: Health;
  readonly restartCount: number;
  readonly paused: boolean;
  readonly pidHistory: readonly number[];
  /** Last lines of stdout/stderr. */
  readonly lastLines: readonly string[];
  /** Where stdout and stderr are appended. */
  readonly logFile: string;
  readonly lastRestartMs: number | null;
  readonly lastRecoveryMs: number | null;
}

/** Events the supervisor emits (also written to the run manifest). */
export type SupervisorEvent =
  | { readonly type: 'started'; readonly name: string; readonly pid: number; readonly time: number }
  | { readonly type: 'exited'; readonly name: string; readonly pid: number; readonly code: number | null; readonly signal: string | null; readonly time: number }
  | { readonly type: 'restarted'; readonly name: string; readonly pid: number; readonly restartMs: number; readonly time: number }
  | { readonly type: 'healthy'; readonly name: string; readonly recoveryMs: number | null; readonly time: number }
  | { readonly type: 'unhealthy'; readonly name: string; readonly reason: string; readonly time: number }
  | { readonly type: 'fatal'; readonly name: string; readonly reason: string; readonly time: number };

export interface Disposable {
  dispose(): void;
}

export interface Supervisor {
  /** The run id of the manifest (`runs/<run_id>/manifest.json`). */
  readonly runId: string;
  readonly manifestPath: string;
  /** Spawns every configured process. */
  start(): Promise<void>;
  /** Stops every process (stop signal, then SIGKILL after stop_timeout_ms). Idempotent. */
  stop(): Promise<void>;
  list(): ProcessInfo[];
  get(name: string): ProcessInfo | undefined;
  /** Aggregate over all processes: healthy only when every one is healthy. */
  health(): Health;
  /** Sends a signal (default SIGKILL) to the process group; the restart policy then applies. @throws ProcessNotFoundError */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP now, SIGCONT after `durationMs` (or on `resume`). @throws ProcessNotFoundError */
  pause(name: string, durationMs: number): Promise<void>;
  /**
   * Holds the process stopped (SIGSTOP) until the returned release is called. Holds stack: the
   * process gets SIGCONT only when the last one is released. @throws ProcessNotFoundError, ProcessStateError
   */
  hold(name: string, reason?: string): Promise<() => void>;
  /** Releases every hold and pause now (SIGCONT). */
  resume(name: string): Promise<void>;
  /** Stop signal, then start again (not counted against max_restarts). @throws ProcessNotFoundError */
  restart(name: string): Promise<void>;
  /** Resolves when the process is healthy, rejects after timeoutMs. */
  waitHealthy(name: string, timeoutMs: number): Promise<void>;
  onEvent(listener: (event: SupervisorEvent) => void): Disposable;
  /**
   * Adds a JSON-safe value under `annotations.<key>` in the run manifest (e.g. the telemetry
   * exporters' `export_count`, `error_count`, `last_error`); the manifest is rewritten shortly after.
   */
  annotate(key: string, value: unknown): void;
}

/** The logging the supervisor does; a pino logger fits. */
export interface SupervisorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
