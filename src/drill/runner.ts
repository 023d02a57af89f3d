/**
 * The drill runner: phase sequencing. What happens inside a phase lives next door: activities
 * (probes, steps, checks), the executor link, the monitors, recovery and the verdict.
 *
 *   preflight ─▶ baseline ─▶ inject ─▶ recover ─▶ rollback ─▶ verify ─▶ cleanup ─▶ report
 *                 └──────── load runs ────────┘      ▲ always, once inject started
 *                 └── stop conditions (every second over the load) ──▶ halt, abort ┘
 *
 * Every activity lands in the journal; nothing a step does is thrown. Rollbacks and cleanup run
 * on success, on a failed step, on a tripped stop condition and on SIGINT/SIGTERM (pass the
 * CLI's AbortSignal); the report is written in every case.
 */
import type { WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { sleep } from '../common/index.js';
import type { Probe, Step } from './activities/index.js';
import { runCheck, runProbe, runStep, stepName } from './activities/run.js';
import type { ActivityEnv, LoadWindow } from './activities/types.js';
import { ExecutorLink } from './executor-link.js';
import { emptyJournal, newRunId, writeReport, type AlertRecord, type Journal, type PhaseName, type PhaseRecord, type ProbeResult, type StepResult } from './journal.js';
import type { LoadGenerator } from './load/index.js';
import { startLoad } from './run-load.js';
import { activeFaults, startPeriodic, startStopMonitor, startTicker } from './monitor.js';
import { Outputs } from './outputs.js';
import { recover } from './recovery.js';
import { runnablePhases, type ProgressEvent, type RunnablePhase, type RunOptions, type RunOutcome } from './run-options.js';
import type { Drill } from './spec.js';
import type { TemplateContext } from './template.js';
import { decideVerdict } from './verdict.js';
import { PhaseWindows } from './windows.js';

export { runnablePhases, type ProgressEvent, type RunnablePhase, type RunOptions, type RunOutcome } from './run-options.js';
const errMsg = (err: unknown) => (err instanceof Error ? err.message : String(err));
const iso = (ms: number = Date.now()) => new Date(ms).toISOString();

class DrillRun {
  readonly #drill: Drill;
  readonly #opts: RunOptions;
  readonly journal: Journal;
  readonly #runDir: string;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #outputs: Outputs;
  readonly #executor: ExecutorLink;
  #load: LoadGenerator | undefined;
  #acks: WriteStream | undefined;
  #phase: PhaseName = 'preflight';
  readonly #windows: PhaseWindows;
  /** Aborted by a stop condition or an interrupt: stops the method and the waits. */
  readonly #method = new AbortController();
  #aborted = false;
  #interrupted = false;
  #injectStarted = false;
  #preflightFailed = false;
  /** Stop functions of the monitors over the load, and of the ticker. */
  #monitors: (() => void)[] = [];
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
    this.#executor = new ExecutorLink(this.journal);
    this.#outputs = new Outputs(drill.results);
    this.#windows = new PhaseWindows(() => this.#load, drill.load, this.journal.faults);
  }

  #emit(event: ProgressEvent): void {
    try {
      this.#opts.onProgress?.(event);
    } catch {
      // A display must never break a run.
    }
  }

  ctx = (): TemplateContext => ({
    env: this.#env,
    steps: this.#outputs.steps,
    results: this.#outputs.results,
    proxies: this.#executor.proxies,
    executor: { url: this.#executor.url },
    run: {
      id: this.journal.runId,
      dir: this.#runDir,
      acks_file: join(this.#runDir, 'acks.jsonl'),
      drill_dir: this.#drill.file ? dirname(resolve(this.#drill.file)) : process.cwd(),
      cwd: process.cwd(),
    },
  });

  #env2(signal?: AbortSignal, defaultWindow?: () => LoadWindow | undefined): ActivityEnv {
    return { ctx: this.ctx, client: this.#executor.client, load: this.#load, phaseWindow: (p) => this.#windows.get(p), defaultWindow, signal };
  }

  #loadS(): number {
    return this.#windows.nowS();
  }

  #allowed(phase: RunnablePhase): boolean {
    if (this.#opts.phase === 'cleanup') return phase === 'cleanup';
    return runnablePhases.indexOf(phase) <= runnablePhases.indexOf(this.#opts.phase ?? 'cleanup');
  }

  #stopped(): boolean {
    return this.#aborted || this.#interrupted;
  }

  async #phaseRun(name: PhaseName, body: () => Promise<PhaseRecord['status'] | void>): Promise<void> {
    this.#phase = name;
    const rec: PhaseRecord = { name, startedAt: iso(), endedAt: null, status: 'ok' };
    this.journal.phases.push(rec);
    this.#windows.begin();
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
    this.#windows.end(name);
  }

  async #runProbes(probes: readonly Probe[], when: 'before' | 'during' | 'after' | 'verify', prefix: string, window?: () => LoadWindow | undefined): Promise<ProbeResult[]> {
    const out: ProbeResult[] = [];
    for (const [i, p] of probes.entries()) {
      const { output, ...result } = await runProbe(p, this.#env2(undefined, window), `${prefix}[${i}]`);
      this.#outputs.set(p.output, output, p.spread);
      out.push(result);
      this.#emit({ type: 'probe', when, result });
    }
    return out;
  }

  async #runSteps(steps: readonly Step[], phase: PhaseName, signal: AbortSignal | undefined, sink: StepResult[]): Promise<PhaseRecord['status']> {
    for (const [i, step] of steps.entries()) {
      const stopped = signal?.aborted === true;
      const r: StepResult = stopped
        ? { phase, name: stepName(step, i), kind: step.kind, status: 'skipped', startedAt: iso(), endedAt: iso(), durationMs: 0, output: null, error: 'not run: the method was stopped' }
        : await runStep(step, phase, i, { ...this.#env2(signal), onFault: (f) => (this.journal.faults.push(f), this.#emit({ type: 'fault', fault: f })) });
      if (!stopped) this.#outputs.set(step.output, r.output, step.spread);
      sink.push(r);
      this.#emit({ type: 'step', result: r });
      if (r.status === 'failed' && step.stopOnFailure && phase === 'inject') {
        this.journal.verdict.reasons.push(`step ${r.name} failed and has stop_on_failure: the method stopped`);
        break;
      }
    }
    return sink.some((s) => s.status === 'failed') ? 'failed' : 'ok';
  }

  async #tmp(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'faultline-drill-'));
    this.#tmpDirs.push(d);
    return d;
  }

  async #startLoad(): Promise<void> {
    if (!this.#drill.load) return;
    const { load, acks } = await startLoad(this.#drill.load, this.ctx, this.#opts.writeReport === false ? undefined : join(this.#runDir, 'acks.jsonl'));
    this.#load = load;
    this.#acks = acks;
    this.#monitors.push(startStopMonitor(load, this.#drill.stopConditions, (rule, value, forS) => !this.#stopped() && void this.#trip(rule, value, forS)));
  }

  async #trip(rule: string, value: number, forS: number): Promise<void> {
    this.#aborted = true;
    const v = Math.round(value * 10_000) / 10_000;
    const alert: AlertRecord = { rule, kind: 'stop_condition', firedAt: iso(), resolvedAt: null, value: v, message: `stop condition held for ${forS} s (value ${v}): method stopped, faults halted` };
    this.journal.alerts.push(alert);
    this.#emit({ type: 'alert', alert });
    this.#method.abort(new Error(`stop condition: ${rule}`));
    await this.#halt('stop condition');
  }

  async #halt(why: string): Promise<void> {
    const said = await this.#executor.halt(why);
    if (said) this.#emit({ type: 'log', message: said });
  }

  async #preflight(): Promise<void> {
    await this.#phaseRun('preflight', async () => {
      const ex = this.#drill.executor;
      if (ex) {
        const logDir = this.#opts.writeReport === false ? undefined : this.#runDir;
        const r = await this.#executor.startChecked(ex, this.ctx, { runsDir: logDir === undefined ? await this.#tmp() : join(this.#runDir, 'runs'), logDir, runId: this.journal.runId });
        this.journal.preflight.push(r);
        this.#emit({ type: 'check', result: r });
      }
      // Without a working executor, waiting for a service it should have started is pointless.
      const executorDown = this.journal.preflight.some((r) => r.kind === 'executor' && !r.ok);
      for (const [i, c] of this.#drill.preflight.entries()) {
        if (this.#interrupted) break;
        const r = await runCheck(executorDown ? { ...c, waitS: 0 } : c, this.#env2(this.#opts.signal), `${c.kind}-${i + 1}`);
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
      if (this.#stopped()) return void (held = true);
      const start = this.#windows.phaseStartS;
      const rs = await this.#runProbes(this.#drill.steadyState.probes, 'before', 'steady_state.probes', () => ({ fromS: start, toS: this.#loadS() + 1 }));
      this.journal.steadyState.before.push(...rs);
      held = rs.every((r) => r.ok || r.inconclusive === true);
      return held ? 'ok' : 'failed';
    });
    return held;
  }

  async #inject(): Promise<void> {
    this.#injectStarted = true;
    const during = this.#drill.steadyState.during;
    const probes = this.#drill.steadyState.probes;
    if (during && probes.length > 0) {
      const window = () => ({ fromS: Math.max(0, this.#loadS() - during.intervalS), toS: this.#loadS() + 1 });
      this.#monitors.push(startPeriodic(during.intervalS, async () => void this.journal.steadyState.during.push(...(await this.#runProbes(probes, 'during', 'steady_state.probes', window)))));
    }
    await this.#phaseRun('inject', async () => {
      const status = await this.#runSteps(this.#drill.method, 'inject', this.#method.signal, this.journal.steps);
      // A fault applied while the stop condition tripped would outlive the halt: halt once more.
      if (this.#aborted) await this.#halt('stop condition, after the method stopped');
      return status;
    });
  }

  async #recover(): Promise<void> {
    await this.#phaseRun('recover', async () => {
      const lastEnd = this.#windows.lastFaultEnd();
      if (lastEnd !== null && lastEnd > Date.now()) await sleep(lastEnd - Date.now(), this.#method.signal);
      if (this.#stopped()) return;
      await recover(this.#drill, this.journal, lastEnd, this.#env2(this.#method.signal), () => this.#stopped(), (e) => this.#emit(e));
      if (this.#stopped()) return;
      if (this.#load && this.#allowed('recover')) await Promise.race([this.#load.done, new Promise<void>((r) => this.#method.signal.addEventListener('abort', () => r(), { once: true }))]);
      if (this.#stopped()) return;
      const start = this.#windows.afterFaultsS(lastEnd);
      const rs = await this.#runProbes(this.#drill.steadyState.probes, 'after', 'steady_state.probes', () => ({ fromS: start, toS: this.#loadS() + 1 }));
      this.journal.steadyState.after.push(...rs);
      return rs.every((r) => r.ok || r.inconclusive === true) ? 'ok' : 'failed';
    });
  }

  async #stopLoad(): Promise<void> {
    if (!this.#load) return;
    await this.#load.stop({ abort: this.#stopped() });
    // The monitors read the load; the progress ticker runs on until the end of the run.
    for (const stop of this.#monitors.splice(0)) stop();
    this.journal.load = this.#load.summary();
    await this.#load.close();
    if (this.#acks) await new Promise<void>((r) => this.#acks?.end(r));
    this.#acks = undefined;
  }

  async #steps2(name: 'rollback' | 'cleanup', steps: readonly Step[], sink: StepResult[]): Promise<void> {
    if (steps.length > 0) await this.#phaseRun(name, () => this.#runSteps(steps, name, undefined, sink));
  }

  async run(): Promise<RunOutcome> {
    const onAbort = () => {
      if (this.#interrupted) return;
      this.#interrupted = true;
      this.#method.abort(new Error('interrupted'));
      this.#emit({ type: 'log', message: 'interrupted: stopping the method, then rollbacks and cleanup' });
    };
    if (this.#opts.signal?.aborted) onAbort();
    this.#opts.signal?.addEventListener('abort', onAbort, { once: true });
    const l = this.#drill.load;
    const totalS = l ? l.durationS + Math.max(0, (this.#drill.baselineS ?? 0) - l.durationS) : null;
    const stopTicker = startTicker(this.#opts.tickMs ?? 500, () =>
      this.#emit({ type: 'tick', phase: this.#phase, elapsedS: (Date.now() - this.#t0) / 1000, totalS, live: this.#load?.active ? this.#load.live() : null, activeFaults: activeFaults(this.journal.faults) }),
    );
    const j = this.journal;
    const rollback = () => (this.#injectStarted ? this.#steps2('rollback', this.#drill.rollbacks, j.rollbacks) : undefined);
    try {
      if (this.#opts.phase === 'cleanup') await this.#steps2('cleanup', this.#drill.cleanup, j.cleanup);
      else {
        await this.#preflight();
        if (!this.#interrupted && (!this.#preflightFailed || this.#opts.force === true) && this.#allowed('baseline')) {
          const held = await this.#baseline();
          if (!held && !this.#stopped()) j.verdict.reasons.push('the steady state did not hold before any fault: no fault was injected');
          if (held && !this.#stopped() && this.#allowed('inject')) {
            await this.#inject();
            if (!this.#stopped() && this.#allowed('recover')) await this.#recover();
            if (this.#interrupted) await this.#executor.cancelOwnFaults();
          }
          await this.#stopLoad();
          await rollback();
          if (!this.#stopped() && this.#injectStarted && this.#allowed('verify')) {
            await this.#phaseRun('verify', async () => {
              const rs = await this.#runProbes(this.#drill.verify.probes, 'verify', 'verify.probes', () => ({ fromS: 0, toS: this.#loadS() + 1 }));
              j.verify.push(...rs);
              return rs.every((r) => r.ok || r.inconclusive === true) ? 'ok' : 'failed';
            });
          }
          await this.#steps2('cleanup', this.#drill.cleanup, j.cleanup);
        }
      }
    } catch (err) {
      j.errors.push(`runner: ${errMsg(err)}`);
      if (!j.phases.some((p) => p.name === 'rollback')) await rollback()?.catch(() => undefined);
    } finally {
      this.#opts.signal?.removeEventListener('abort', onAbort);
      await this.#stopLoad().catch((err: unknown) => j.errors.push(`stopping the load: ${errMsg(err)}`));
      await this.#executor.collect(this.#t0);
      for (const stop of this.#monitors.splice(0)) stop();
      stopTicker();
      await this.#executor.close();
      for (const d of this.#tmpDirs) await rm(d, { recursive: true, force: true }).catch(() => undefined);
    }
    const exitCode = decideVerdict(j, { preflightFailed: this.#preflightFailed, forced: this.#opts.force === true, interrupted: this.#interrupted, aborted: this.#aborted, phase: this.#opts.phase ?? null });
    j.verdict.exitCode = exitCode;
    j.results = { ...j.results, ...this.#outputs.results };
    j.endedAt = iso();
    j.durationMs = Date.now() - this.#t0;
    if (this.#opts.writeReport === false) return { journal: j, exitCode };
    const paths = await writeReport(j, dirname(this.#runDir));
    if (paths.htmlError) this.#emit({ type: 'log', message: `HTML report failed: ${paths.htmlError}` });
    return { journal: j, exitCode, jsonPath: paths.jsonPath, ...(paths.htmlPath !== undefined ? { htmlPath: paths.htmlPath } : {}) };
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
