/**
 * Runs activities through the registry. Nothing here throws: a broken probe is a failed probe
 * with a message, a broken step a failed step (the runner still rolls back and reports).
 */
import { sleep } from '../../common/index.js';
import type { CheckResult, PhaseName, StepResult } from '../journal.js';
import { renderActivity } from '../template.js';
import { useOf, type PreflightCheck, type Probe, type Step } from './index.js';
import { errMsg, type ActivityEnv, type ProbeOutcome } from './types.js';

/**
 * Runs one probe. Never throws: errors become a failed result.
 * @param fallbackName the name used when the probe has none (e.g. `steady_state[0]`)
 */
export async function runProbe(probe: Probe, env: ActivityEnv, fallbackName: string): Promise<ProbeOutcome> {
  const started = performance.now();
  const at = new Date().toISOString();
  const name = probe.name ?? fallbackName;
  const done = (ok: boolean, value: unknown, expected: unknown, message: string, output: unknown = value, inconclusive = false): ProbeOutcome => ({
    name,
    kind: probe.kind,
    ok,
    value: value ?? null,
    expected: expected ?? null,
    message,
    ...(inconclusive ? { inconclusive: true as const } : {}),
    at,
    durationMs: Math.round(performance.now() - started),
    output: output ?? null,
  });
  try {
    const use = useOf(probe.kind, 'probe');
    if (!use) throw new Error(`'${probe.kind}' is not a probe kind`);
    const p = use.render === false ? probe : renderActivity(probe, env.ctx());
    const v = await use.run(p as never, env);
    return done(v.ok, v.value, v.expected, v.message, v.output === undefined ? v.value : v.output, v.inconclusive === true);
  } catch (err) {
    return done(false, null, null, `probe error: ${errMsg(err)}`);
  }
}

const nestedProbe = (p: unknown, env: ActivityEnv, name: string) => runProbe(p as Probe, env, name);

/** A step's default name: `<kind>-<index>` (1-based), or its output name. */
export function stepName(step: Step, index: number): string {
  return step.name ?? step.output ?? `${step.kind}-${index + 1}`;
}

/**
 * Runs one step. Never throws.
 * @returns the step's journal entry; `output` is what `{{steps.<output>}}` reads.
 */
export async function runStep(step: Step, phase: PhaseName, index: number, env: ActivityEnv): Promise<StepResult> {
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
  try {
    const use = useOf(step.kind, 'step');
    if (!use) throw new Error(`'${step.kind}' is not a step kind`);
    // Steps holding probes render them at each poll; everything else renders once here.
    const s = use.render === false ? step : renderActivity(step, env.ctx());
    const r = await use.run(s as never, env, { name, t0, runProbe: nestedProbe });
    return result(r.status, r.output, r.error);
  } catch (err) {
    return result('failed', null, errMsg(err));
  }
}

/**
 * Runs one preflight check; with `waitS` it retries until it passes or the time is up (a
 * service the executor just started needs a moment). Never throws.
 */
export async function runCheck(check: PreflightCheck, env: ActivityEnv, fallbackName: string): Promise<CheckResult> {
  const started = performance.now();
  const name = check.name ?? fallbackName;
  const deadline = started + (check.waitS ?? 0) * 1000;
  let last = '';
  for (;;) {
    try {
      const use = useOf(check.kind, 'check');
      if (!use) throw new Error(`'${check.kind}' is not a preflight check kind`);
      const message = await use.run(renderActivity(check, env.ctx()) as never, env);
      return { name, kind: check.kind, ok: true, message, guidance: check.guidance ?? null, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      last = errMsg(err);
    }
    if (performance.now() >= deadline || env.signal?.aborted) break;
    await sleep(Math.min(250, Math.max(10, deadline - performance.now())), env.signal);
  }
  return { name, kind: check.kind, ok: false, message: last, guidance: check.guidance ?? null, durationMs: Math.round(performance.now() - started) };
}
