/*
 * The supervisor: one ManagedProcess per configured process.
 *
 *   start() ─▶ spawn (detached: own process group) ─▶ starting ─'spawn'─▶ running
 *                  ▲                                                      │ exit seen
 *                  │ delay 0: at once, inside the exit handler            ▼
 *                  └──────────── backoff (timer) ◀── restart policy ──▶ stopped | fatal
 *
 * Health checks start with every spawn at the fast recovery interval and slow down to interval_ms
 * once healthy; `restart_ms` = exit seen -> new pid, `recovery_ms` = exit seen -> first pass.
 * Signals always go to the process group (`process.kill(-pid)`), so helpers a service forks die
 * with it. Orphans: an exit hook SIGKILLs live groups; a watchdog shell does it if we are SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { ValidationError } from '../plan/index.js';
import { configHash, parseProcessesConfig, type ProcessConfig, type ProcessConfigWire } from './config.js';
import { ProcessHealthTimeoutError, ProcessNotFoundError, ProcessStateError, SupervisorStoppedError } from './errors.js';
import { runHealthCheck } from './health.js';
import { ManifestWriter, type Manifest, type ManifestEvent, type ManifestProcess, type ManifestRestart } from './manifest.js';
import { createSupervisorMetrics, healthValue, type SupervisorMetrics } from './metrics.js';
import { RestartPolicy, type RestartDecision } from './restart-policy.js';
import type { Disposable, Health, ProcessInfo, ProcessState, Supervisor, SupervisorEvent, SupervisorLogger } from './types.js';
import { Watchdog } from './watchdog.js';


/**
 * A child's environment: the daemon's own, minus every `FAULTLINE_*` variable (the API token,
 * the token file, the executor URL: a supervised service has no business with them), plus what the
 * process lists in its own `env` (which may name a `FAULTLINE_*` variable on purpose).
 */
export function childEnv(parent: NodeJS.ProcessEnv, own: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent)) if (!k.toUpperCase().startsWith('FAULTLINE_')) out[k] = v;
  return { ...out, ...own };
}

/** Options of {@link createSupervisor}. */
export interface SupervisorOptions {
  /** Where run folders go (`<runsDir>/<runId>/manifest.json`); default `runs` under the working directory. */
  readonly runsDir?: string;
  /** Default: a UTC timestamp plus a random suffix, e.g. `20261122T061530Z-3fa9c1`. */
  readonly runId?: string;
  /** Registers process metrics here (up, restarts, restart/recovery histograms, health). */
  readonly registry?: Registry;
  readonly logger?: SupervisorLogger;
  /**
   * Stop the processes gracefully on SIGTERM/SIGINT of this (host) process, then re-raise the
   * signal when nobody else listens for it. Default false: the host (e.g. the executor) decides and
   * calls `stop()`. Without it, the exit hook and the watchdog still leave no orphan (SIGKILL).
   */
  readonly handleSignals?: boolean;
  /** Folder of the per-process log files (`<name>.log`) when a process sets no `log_file`; default `<runsDir>/<runId>/logs`. */
  readonly logDir?: string;
  /** Debounce of manifest writes, ms (default 25). */
  readonly manifestDebounceMs?: number;
}

const MAX_EVENTS = 1000;
/** How long after a spawn health checks run at recovery_interval_ms, at most. */
const FAST_CHECK_WINDOW_MS = 30_000;
const noopLogger: SupervisorLogger = { info() {}, warn() {}, error() {} };

/** One pending restart: from exit seen until the health check passes again. */
interface Recovery {
  readonly exitSeenAt: number;
  readonly record: ManifestRestart;
}

function iso(ms: number = Date.now()): string {
  return new Date(ms).toISOString();
}

function defaultRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** The state letter of /proc/<pid>/stat ('T' = stopped), or null when unknown. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) || null;
  } catch {
    return null;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

class ManagedProcess {
  state: ProcessState = { kind: 'stopped', exitCode: null, signal: null };
  child: ChildProcess | null = null;
  pid: number | null = null;
  paused = false;
  healthState: Health = 'unhealthy';
  restartCount = 0;
  readonly pidHistory: number[] = [];
  lastRestartMs: number | null = null;
  lastRecoveryMs: number | null = null;
  /** What the supervisor wants: keep it running, stop it, or restart it once it exited. */
  intent: 'run' | 'stop' | 'restart' = 'run';

  private readonly lines: string[] = [];
  /** The child's last non-empty stderr line: what a crash-loop warning quotes. */
  private lastStderr: string | null = null;
  private partial = '';
  private log: WriteStream | null = null;
  private readonly policy: RestartPolicy;
  private recovery: Recovery | null = null;
  private spawnedAt = 0;
  private backoffTimer: NodeJS.Timeout | null = null;
  /** Pause holds: SIGSTOP with the first, SIGCONT when the last is released. */
  private readonly holds = new Set<symbol>();
  private readonly pauseTimers = new Set<NodeJS.Timeout>();
  private checkTimer: NodeJS.Timeout | null = null;
  private checkAbort: AbortController | null = null;
  private checkGeneration = 0;
  private successes = 0;
  private failures = 0;
  private exitWaiters: Array<() => void> = [];
  readonly record: ManifestProcess;

  constructor(
    readonly config: ProcessConfig,
    readonly logFile: string,
    private readonly sup: SupervisorImpl,
  ) {
    this.policy = new RestartPolicy(config.restart);
    this.record = {
      command: config.command,
      args: config.args,
      log_file: logFile,
      pid: null,
      state: 'stopped',
      health: 'unhealthy',
      paused: false,
      restart_count: 0,
      pid_history: [],
      restarts: [],
      events: [],
      events_dropped: 0,
    };
  }

  get name(): string {
    return this.config.name;
  }

  info(): ProcessInfo {
    return {
      name: this.name,
      state: this.state,
      pid: this.pid,
      health: this.healthState,
      restartCount: this.restartCount,
      paused: this.paused,
      pidHistory: [...this.pidHistory],
      lastLines: [...this.lines],
      logFile: this.logFile,
      lastRestartMs: this.lastRestartMs,
      lastRecoveryMs: this.lastRecoveryMs,
    };
  }

  /** Spawns the process now. `recovery` is set when this spawn follows an exit. */
  spawnNow(recovery: Recovery | null): void {
    this.adopt(this.launch(), recovery);
  }

  /** The spawn itself and the child's listeners, nothing else (it runs before an exit's bookkeeping). */
  private launch(): ChildProcess | Error {
    const { command, args, cwd, env } = this.config;
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        ...(cwd !== undefined ? { cwd } : {}),
        env: childEnv(process.env, env),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
    this.child = child;
    this.spawnedAt = performance.now();
    let exited = false;
    const exitOnce = (code: number | null, signal: NodeJS.Signals | null, reason: string | null) => {
      if (exited) return;
      exited = true;
      this.onExit(child, code, signal, reason);
    };
    child.once('exit', (code, signal) => exitOnce(code, signal, null));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) exitOnce(null, null, `spawn failed: ${err.code ?? err.message}`);
      else this.sup.logger.warn({ process: this.name, err: err.message }, 'child process error');
    });
    child.stdout?.on('data', (chunk: Buffer) => this.output(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.output(chunk);
      const last = chunk.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1);
      if (last !== undefined) this.lastStderr = last.slice(0, 500);
    });
    return child;
  }

  /** Bookkeeping of a launched child: state, pid history, events, metrics, health checks. */
  private adopt(launched: ChildProcess | Error, recovery: Recovery | null): void {
    this.clearBackoff();
    this.intent = 'run';
    this.recovery = recovery;
    if (launched instanceof Error) {
      this.onExit(null, null, null, `spawn failed: ${launched.message}`);
      return;
    }
    const child = launched;
    const spawnedAt = this.spawnedAt;
    const { command, args } = this.config;
    const pid = child.pid;
    if (pid === undefined) {
      this.pid = null;
      this.setState({ kind: 'starting', since: Date.now() });
      return; // 'error' follows
    }
    this.pid = pid;
    this.sup.watchdog.add(pid);
    this.pidHistory.push(pid);
    this.record.pid_history.push(pid);
    this.record.pid = pid;
    this.setState({ kind: 'starting', since: Date.now() });
    child.once('spawn', () => {
      if (this.child === child && this.state.kind === 'starting') this.setState({ kind: 'running', pid, since: Date.now() });
    });
    this.logLine(`--- ${iso()} started pid ${pid}: ${[command, ...args].join(' ')}`);
    const now = Date.now();
    this.sup.emit({ type: 'started', name: this.name, pid, time: now }, { pid });
    if (recovery) {
      const restartMs = round(spawnedAt - recovery.exitSeenAt);
      recovery.record.restart_ms = restartMs;
      (recovery.record as { pid_after: number | null }).pid_after = pid;
      this.lastRestartMs = restartMs;
      this.restartCount += 1;
      this.record.restart_count = this.restartCount;
      this.sup.metrics?.restarts.inc({ process: this.name, cause: recovery.record.cause });
      this.sup.metrics?.restartMs.observe({ process: this.name }, restartMs);
      this.sup.emit({ type: 'restarted', name: this.name, pid, restartMs, time: now }, { pid, restart_ms: restartMs });
    }
    this.sup.metrics?.up.set({ process: this.name }, 1);
    this.setHealth('degraded', null);
    this.startChecks();
  }

  private onExit(child: ChildProcess | null, code: number | null, signal: NodeJS.Signals | null, reason: string | null): void {
    const exitSeenAt = performance.now();
    if (child !== null && child !== this.child) return;
    const pid = this.pid;
    const uptimeMs = exitSeenAt - this.spawnedAt;
    this.child = null;
    this.pid = null;
    this.record.pid = null;
    if (pid !== null) {
      // The leader is gone; take the rest of its group with it (supervisord's killasgroup).
      signalGroup(pid, 'SIGKILL');
      this.sup.watchdog.remove(pid);
    }
    this.clearPause();
    this.stopChecks();
    this.flushPartial();
    if (this.recovery && this.recovery.record.recovery_ms === null) {
      // It died again before recovering: that restart never recovered.
      this.recovery = null;
    }

    // Decide first; when the answer is "now", spawn before any bookkeeping (listeners, logging):
    // restart speed is the point.
    let next: RestartDecision | { readonly kind: 'stopped' } | { readonly kind: 'manual' };
    if (this.intent === 'stop' || this.sup.stopping) {
      next = { kind: 'stopped' };
    } else if (this.intent === 'restart') {
      this.policy.reset();
      next = { kind: 'manual' };
    } else {
      next = this.policy.onExit(exitSeenAt, uptimeMs, code, signal);
    }
    const launched = next.kind === 'manual' || (next.kind === 'restart' && next.delayMs === 0) ? this.launch() : null;

    this.sup.metrics?.up.set({ process: this.name }, 0);
    const time = Date.now();
    this.sup.emit(
      { type: 'exited', name: this.name, pid: pid ?? 0, code, signal, time },
      { ...(pid !== null ? { pid } : {}), code, signal, ...(reason ? { reason } : {}) },
    );
    this.logLine(`--- ${iso(time)} exited pid ${pid ?? '-'} code ${code ?? '-'} signal ${signal ?? '-'}${reason ? ` (${reason})` : ''}`);
    this.setHealth('unhealthy', reason ?? `exited (code ${code ?? '-'}, signal ${signal ?? '-'})`);
    const waiters = this.exitWaiters;
    this.exitWaiters = [];

    const restartRecord = (cause: ManifestRestart['cause']): Recovery => {
      const record: ManifestRestart = { cause, exited_at: iso(time), pid_before: pid, pid_after: null, restart_ms: null, recovery_ms: null };
      this.record.restarts.push(record);
      return { exitSeenAt, record };
    };

    if (next.kind === 'stopped' || next.kind === 'stop') {
      this.setState({ kind: 'stopped', exitCode: code, signal });
    } else if (launched !== null) {
      this.adopt(launched, restartRecord(next.kind === 'manual' ? 'manual' : 'exit'));
    } else if (next.kind === 'restart') {
      const retryAt = Date.now() + next.delayMs;
      const recovery = restartRecord('exit');
      // A restart that must wait is a crash loop (the first restart is immediate): say so, and why.
      this.sup.logger.warn(
        { process: this.name, attempt: next.attempt, delay_ms: next.delayMs, code, signal, last_stderr: this.lastStderr },
        'process is crash-looping: restarting after a backoff',
      );
      this.setState({ kind: 'backoff', attempt: next.attempt, retryAt });
      this.backoffTimer = setTimeout(() => {
        this.backoffTimer = null;
        if (this.state.kind === 'backoff' && !this.sup.stopping) this.spawnNow(recovery);
      }, next.delayMs);
    } else if (next.kind === 'fatal') {
      this.setState({ kind: 'fatal', reason: next.reason, since: Date.now() });
      this.sup.logger.error({ process: this.name, reason: next.reason }, 'process is fatal');
      this.sup.emit({ type: 'fatal', name: this.name, reason: next.reason, time: Date.now() }, { reason: next.reason });
    }
    for (const w of waiters) w();
  }

  /** Starts a process that is not running (backoff, stopped, fatal) now, forgetting its crash loop. */
  revive(): void {
    this.policy.reset();
    const record: ManifestRestart = { cause: 'manual', exited_at: iso(), pid_before: null, pid_after: null, restart_ms: null, recovery_ms: null };
    this.record.restarts.push(record);
    this.spawnNow({ exitSeenAt: performance.now(), record });
  }

  /** Resolves at the next exit of the current child (at once when none runs). */
  waitExit(): Promise<void> {
    if (this.child === null) return Promise.resolve();
    return new Promise((resolveExit) => this.exitWaiters.push(resolveExit));
  }

  /** Sends `signal` to the group; a paused group gets SIGCONT too so that it can act on it. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.pid === null) return false;
    const sent = signalGroup(this.pid, signal);
    if (this.paused && signal !== 'SIGKILL' && signal !== 'SIGSTOP') {
      signalGroup(this.pid, 'SIGCONT');
      this.clearPause();
    }
    return sent;
  }

  /** Stop signal, then SIGKILL after stop_timeout_ms; resolves when it exited. */
  async terminate(intent: 'stop' | 'restart'): Promise<void> {
    this.intent = intent;
    this.clearBackoff();
    if (this.child === null) return;
    const exited = this.waitExit();
    this.signal(this.config.stopSignal);
    const pid = this.pid;
    const killTimer = setTimeout(() => {
      if (pid !== null && this.pid === pid) {
        this.sup.logger.warn({ process: this.name, pid, stopTimeoutMs: this.config.stopTimeoutMs }, 'stop timeout; sending SIGKILL');
        signalGroup(pid, 'SIGKILL');
      }
    }, this.config.stopTimeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(killTimer);
    }
  }

  /**
   * Holds the group stopped until the returned release is called. Holds stack: SIGSTOP with the
   * first, SIGCONT when the last one is released (or when the process exits).
   */
  hold(reason: string): { pid: number; release: () => void } {
    if (this.pid === null) throw new ProcessStateError(this.name, 'pause', this.state.kind);
    const token = Symbol(reason);
    if (this.holds.size === 0 || !this.paused) signalGroup(this.pid, 'SIGSTOP');
    this.holds.add(token);
    this.paused = true;
    this.record.paused = true;
    this.sup.logEvent(this, { type: 'paused', time: iso(), pid: this.pid, reason });
    const pid = this.pid;
    return {
      pid,
      release: () => {
        if (!this.holds.delete(token)) return;
        if (this.holds.size === 0) this.resume();
      },
    };
  }

  /** SIGSTOPs the group for `durationMs` (a hold released by a timer); returns the pid paused. */
  pause(durationMs: number): number {
    const { pid, release } = this.hold(`for ${durationMs} ms`);
    const timer = setTimeout(() => {
      this.pauseTimers.delete(timer);
      release();
    }, durationMs);
    this.pauseTimers.add(timer);
    return pid;
  }

  /** Releases every hold now: SIGCONT. */
  resume(): void {
    if (!this.paused) return;
    if (this.pid !== null) signalGroup(this.pid, 'SIGCONT');
    this.clearPause();
    this.sup.logEvent(this, { type: 'resumed', time: iso(), ...(this.pid !== null ? { pid: this.pid } : {}) });
  }

  /** Cancels any pending restart and pause; the process stays as it is. */
  dispose(): void {
    this.clearBackoff();
    this.stopChecks();
    for (const t of this.pauseTimers) clearTimeout(t);
    this.log?.end();
    this.log = null;
  }

  setState(state: ProcessState): void {
    this.state = state;
    this.record.state = state.kind;
    this.sup.changed();
  }

  private clearBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
  }

  private clearPause(): void {
    for (const t of this.pauseTimers) clearTimeout(t);
    this.pauseTimers.clear();
    this.holds.clear();
    this.paused = false;
    this.record.paused = false;
  }

  private setHealth(health: Health, reason: string | null): void {
    const before = this.healthState;
    if (before === health) return;
    this.healthState = health;
    this.record.health = health;
    this.sup.metrics?.health.set({ process: this.name }, healthValue[health]);
    if (before === 'healthy') {
      const why = reason ?? 'health check failing';
      this.sup.emit({ type: 'unhealthy', name: this.name, reason: why, time: Date.now() }, { reason: why });
    }
    this.sup.changed();
  }

  private markHealthy(): void {
    if (this.healthState === 'healthy') return;
    let recoveryMs: number | null = null;
    if (this.recovery) {
      recoveryMs = round(performance.now() - this.recovery.exitSeenAt);
      this.recovery.record.recovery_ms = recoveryMs;
      this.lastRecoveryMs = recoveryMs;
      this.sup.metrics?.recoveryMs.observe({ process: this.name }, recoveryMs);
      this.recovery = null;
    }
    this.setHealth('healthy', null);
    this.sup.emit({ type: 'healthy', name: this.name, recoveryMs, time: Date.now() }, { recovery_ms: recoveryMs });
  }

  private startChecks(): void {
    this.stopChecks();
    this.successes = 0;
    this.failures = 0;
    const health = this.config.health;
    if (!health) {
      this.markHealthy();
      return;
    }
    const generation = ++this.checkGeneration;
    let passedSinceSpawn = false;
    const tick = async () => {
      this.checkTimer = null;
      const abort = new AbortController();
      this.checkAbort = abort;
      const result = await runHealthCheck(health, abort.signal);
      if (generation !== this.checkGeneration) return;
      this.checkAbort = null;
      if (result.ok) {
        passedSinceSpawn = true;
        this.successes += 1;
        this.failures = 0;
        if (this.successes >= health.healthyAfter) this.markHealthy();
      } else {
        this.failures += 1;
        this.successes = 0;
        if (this.healthState === 'healthy' && this.failures >= health.unhealthyAfter) this.setHealth('degraded', result.reason);
      }
      // Fast only while a fresh spawn has not passed yet (bounded): a service that is degraded
      // later (paused, overloaded) is not hammered at the recovery rate.
      const fast = !passedSinceSpawn && performance.now() - this.spawnedAt < FAST_CHECK_WINDOW_MS;
      this.checkTimer = setTimeout(tick, fast ? health.recoveryIntervalMs : health.intervalMs);
    };
    this.checkTimer = setTimeout(tick, health.recoveryIntervalMs);
  }

  private stopChecks(): void {
    this.checkGeneration += 1;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checkTimer = null;
    this.checkAbort?.abort();
    this.checkAbort = null;
  }

  private openLog(): WriteStream {
    if (!this.log) {
      mkdirSync(dirname(this.logFile), { recursive: true });
      this.log = createWriteStream(this.logFile, { flags: 'a' });
      this.log.on('error', (err) => this.sup.logger.warn({ process: this.name, err: err.message }, 'cannot write log file'));
    }
    return this.log;
  }

  private logLine(line: string): void {
    this.openLog().write(`${line}\n`);
  }

  private output(chunk: Buffer): void {
    this.openLog().write(chunk);
    if (this.config.logLines === 0) return;
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 4096) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) this.keep(line);
  }

  private flushPartial(): void {
    if (this.partial !== '') this.keep(this.partial);
    this.partial = '';
  }

  private keep(line: string): void {
    this.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (this.lines.length > this.config.logLines) this.lines.splice(0, this.lines.length - this.config.logLines);
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Signals land asynchronously: answer once the leader is really stopped, so that a caller probing
 * right after sees a paused service (Linux /proc; elsewhere, return at once).
 */
async function waitStopped(p: ManagedProcess, pid: number): Promise<void> {
  const deadline = Date.now() + 250;
  while (p.paused && p.pid === pid && Date.now() < deadline && procState(pid) !== 'T' && procState(pid) !== null) {
    await new Promise((r) => setTimeout(r, 1));
  }
}

class SupervisorImpl implements Supervisor {
  readonly runId: string;
  readonly runDir: string;
  readonly manifestPath: string;
  readonly logger: SupervisorLogger;
  readonly metrics: SupervisorMetrics | null;
  readonly watchdog = new Watchdog();
  stopping = false;

  private readonly processes = new Map<string, ManagedProcess>();
  private readonly listeners = new Set<(event: SupervisorEvent) => void>();
  private readonly manifest: ManifestWriter;
  private readonly startedAt = iso();
  private readonly hash: string;
  private readonly annotations: Record<string, unknown> = {};
  private stoppedAt: string | null = null;
  private started = false;
  private stopPromise: Promise<void> | null = null;
  private readonly exitHook = () => this.killAllSync();
  private readonly signalHandlers: Array<[NodeJS.Signals, () => void]> = [];

  constructor(
    config: readonly ProcessConfig[],
    private readonly options: SupervisorOptions,
  ) {
    this.runId = options.runId ?? defaultRunId();
    this.runDir = resolve(options.runsDir ?? 'runs', this.runId);
    this.manifestPath = join(this.runDir, 'manifest.json');
    this.logger = options.logger ?? noopLogger;
    this.metrics = options.registry ? createSupervisorMetrics(options.registry) : null;
    this.hash = configHash(config);
    for (const p of config) {
      const logFile = resolve(p.logFile ?? join(options.logDir ?? join(this.runDir, 'logs'), `${p.name}.log`));
      const managed = new ManagedProcess(p, logFile, this);
      this.processes.set(p.name, managed);
      this.metrics?.up.set({ process: p.name }, 0);
      this.metrics?.health.set({ process: p.name }, healthValue.unhealthy);
      this.metrics?.restarts.inc({ process: p.name, cause: 'exit' }, 0);
    }
    this.manifest = new ManifestWriter(this.manifestPath, () => this.snapshot(), options.manifestDebounceMs ?? 25, (err) =>
      this.logger.error({ err: String(err), path: this.manifestPath }, 'cannot write the run manifest'),
    );
  }

  async start(): Promise<void> {
    if (this.stopping) throw new SupervisorStoppedError('start');
    if (this.started) return;
    this.started = true;
    this.watchdog.start();
    process.on('exit', this.exitHook);
    if (this.options.handleSignals) {
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        const handler = () => void this.onHostSignal(sig);
        process.on(sig, handler);
        this.signalHandlers.push([sig, handler]);
      }
    }
    for (const p of this.processes.values()) p.spawnNow(null);
    this.logger.info({ runId: this.runId, processes: [...this.processes.keys()], manifest: this.manifestPath }, 'supervisor started');
    await this.manifest.flush();
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.processes.values()].map((p) => p.terminate('stop')));
    for (const p of this.processes.values()) {
      if (p.state.kind === 'backoff' || p.state.kind === 'starting' || p.state.kind === 'running') {
        p.setState({ kind: 'stopped', exitCode: null, signal: null });
      }
      p.dispose();
    }
    this.watchdog.close();
    process.removeListener('exit', this.exitHook);
    for (const [sig, handler] of this.signalHandlers) process.removeListener(sig, handler);
    this.signalHandlers.length = 0;
    this.stoppedAt = iso();
    await this.manifest.flush();
    this.logger.info({ runId: this.runId }, 'supervisor stopped');
  }

  private async onHostSignal(sig: NodeJS.Signals): Promise<void> {
    this.logger.info({ signal: sig }, 'host signal: stopping supervised processes');
    await this.stop();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  }

  /** Last resort at host exit: SIGKILL every live group and write the manifest synchronously. */
  private killAllSync(): void {
    for (const p of this.processes.values()) {
      if (p.pid !== null) signalGroup(p.pid, 'SIGKILL');
    }
    this.stoppedAt ??= iso();
    this.manifest.flushSync();
  }

  list(): ProcessInfo[] {
    return [...this.processes.values()].map((p) => p.info());
  }

  get(name: string): ProcessInfo | undefined {
    return this.processes.get(name)?.info();
  }

  health(): Health {
    let worst: Health = 'healthy';
    for (const p of this.processes.values()) {
      if (p.healthState === 'unhealthy') return 'unhealthy';
      if (p.healthState === 'degraded') worst = 'degraded';
    }
    return worst;
  }

  private must(name: string): ManagedProcess {
    const p = this.processes.get(name);
    if (!p) throw new ProcessNotFoundError(name, [...this.processes.keys()]);
    return p;
  }

  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.must(name);
    if (this.stopping) throw new SupervisorStoppedError('kill');
    if (p.pid === null) throw new ProcessStateError(name, 'kill', p.state.kind);
    const pid = p.pid;
    this.logEvent(p, { type: 'killed', time: iso(), pid, signal });
    p.signal(signal);
  }

  async pause(name: string, durationMs: number): Promise<void> {
    const p = this.must(name);
    if (this.stopping) throw new SupervisorStoppedError('pause');
    if (!Number.isFinite(durationMs) || durationMs < 0) {
      throw new ValidationError('pause', [{ path: 'duration_ms', message: 'must be a number >= 0' }], 'FL_ERR_PLAN_INVALID');
    }
    const pid = p.pause(durationMs);
    await waitStopped(p, pid);
  }

  async hold(name: string, reason = 'paused'): Promise<() => void> {
    const p = this.must(name);
    if (this.stopping) throw new SupervisorStoppedError('pause');
    const { pid, release } = p.hold(reason);
    await waitStopped(p, pid);
    return release;
  }

  async resume(name: string): Promise<void> {
    this.must(name).resume();
  }

  async restart(name: string): Promise<void> {
    const p = this.must(name);
    if (this.stopping) throw new SupervisorStoppedError('restart');
    if (p.child !== null) {
      await p.terminate('restart');
      return; // the exit handler spawned the new process
    }
    p.revive();
  }

  waitHealthy(name: string, timeoutMs: number): Promise<void> {
    const p = this.must(name);
    if (p.healthState === 'healthy') return Promise.resolve();
    return new Promise((resolveWait, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        sub.dispose();
        if (err) reject(err);
        else resolveWait();
      };
      const timer = setTimeout(() => done(new ProcessHealthTimeoutError(name, timeoutMs, p.healthState)), timeoutMs);
      const sub = this.onEvent((e) => {
        if (e.name !== name) return;
        if (e.type === 'healthy') done();
        else if (e.type === 'fatal') done(new ProcessStateError(name, 'wait for health of', 'fatal'));
      });
    });
  }

  onEvent(listener: (event: SupervisorEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  annotate(key: string, value: unknown): void {
    this.annotations[key] = value;
    this.manifest.markDirty();
  }

  /** Emits an event to listeners and records it in the manifest. */
  emit(event: SupervisorEvent, fields: Omit<ManifestEvent, 'type' | 'time'>): void {
    const p = this.processes.get(event.name);
    if (p) this.logEvent(p, { type: event.type, time: iso(event.time), ...fields });
    if (event.type === 'fatal' || event.type === 'unhealthy') this.logger.warn({ ...event }, `process ${event.type}`);
    else this.logger.info({ ...event }, `process ${event.type}`);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err: String(err) }, 'supervisor event listener threw');
      }
    }
  }

  logEvent(p: ManagedProcess, event: ManifestEvent): void {
    const events = p.record.events;
    events.push(event);
    if (events.length > MAX_EVENTS) {
      events.splice(0, events.length - MAX_EVENTS);
      p.record.events_dropped += 1;
    }
    this.changed();
  }

  changed(): void {
    this.manifest.markDirty();
  }

  private snapshot(): Manifest {
    const processes: Record<string, ManifestProcess> = {};
    for (const [name, p] of this.processes) processes[name] = p.record;
    return {
      run_id: this.runId,
      started_at: this.startedAt,
      updated_at: iso(),
      stopped_at: this.stoppedAt,
      config_hash: this.hash,
      health: this.health(),
      processes,
      annotations: this.annotations,
    };
  }
}

/**
 * Creates a supervisor for the `processes:` section of faultline.yaml (wire form, snake_case;
 * an already parsed section is accepted too). Nothing runs until `start()`.
 * @throws ValidationError (FL_ERR_SUPERVISOR_CONFIG_INVALID) naming each bad field's path.
 * @example
 * const sup = createSupervisor([{ name: 'api', command: 'node', args: ['server.js'],
 *   health: { http: { url: 'http://127.0.0.1:3000/health' } } }], { registry });
 * await sup.start();
 * await sup.kill('api'); // SIGKILL; restarted at once, recovery_ms lands in runs/<run_id>/manifest.json
 */
export function createSupervisor(config: readonly ProcessConfigWire[], options: SupervisorOptions = {}): Supervisor {
  const processes = parseProcessesConfig(config);
  if (options.runId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(options.runId)) {
    throw new ValidationError('supervisor options', [{ path: 'run_id', message: 'must be letters, digits, . _ - (no slashes)' }], 'FL_ERR_SUPERVISOR_CONFIG_INVALID');
  }
  return new SupervisorImpl(processes, options);
}
