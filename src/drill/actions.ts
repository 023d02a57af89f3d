/**
 * Method, rollback and cleanup steps. A step answers with a result; a failure is recorded,
 * never thrown (a drill that breaks half-way still rolls back and reports).
 */
import { rm } from 'node:fs/promises';
import { sleep } from '../common/index.js';
import type { FaultRecord, PhaseName, StepResult } from './journal.js';
import { httpCall, runCommand, runProbe, runSql, type ProbeEnv } from './probes.js';
import type { Step } from './spec.js';
import { removalRefusal } from './safe-paths.js';
import { renderActivity } from './template.js';

/** What steps need besides probes' environment. */
export interface ActionEnv extends ProbeEnv {
  /** Called when a fault (or a process action) takes effect; the runner keeps the list. */
  readonly onFault?: (fault: FaultRecord) => void;
}

const errMsg = (err: unknown) => (err instanceof Error ? err.message : String(err));


/** A step's default name: `<kind>-<index>` (1-based), or its output name. */
export function stepName(step: Step, index: number): string {
  return step.name ?? step.output ?? `${step.kind}-${index + 1}`;
}

/** Terminal states of an application. */
const ENDED = new Set(['completed', 'cancelled', 'failed']);

/**
 * Runs one step. Never throws.
 * @returns the step's journal entry; `output` is what `{{steps.<output>}}` reads.
 */
export async function runStep(step: Step, phase: PhaseName, index: number, env: ActionEnv): Promise<StepResult> {
  const name = stepName(step, index);
  const startedAt = new Date();
  const t0 = performance.now();
  const result = (status: StepResult['status'], output: unknown, error: string | null): StepResult => ({
    phase,
    name,
    kind: step.kind,
    status,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - t0),
    output: output ?? null,
    error,
  });
  const needClient = () => {
    if (!env.client) throw new Error('this step needs an executor (set `executor:` in the drill)');
    return env.client;
  };
  try {
    // `probe`/`await` render their probes themselves (at each poll); everything else renders once here.
    const s = (step.kind === 'probe' || step.kind === 'await' ? step : renderActivity(step, env.ctx())) as Step;
    switch (s.kind) {
      case 'fault': {
        const client = needClient();
        const plan = s.plan as Record<string, unknown>;
        const applied = Date.now();
        const res = await client.apply(plan as never);
        const delay = Number(plan.start_delay_ms ?? 0);
        const duration = Number(plan.duration_seconds ?? 60) * 1000;
        const fault: FaultRecord = {
          applyId: res.applyId,
          step: name,
          faultType: String(plan.fault_type),
          target: String(plan.service),
          plan,
          start: new Date(applied + delay).toISOString(),
          end: new Date(applied + delay + duration).toISOString(),
          status: res.status,
          observation: null,
        };
        env.onFault?.(fault);
        if (!s.wait) return result('ok', { apply_id: res.applyId, status: res.status }, null);
        const deadline = Date.now() + delay + duration + 30_000;
        let st = await client.status(res.applyId);
        while (!ENDED.has(st.status)) {
          if (Date.now() > deadline) return result('failed', { apply_id: res.applyId, status: st.status }, `fault still ${st.status} 30 s after its planned end`);
          if (!(await sleep(Math.min(250, Math.max(10, Date.parse(fault.end ?? '') - Date.now())), env.signal))) {
            return result('failed', { apply_id: res.applyId, status: st.status }, 'stopped while waiting for the fault to end');
          }
          st = await client.status(res.applyId);
        }
        return result(st.status === 'failed' ? 'failed' : 'ok', { apply_id: res.applyId, status: st.status }, st.status === 'failed' ? (st.errorMsg ?? 'fault failed') : null);
      }
      case 'kill': {
        const at = new Date().toISOString();
        const view = await needClient().killProcess(s.process, s.signal);
        env.onFault?.({ applyId: null, step: name, faultType: 'kill', target: s.process, plan: { service: s.process, fault_type: 'kill', fault_config: { signal: s.signal } }, start: at, end: at, status: 'completed', observation: view });
        return result('ok', view, null);
      }
      case 'pause': {
        const at = Date.now();
        const view = await needClient().pauseProcess(s.process, s.durationS * 1000);
        env.onFault?.({
          applyId: null,
          step: name,
          faultType: 'pause',
          target: s.process,
          plan: { service: s.process, fault_type: 'pause', duration_seconds: s.durationS },
          start: new Date(at).toISOString(),
          end: new Date(at + s.durationS * 1000).toISOString(),
          status: 'completed',
          observation: view,
        });
        return result('ok', view, null);
      }
      case 'restart':
        return result('ok', await needClient().restartProcess(s.process), null);
      case 'halt':
        await needClient().halt();
        return result('ok', { halted: true }, null);
      case 'wait': {
        const completed = await sleep(s.seconds * 1000, env.signal);
        return completed ? result('ok', { seconds: s.seconds }, null) : result('skipped', null, 'stopped during the wait');
      }
      case 'probe': {
        const r = await runProbe(s.probe, env, name);
        return result(r.ok ? 'ok' : 'failed', r.output, r.ok ? null : r.message);
      }
      case 'await': {
        const deadline = t0 + s.timeoutS * 1000;
        let last = '';
        for (;;) {
          const rs = await Promise.all(s.probes.map((p, i) => runProbe(p, env, `${name}.probes[${i}]`)));
          const failed = rs.filter((r) => !r.ok);
          if (failed.length === 0) return result('ok', { elapsed_ms: Math.round(performance.now() - t0), ok: true }, null);
          last = failed.map((r) => `${r.name}: ${r.message}`).join('; ');
          if (performance.now() >= deadline) break;
          if (!(await sleep(s.intervalMs, env.signal))) return result('skipped', null, 'stopped while waiting');
        }
        return result('failed', { elapsed_ms: Math.round(performance.now() - t0), ok: false }, `not within ${s.timeoutS} s: ${last}`);
      }
      case 'http': {
        const res = await httpCall(s, env.signal);
        const ok = s.status ? s.status.includes(res.status) : res.status >= 200 && res.status < 300;
        const output = { status: res.status, headers: res.headers, body: res.body, latency_ms: res.latencyMs };
        return result(ok ? 'ok' : 'failed', output, ok ? null : `${s.method} ${s.url} -> ${res.status}, expected ${JSON.stringify(s.status ?? '2xx')}`);
      }
      case 'command': {
        const res = await runCommand(s, env.signal);
        let stdout: unknown = res.stdout.trim();
        if (s.json) {
          try {
            stdout = JSON.parse(res.stdout) as unknown;
          } catch {
            return result('failed', { exit_code: res.exitCode, stdout, stderr: res.stderr.trim() }, 'stdout is not JSON');
          }
        }
        const output = { exit_code: res.exitCode, stdout, stderr: res.stderr.trim().slice(-4000) };
        if (res.timedOut) return result('failed', output, `timed out after ${s.timeoutMs} ms`);
        if (res.exitCode !== s.exitCode) return result('failed', output, `exit ${res.exitCode ?? res.signal}, expected ${s.exitCode}`);
        return result('ok', output, null);
      }
      case 'sql': {
        const { rows } = await runSql(s);
        return result('ok', { rows: rows.slice(0, 1000), row_count: rows.length }, null);
      }
      case 'remove': {
        // A path from a service's answer (`../../`) must not delete outside the run's folders.
        const runDir = String(env.ctx().run?.dir ?? '');
        const refused = s.paths.map((p, i) => [i, removalRefusal(p, runDir)] as const).filter(([, why]) => why !== undefined);
        if (refused.length > 0) return result('failed', { removed: [] }, `refusing to remove: ${refused.map(([i, why]) => `paths[${i}]: ${why}`).join('; ')}`);
        for (const p of s.paths) await rm(p, { recursive: true, force: true });
        return result('ok', { removed: s.paths }, null);
      }
    }
  } catch (err) {
    return result('failed', null, errMsg(err));
  }
}
