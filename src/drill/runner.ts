/**
 * The drill runner.
 *
 *   preflight ─▶ baseline ─▶ inject ─▶ recover ─▶ rollback ─▶ verify ─▶ cleanup ─▶ report
 *                 └──────── load runs ────────┘      ▲ always, once inject started
 *                 └── stop conditions (every second over the load) ──▶ halt, abort ┘
 *
 * Every activity lands in the journal; nothing a step does is thrown. Rollbacks and cleanup run
 * on success, on a failed step, on a tripped stop condition and on SIGINT/SIGTERM (pass the
 * CLI's AbortSignal); the report is written in every case.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { HttpExecutorClient } from '../client/index.js';
import { sleep, splitHostPort } from '../common/index.js';
import { snakifyKeys } from '../plan/index.js';
import { runStep, stepName } from './actions.js';
import { DrillExecutorError } from './errors.js';
import {
  ExitCode,
  emptyJournal,
  newRunId,
  writeReport,
  type AlertRecord,
  type CheckResult,
  type FaultRecord,
  type Journal,
  type PhaseName,
  type PhaseRecord,
  type ProbeResult,
  type StepResult,
} from './journal.js';
import { LoadGenerator, streamsFromSpec, type AckRecord, type LiveStats } from './load/index.js';
import { compare, metricValue, parseMetricExpr, runCheck, runProbe, type DrillExecutorClient, type ProbeEnv } from './probes.js';
import { STOP_RE, type Drill, type Probe, type Step } from './spec.js';
import { renderConfig, renderValue, type TemplateContext } from './template.js';

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

interface EmbeddedExecutor {
  readonly url: string;
  readonly supervisor?: { onEvent(listener: (event: Record<string, unknown>) => void): { dispose(): void } } | undefined;
  close(): Promise<void>;
}

type StartExecutor = (options: Record<string, unknown>) => Promise<EmbeddedExecutor>;

const errMsg = (err: unknown) => (err instanceof Error ? err.message : String(err));
const iso = (ms: number = Date.now()) => new Date(ms).toISOString();

class DrillRun {
  readonly #drill: Drill;
  readonly #opts: RunOptions;
  readonly journal: Journal;
  readonly #runDir: string;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #steps: Record<string, unknown> = {};
  readonly #results: Record<string, unknown> = {};
  #proxies: Record<string, unknown> = {};
  #executorUrl: string | null = null;
  #client: DrillExecutorClient | undefined;
  #embedded: EmbeddedExecutor | undefined;
  #eventSub: { dispose(): void } | undefined;
  #load: LoadGenerator | undefined;
  #acks: WriteStream | undefined;
  #phase: PhaseName = 'preflight';
  #phaseLoadWindows = new Map<PhaseName, { fromS: number; toS: number }>();
  #phaseStartS = 0;
  /** Aborted by a stop condition or an interrupt: stops the method and the waits. */
  readonly #method = new AbortController();
  #aborted = false;
  #interrupted = false;
  #injectStarted = false;
  #preflightFailed = false;
  #ticker: NodeJS.Timeout | undefined;
  #monitor: NodeJS.Timeout | undefined;
  #during: NodeJS.Timeout | undefined;
  #duringBusy = false;
  readonly #t0 = Date.now();
  #tmpDirs: string[] = [];

  constructor(drill: Drill, opts: RunOptions) {
    this.#drill = drill;
    this.#opts = opts;
    this.#env = opts.env ?? process.env;
    const runId = opts.runId ?? newRunId();
    this.#runDir = resolve(opts.reportDir ?? 'reports', runId);
    this.journal = emptyJournal({ runId, name: drill.name, description: drill.description ?? null, file: drill.file });
    this.journal.options = { force: opts.force ?? false, phase: opts.phase ?? null };
    this.journal.executor = { url: drill.executor?.url ?? null, embedded: drill.executor?.embedded === true };
  }

  #emit(event: ProgressEvent): void {
    try {
      this.#opts.onProgress?.(event);
    } catch {
      // A display must never break a run.
    }
  }

  #log(message: string): void {
    this.#emit({ type: 'log', message });
  }

  ctx = (): TemplateContext => ({
    env: this.#env,
    steps: this.#steps,
    results: this.#results,
    proxies: this.#proxies,
    executor: { url: this.#executorUrl },
    run: {
      id: this.journal.runId,
      dir: this.#runDir,
      acks_file: join(this.#runDir, 'acks.jsonl'),
      drill_dir: this.#drill.file ? dirname(resolve(this.#drill.file)) : process.cwd(),
      cwd: process.cwd(),
    },
  });

  #probeEnv(signal?: AbortSignal, defaultWindow?: () => { fromS: number; toS: number } | undefined): ProbeEnv {
    return {
      ctx: this.ctx,
      client: this.#client,
      load: this.#load,
      phaseWindow: (p) => this.#phaseLoadWindows.get(p),
      defaultWindow,
      signal,
    };
  }

  #loadS(): number {
    return this.#load?.elapsedS() ?? 0;
  }

  /**
   * Where "after the faults" starts in the load: the last fault's end plus the request timeout,
   * since load metrics are bucketed by completion and a request sent under the fault may
   * complete up to a timeout later.
   */
  #afterFaultsS(lastEnd: number | null): number {
    const settle = (this.#drill.load?.timeoutMs ?? 0) / 1000;
    return Math.max(this.#phaseStartS, lastEnd === null ? 0 : this.#loadSAt(lastEnd) + settle);
  }

  /** An epoch time in seconds of the load. */
  #loadSAt(epochMs: number): number {
    return this.#load && this.#load.startedAt > 0 ? Math.max(0, (epochMs - this.#load.startedAt) / 1000) : 0;
  }

  #limit(): number {
    return runnablePhases.indexOf(this.#opts.phase ?? 'cleanup');
  }

  #allowed(phase: RunnablePhase): boolean {
    if (this.#opts.phase === 'cleanup') return phase === 'cleanup';
    return runnablePhases.indexOf(phase) <= this.#limit();
  }

  #stopped(): boolean {
    return this.#aborted || this.#interrupted;
  }

  async #phaseRun(name: PhaseName, body: () => Promise<PhaseRecord['status'] | void>): Promise<PhaseRecord['status']> {
    this.#phase = name;
    const rec: PhaseRecord = { name, startedAt: iso(), endedAt: null, status: 'ok' };
    this.journal.phases.push(rec);
    this.#phaseStartS = this.#loadS();
    this.#emit({ type: 'phase', phase: name });
    let status: PhaseRecord['status'] = 'ok';
    try {
      status = (await body()) ?? 'ok';
    } catch (err) {
      status = 'failed';
      this.journal.errors.push(`${name}: ${errMsg(err)}`);
    }
    if (status === 'ok' && this.#interrupted && (name === 'baseline' || name === 'inject' || name === 'recover')) status = 'interrupted';
    else if (status === 'ok' && this.#aborted && (name === 'inject' || name === 'recover')) status = 'aborted';
    rec.endedAt = iso();
    rec.status = status;
    if (this.#load && this.#load.startedAt > 0) {
      // The inject window lasts while its faults do; recover starts when they end.
      const lastEnd = this.#lastFaultEnd();
      const faultEndS = lastEnd === null ? 0 : this.#loadSAt(lastEnd);
      if (name === 'inject') this.#phaseLoadWindows.set(name, { fromS: this.#phaseStartS, toS: Math.max(this.#loadS(), Math.min(faultEndS, this.#drill.load?.durationS ?? faultEndS)) });
      else if (name === 'recover') this.#phaseLoadWindows.set(name, { fromS: this.#afterFaultsS(lastEnd), toS: this.#loadS() });
      else this.#phaseLoadWindows.set(name, { fromS: this.#phaseStartS, toS: this.#loadS() });
    }
    return status;
  }

  #setOutput(name: string | undefined, value: unknown, spread = false): void {
    if (spread && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) if (!this.#drill.results || this.#drill.results.includes(k)) this.#results[k] = v;
    }
    if (name === undefined) return;
    this.#steps[name] = value;
    if (!this.#drill.results || this.#drill.results.includes(name)) this.#results[name] = value;
  }

  async #runProbes(probes: readonly Probe[], when: 'before' | 'during' | 'after' | 'verify', prefix: string, defaultWindow?: () => { fromS: number; toS: number } | undefined): Promise<ProbeResult[]> {
    const out: ProbeResult[] = [];
    for (const [i, p] of probes.entries()) {
      const r = await runProbe(p, this.#probeEnv(undefined, defaultWindow), `${prefix}[${i}]`);
      const { output, ...result } = r;
      this.#setOutput(p.output, output, p.spread);
      out.push(result);
      this.#emit({ type: 'probe', when, result });
    }
    return out;
  }

  async #runSteps(steps: readonly Step[], phase: PhaseName, signal: AbortSignal | undefined, sink: StepResult[]): Promise<void> {
    for (const [i, step] of steps.entries()) {
      if (signal?.aborted) {
        const skipped: StepResult = { phase, name: stepName(step, i), kind: step.kind, status: 'skipped', startedAt: iso(), endedAt: iso(), durationMs: 0, output: null, error: 'not run: the method was stopped' };
        sink.push(skipped);
        this.#emit({ type: 'step', result: skipped });
        continue;
      }
      const r = await runStep(step, phase, i, {
        ...this.#probeEnv(signal),
        onFault: (f) => {
          this.journal.faults.push(f);
          this.#emit({ type: 'fault', fault: f });
        },
      });
      this.#setOutput(step.output, r.output, step.spread);
      sink.push(r);
      this.#emit({ type: 'step', result: r });
      if (r.status === 'failed' && step.stopOnFailure && phase === 'inject') {
        this.journal.verdict.reasons.push(`step ${r.name} failed and has stop_on_failure: the method stopped`);
        break;
      }
    }
  }

  // ---- executor ----------------------------------------------------------------------------

  async #startExecutor(): Promise<void> {
    const ex = this.#drill.executor;
    if (!ex) return;
    const token = ex.token !== undefined ? String(renderValue(ex.token, this.ctx())) : undefined;
    if (ex.embedded) {
      let start: StartExecutor;
      try {
        const mod = (await import('../executor/index.js' as string)) as { startExecutor?: StartExecutor };
        if (!mod.startExecutor) throw new Error('the executor module has no startExecutor');
        start = mod.startExecutor;
      } catch (err) {
        throw new DrillExecutorError(`cannot load the embedded executor: ${errMsg(err)}`, err);
      }
      const config = renderConfig(ex.config ?? {}, this.ctx());
      const runsDir = this.#opts.writeReport === false ? await this.#tmp() : join(this.#runDir, 'runs');
      this.#embedded = await start({ config, listen: '127.0.0.1:0', statePath: ':memory:', embedded: true, runsDir, logger: await this.#executorLogger(), ...(token !== undefined ? { token } : {}) });
      this.#executorUrl = this.#embedded.url;
      this.#eventSub = this.#embedded.supervisor?.onEvent((e) => this.#processEvent(e));
    } else {
      this.#executorUrl = String(renderValue(ex.url ?? '', this.ctx()));
    }
    this.journal.executor.url = this.#executorUrl;
    this.#client = new HttpExecutorClient({
      baseUrl: this.#executorUrl,
      ...(token !== undefined ? { token } : {}),
      retry: { maxAttempts: 3, initialDelayMs: 50 },
      readTimeoutMs: 10_000,
    }) as unknown as DrillExecutorClient;
    await this.#refreshProxies();
  }

  /** The embedded executor logs into the report folder (`executor.log`), not over the progress display. */
  async #executorLogger(): Promise<unknown> {
    const { default: pino } = await import('pino');
    if (this.#opts.writeReport === false) return pino({ level: 'error' }, process.stderr);
    await mkdir(this.#runDir, { recursive: true });
    return pino({ level: process.env.FAULTLINE_LOG_LEVEL ?? 'info', base: { service: 'faultline', mode: 'embedded' } }, pino.destination({ dest: join(this.#runDir, 'executor.log'), sync: true }));
  }

  async #refreshProxies(): Promise<void> {
    if (!this.#client) return;
    try {
      const body = await this.#client.call<{ proxies?: { name: string; listen: string; upstream?: string; protocol?: string }[] }>('GET', '/v1/proxies');
      const out: Record<string, unknown> = {};
      for (const p of body.proxies ?? []) {
        const { host, port } = splitHostPort(p.listen);
        out[p.name] = { listen: p.listen, url: `http://${p.listen}`, host: p.listen.startsWith('[') ? `[${host}]` : host, port, upstream: p.upstream ?? null, protocol: p.protocol ?? null };
      }
      this.#proxies = out;
    } catch {
      // An executor without proxies (or an older one): templates that need them say so.
    }
  }

  #processEvent(e: Record<string, unknown>): void {
    const { type, name, pid, time, ...detail } = e;
    this.journal.processes.events.push({
      time: iso(typeof time === 'number' ? time : Date.now()),
      name: String(name ?? ''),
      type: String(type ?? ''),
      pid: typeof pid === 'number' ? pid : null,
      detail: snakifyKeys(detail),
    });
  }

  async #tmp(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'faultline-drill-'));
    this.#tmpDirs.push(d);
    return d;
  }

  // ---- load, monitors ------------------------------------------------------------------------

  async #startLoad(): Promise<void> {
    const spec = this.#drill.load;
    if (!spec) return;
    const streams = streamsFromSpec(spec);
    const needsAcks = streams.some((s) => s.templates.some((t) => t.ack));
    if (needsAcks && this.#opts.writeReport !== false) {
      await mkdir(this.#runDir, { recursive: true });
      this.#acks = createWriteStream(join(this.#runDir, 'acks.jsonl'));
    }
    this.#load = new LoadGenerator({
      streams,
      durationS: spec.durationS,
      timeoutMs: spec.timeoutMs,
      connections: spec.connections,
      maxInFlight: spec.maxInFlight,
      context: this.ctx,
      onAck: this.#acks ? (a: AckRecord) => this.#acks?.write(`${JSON.stringify({ template: a.template, seq: a.seq, status: a.status, at: iso(a.at), vars: a.vars })}\n`) : undefined,
    } as ConstructorParameters<typeof LoadGenerator>[0]);
    this.#load.start();
    this.#startMonitor();
  }

  #startMonitor(): void {
    const load = this.#load;
    if (!load || this.#drill.stopConditions.length === 0) return;
    const conds = this.#drill.stopConditions.map((c) => {
      const m = STOP_RE.exec(c.condition);
      const expr = parseMetricExpr(m ? (m[1] ?? '') : c.condition);
      return { spec: c, ...expr, forS: Math.max(1, Math.ceil(Number(m?.[2] ?? 1))), streak: 0 };
    });
    let lastSecond = -1;
    this.#monitor = setInterval(() => {
      const sec = Math.floor(load.elapsedS()) - 1;
      if (sec <= lastSecond || sec < 0) return;
      for (let s = lastSecond + 1; s <= sec; s++) {
        for (const c of conds) {
          const w = load.window(s, s + 1, c.spec.stream);
          if (w.requests < c.spec.minRequests) continue;
          const value = metricValue(c.metric, w);
          c.streak = compare(value, c.op, c.threshold) ? c.streak + 1 : 0;
          if (c.streak >= c.forS && !this.#aborted) void this.#trip(c.spec.condition, value, c.forS);
        }
      }
      lastSecond = sec;
    }, 200);
  }

  async #trip(rule: string, value: number, forS: number): Promise<void> {
    if (this.#stopped()) return;
    this.#aborted = true;
    const alert: AlertRecord = {
      rule,
      kind: 'stop_condition',
      firedAt: iso(),
      resolvedAt: null,
      value: Math.round(value * 10_000) / 10_000,
      message: `stop condition held for ${forS} s (value ${Math.round(value * 10_000) / 10_000}): method stopped, faults halted`,
    };
    this.journal.alerts.push(alert);
    this.#emit({ type: 'alert', alert });
    this.#method.abort(new Error(`stop condition: ${rule}`));
    await this.#haltFaults('stop condition');
  }

  async #haltFaults(why: string): Promise<void> {
    if (!this.#client) return;
    try {
      await this.#client.halt();
      const now = iso();
      for (const f of this.journal.faults) if (f.end !== null && f.end > now) f.end = now;
      this.#log(`executor halted (${why})`);
    } catch (err) {
      this.journal.errors.push(`halt after ${why} failed: ${errMsg(err)}`);
    }
  }

  #activeFaults(): string[] {
    const now = iso();
    return this.journal.faults.filter((f) => f.start !== null && f.start <= now && f.end !== null && f.end > now).map((f) => `${f.faultType}@${f.target}`);
  }

  #startTicker(): void {
    const totalS = this.#drill.load ? this.#drill.load.durationS + (this.#drill.baselineS !== undefined && this.#drill.baselineS > this.#drill.load.durationS ? this.#drill.baselineS - this.#drill.load.durationS : 0) : null;
    this.#ticker = setInterval(() => {
      this.#emit({
        type: 'tick',
        phase: this.#phase,
        elapsedS: (Date.now() - this.#t0) / 1000,
        totalS,
        live: this.#load?.active ? this.#load.live() : null,
        activeFaults: this.#activeFaults(),
      });
    }, this.#opts.tickMs ?? 500);
  }

  #startDuring(): void {
    const during = this.#drill.steadyState.during;
    const probes = this.#drill.steadyState.probes;
    if (!during || probes.length === 0) return;
    this.#during = setInterval(() => {
      if (this.#duringBusy) return;
      this.#duringBusy = true;
      const window = () => ({ fromS: Math.max(0, this.#loadS() - during.intervalS), toS: this.#loadS() + 1 });
      void this.#runProbes(probes, 'during', 'steady_state.probes', window)
        .then((rs) => this.journal.steadyState.during.push(...rs))
        .finally(() => (this.#duringBusy = false));
    }, during.intervalS * 1000);
  }

  #stopTimers(): void {
    for (const t of [this.#monitor, this.#during, this.#ticker]) if (t) clearInterval(t);
    this.#monitor = this.#during = this.#ticker = undefined;
  }

  // ---- phases --------------------------------------------------------------------------------

  async #preflight(): Promise<void> {
    await this.#phaseRun('preflight', async () => {
      if (this.#drill.executor) {
        const t = performance.now();
        let ok = false;
        let message = '';
        try {
          await this.#startExecutor();
          ok = (await this.#client?.checkHealth()) ?? false;
          message = ok ? `executor at ${this.#executorUrl} answers` : `executor at ${this.#executorUrl} does not answer /v1/health`;
        } catch (err) {
          message = errMsg(err);
        }
        const guidance = this.#drill.executor.embedded ? 'Check the executor config in the drill (executor.config).' : 'Start the executor (`faultline serve`) or fix executor.url.';
        const r: CheckResult = { name: 'executor', kind: 'executor', ok, message, guidance, durationMs: Math.round(performance.now() - t) };
        this.journal.preflight.push(r);
        this.#emit({ type: 'check', result: r });
      }
      // Without a working executor, waiting for a service it should have started is pointless.
      const executorDown = this.journal.preflight.some((r) => r.kind === 'executor' && !r.ok);
      for (const [i, c] of this.#drill.preflight.entries()) {
        if (this.#interrupted) break;
        const r = await runCheck(executorDown ? { ...c, waitS: 0 } : c, this.#probeEnv(this.#opts.signal), `${c.kind}-${i + 1}`);
        this.journal.preflight.push(r);
        this.#emit({ type: 'check', result: r });
      }
      this.#preflightFailed = this.journal.preflight.some((r) => !r.ok);
      return this.#preflightFailed ? 'failed' : 'ok';
    });
  }

  async #baseline(): Promise<boolean> {
    let held = false;
    await this.#phaseRun('baseline', async () => {
      await this.#startLoad();
      const baselineS = this.#drill.baselineS ?? (this.#drill.load ? 3 : 0);
      if (baselineS > 0) await sleep(baselineS * 1000, this.#method.signal);
      if (this.#stopped()) {
        held = true;
        return;
      }
      const start = this.#phaseStartS;
      const rs = await this.#runProbes(this.#drill.steadyState.probes, 'before', 'steady_state.probes', () => ({ fromS: start, toS: this.#loadS() + 1 }));
      this.journal.steadyState.before.push(...rs);
      held = rs.every((r) => r.ok);
      return held ? 'ok' : 'failed';
    });
    return held;
  }

  async #inject(): Promise<void> {
    this.#injectStarted = true;
    this.#startDuring();
    await this.#phaseRun('inject', async () => {
      await this.#runSteps(this.#drill.method, 'inject', this.#method.signal, this.journal.steps);
      // A fault applied while the stop condition tripped would outlive the halt: halt once more.
      if (this.#aborted) await this.#haltFaults('stop condition, after the method stopped');
      return this.journal.steps.some((s) => s.status === 'failed') ? 'failed' : 'ok';
    });
  }

  #lastFaultEnd(): number | null {
    const ends = this.journal.faults.map((f) => (f.end === null ? NaN : Date.parse(f.end))).filter((n) => Number.isFinite(n));
    return ends.length === 0 ? null : Math.max(...ends);
  }

  async #recover(): Promise<void> {
    await this.#phaseRun('recover', async () => {
      const lastEnd = this.#lastFaultEnd();
      if (lastEnd !== null && lastEnd > Date.now()) await sleep(lastEnd - Date.now(), this.#method.signal);
      if (this.#stopped()) return;
      const within = this.#drill.verify.recoveryWithinS;
      if (within !== undefined) await this.#measureRecovery(within, lastEnd ?? Date.now());
      if (this.#stopped()) return;
      if (this.#load && this.#limit() >= runnablePhases.indexOf('recover')) {
        await Promise.race([this.#load.done, new Promise<void>((r) => this.#method.signal.addEventListener('abort', () => r(), { once: true }))]);
      }
      if (this.#stopped()) return;
      const start = this.#afterFaultsS(lastEnd);
      const rs = await this.#runProbes(this.#drill.steadyState.probes, 'after', 'steady_state.probes', () => ({ fromS: start, toS: this.#loadS() + 1 }));
      this.journal.steadyState.after.push(...rs);
      return rs.every((r) => r.ok) ? 'ok' : 'failed';
    });
  }

  async #measureRecovery(withinS: number, lastEnd: number): Promise<void> {
    const probes = this.#drill.verify.recoveryProbes ?? this.#drill.steadyState.probes.filter((p) => p.kind !== 'metric');
    this.journal.recovery = { recoveryMs: null, withinS, ok: null, lastFaultEnd: iso(lastEnd), steadyAt: null };
    if (probes.length === 0) {
      this.journal.verdict.reasons.push('recovery_within_s is set but there is no probe to measure it with (give verify.recovery_probes or non-metric steady-state probes)');
      this.journal.recovery.ok = false;
      return;
    }
    const giveUp = lastEnd + Math.max(withinS * 2000, withinS * 1000 + 5000);
    let last: ProbeResult[] = [];
    while (!this.#stopped()) {
      const at = Date.now();
      last = await Promise.all(probes.map((p, i) => runProbe(p, this.#probeEnv(this.#method.signal), `recovery_probes[${i}]`).then(({ output: _o, ...r }) => r)));
      if (last.every((r) => r.ok)) {
        const ms = Math.max(0, at - lastEnd);
        this.journal.recovery = { recoveryMs: ms, withinS, ok: ms <= withinS * 1000, lastFaultEnd: iso(lastEnd), steadyAt: iso(at) };
        for (const r of last) this.#emit({ type: 'probe', when: 'recovery', result: r });
        this.#log(`steady again ${ms} ms after the last fault ended (limit ${withinS} s)`);
        return;
      }
      if (Date.now() > giveUp) break;
      await sleep(this.#drill.verify.recoveryPollMs, this.#method.signal);
    }
    if (!this.#stopped()) {
      this.journal.recovery.ok = false;
      this.journal.verdict.reasons.push(`not steady again within ${Math.round((giveUp - lastEnd) / 1000)} s of the last fault's end: ${last.filter((r) => !r.ok).map((r) => `${r.name}: ${r.message}`).join('; ')}`);
    }
  }

  async #rollback(): Promise<void> {
    if (this.#drill.rollbacks.length === 0) return;
    await this.#phaseRun('rollback', async () => {
      await this.#runSteps(this.#drill.rollbacks, 'rollback', undefined, this.journal.rollbacks);
      return this.journal.rollbacks.some((s) => s.status === 'failed') ? 'failed' : 'ok';
    });
  }

  async #verify(): Promise<void> {
    await this.#phaseRun('verify', async () => {
      const rs = await this.#runProbes(this.#drill.verify.probes, 'verify', 'verify.probes', () => ({ fromS: 0, toS: this.#loadS() + 1 }));
      this.journal.verify.push(...rs);
      return rs.every((r) => r.ok) ? 'ok' : 'failed';
    });
  }

  async #cleanup(): Promise<void> {
    if (this.#drill.cleanup.length === 0) return;
    await this.#phaseRun('cleanup', async () => {
      await this.#runSteps(this.#drill.cleanup, 'cleanup', undefined, this.journal.cleanup);
      return this.journal.cleanup.some((s) => s.status === 'failed') ? 'failed' : 'ok';
    });
  }

  async #stopLoad(): Promise<void> {
    if (!this.#load) return;
    await this.#load.stop({ abort: this.#stopped() });
    // The monitors read the load; the progress ticker runs on until the end of the run.
    for (const t of [this.#monitor, this.#during]) if (t) clearInterval(t);
    this.#monitor = this.#during = undefined;
    this.journal.load = this.#load.summary();
    await this.#load.close();
    if (this.#acks) await new Promise<void>((r) => this.#acks?.end(r));
    this.#acks = undefined;
  }

  async #collect(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    await Promise.all(
      this.journal.faults.map(async (f) => {
        if (f.applyId === null) return;
        try {
          const st = await client.status(f.applyId);
          f.status = st.status;
          if (st.startTime) f.start = st.startTime;
          if (st.endTime) f.end = st.endTime;
          const obs = (await client.metrics(f.applyId)) as { logs?: unknown[] } & Record<string, unknown>;
          // The last few log lines are enough for a report; the executor keeps the rest.
          f.observation = Array.isArray(obs.logs) ? { ...obs, logs: obs.logs.slice(-10) } : obs;
        } catch (err) {
          f.observation = { error: errMsg(err) };
        }
      }),
    );
    try {
      // Alerts the executor's own rules fired during the run (error rate, latency, breaker...).
      const body = await client.call<{ alerts?: { rule?: string; state?: string; firing?: string; resolved?: string | null; value?: number | null }[] }>('GET', '/v1/alerts');
      const since = iso(this.#t0);
      for (const a of body.alerts ?? []) {
        if (!a.firing || a.firing < since) continue;
        this.journal.alerts.push({ rule: String(a.rule ?? ''), kind: 'alert', firedAt: a.firing, resolvedAt: a.resolved ?? null, value: typeof a.value === 'number' ? a.value : null, message: `executor alert ${a.state ?? ''}`.trim() });
      }
    } catch {
      // An executor without alert rules.
    }
    try {
      const procs = await client.listProcesses();
      this.journal.processes.summary = procs.map((p) => ({
        name: String(p.name),
        restartCount: Number(p.restart_count ?? 0),
        pidHistory: Array.isArray(p.pid_history) ? (p.pid_history as number[]) : [],
        health: p.health === undefined ? null : String(p.health),
        lastRecoveryMs: typeof p.last_recovery_ms === 'number' ? p.last_recovery_ms : null,
      }));
    } catch {
      // No supervisor on that executor.
    }
  }

  async #shutdown(): Promise<void> {
    this.#stopTimers();
    this.#eventSub?.dispose();
    await this.#client?.close().catch(() => undefined);
    if (this.#embedded) {
      try {
        await this.#embedded.close();
      } catch (err) {
        this.journal.errors.push(`closing the embedded executor: ${errMsg(err)}`);
      }
    }
    for (const d of this.#tmpDirs) await rm(d, { recursive: true, force: true }).catch(() => undefined);
  }

  #verdict(): number {
    const j = this.journal;
    const v = j.verdict;
    const steady = [...j.steadyState.before, ...j.steadyState.during, ...j.steadyState.after, ...j.verify];
    const failedProbes = steady.filter((r) => !r.ok);
    v.hypothesisHeld = steady.length === 0 ? null : failedProbes.length === 0;
    v.recovered = j.recovery.ok;
    if (this.#preflightFailed) {
      for (const r of j.preflight.filter((c) => !c.ok)) v.reasons.push(`preflight ${r.name} failed: ${r.message}${r.guidance ? ` — ${r.guidance}` : ''}${this.#opts.force ? ' (forced on)' : ''}`);
      if (!this.#opts.force) {
        j.status = 'failed';
        return ExitCode.PreflightFailed;
      }
    }
    if (this.#interrupted) {
      j.status = 'interrupted';
      v.reasons.push('interrupted (SIGINT/SIGTERM): rollbacks and cleanup ran');
      return ExitCode.Interrupted;
    }
    if (this.#aborted) {
      j.status = 'aborted';
      for (const a of j.alerts.filter((x) => x.kind === 'stop_condition')) v.reasons.push(`stop condition tripped: ${a.rule} (value ${a.value})`);
      return ExitCode.Aborted;
    }
    const problems: string[] = [];
    for (const r of failedProbes) problems.push(`steady state violated: ${r.name}: ${r.message}`);
    for (const s of [...j.steps, ...j.rollbacks, ...j.cleanup].filter((x) => x.status === 'failed')) problems.push(`${s.phase} step ${s.name} failed: ${s.error ?? ''}`);
    if (j.recovery.ok === false && j.recovery.recoveryMs !== null) problems.push(`recovery took ${j.recovery.recoveryMs} ms, limit ${j.recovery.withinS} s`);
    if (j.recovery.ok === false) v.recovered = false;
    for (const e of j.errors) problems.push(e);
    v.reasons.push(...problems);
    const failed = problems.length > 0 || j.recovery.ok === false;
    j.status = failed ? 'failed' : 'completed';
    return failed ? ExitCode.HypothesisViolated : ExitCode.Ok;
  }

  async run(): Promise<RunOutcome> {
    const onAbort = () => {
      if (this.#interrupted) return;
      this.#interrupted = true;
      this.#method.abort(new Error('interrupted'));
      this.#log('interrupted: stopping the method, then rollbacks and cleanup');
    };
    if (this.#opts.signal?.aborted) onAbort();
    this.#opts.signal?.addEventListener('abort', onAbort, { once: true });
    this.#startTicker();
    try {
      if (this.#opts.phase === 'cleanup') {
        await this.#cleanup();
      } else {
        await this.#preflight();
        const go = !this.#interrupted && (!this.#preflightFailed || this.#opts.force === true);
        if (go && this.#allowed('baseline')) {
          const held = await this.#baseline();
          if (!held && !this.#stopped()) this.journal.verdict.reasons.push('the steady state did not hold before any fault: no fault was injected');
          if (held && !this.#stopped() && this.#allowed('inject')) {
            await this.#inject();
            if (!this.#stopped() && this.#allowed('recover')) await this.#recover();
            if (this.#interrupted) await this.#cancelOwnFaults();
          }
          await this.#stopLoad();
          if (this.#injectStarted) await this.#rollback();
          if (!this.#stopped() && this.#injectStarted && this.#allowed('verify')) await this.#verify();
          await this.#cleanup();
        }
      }
    } catch (err) {
      this.journal.errors.push(`runner: ${errMsg(err)}`);
      if (this.#injectStarted && !this.journal.phases.some((p) => p.name === 'rollback')) await this.#rollback().catch(() => undefined);
    } finally {
      this.#opts.signal?.removeEventListener('abort', onAbort);
      await this.#stopLoad().catch((err: unknown) => this.journal.errors.push(`stopping the load: ${errMsg(err)}`));
      await this.#collect();
      await this.#shutdown();
    }
    const exitCode = this.#verdict();
    this.journal.verdict.exitCode = exitCode;
    this.journal.results = { ...this.journal.results, ...this.#results };
    this.journal.endedAt = iso();
    this.journal.durationMs = Date.now() - this.#t0;
    if (this.#opts.writeReport === false) return { journal: this.journal, exitCode };
    const paths = await writeReport(this.journal, dirname(this.#runDir));
    if (paths.htmlError) this.#log(`HTML report failed: ${paths.htmlError}`);
    return { journal: this.journal, exitCode, jsonPath: paths.jsonPath, ...(paths.htmlPath !== undefined ? { htmlPath: paths.htmlPath } : {}) };
  }

  async #cancelOwnFaults(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const now = iso();
    await Promise.all(
      this.journal.faults.map(async (f) => {
        if (f.applyId === null || (f.end !== null && f.end <= now)) return;
        try {
          await client.cancel(f.applyId);
          f.end = iso();
        } catch (err) {
          this.journal.errors.push(`cancelling ${f.applyId}: ${errMsg(err)}`);
        }
      }),
    );
  }
}

/**
 * Runs a validated drill and writes its report.
 * @returns the journal, the exit code (0 held, 1 preflight failed, 2 violated, 3 aborted, 130 interrupted) and the report paths.
 * @example
 * const drill = await loadDrill('examples/drills/http-delay.yaml');
 * const { exitCode, jsonPath } = await runDrill(drill, { reportDir: 'reports' });
 */
export async function runDrill(drill: Drill, options: RunOptions = {}): Promise<RunOutcome> {
  return new DrillRun(drill, options).run();
}

/**
 * Runs only the preflight checks (starting an embedded executor when the drill has one); writes
 * no report.
 * @returns the check results and whether all passed.
 */
export async function checkDrill(drill: Drill, options: Omit<RunOptions, 'phase' | 'writeReport' | 'force'> = {}): Promise<{ ok: boolean; results: CheckResult[]; journal: Journal }> {
  const { journal } = await runDrill(drill, { ...options, phase: 'preflight', writeReport: false });
  return { ok: journal.preflight.every((r) => r.ok), results: journal.preflight, journal };
}
