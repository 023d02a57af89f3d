/**
 * Recovery time: from the last fault's end until the recovery probes all pass again, polled
 * every `recovery_poll_ms`. A run whose fault never took effect measures nothing.
 */
import { sleep } from '../common/index.js';
import { useOf, type Probe } from './activities/index.js';
import { runProbe } from './activities/run.js';
import type { ActivityEnv } from './activities/types.js';
import type { Journal, ProbeResult, RecoveryRecord } from './journal.js';
import type { ProgressEvent } from './run-options.js';
import type { Drill } from './spec.js';

/** What {@link measureRecovery} needs. */
export interface RecoveryInput {
  readonly probes: readonly Probe[];
  readonly withinS: number;
  /** Epoch ms the last fault ended. */
  readonly lastEnd: number;
  readonly pollMs: number;
  readonly env: ActivityEnv;
  /** True once the run was stopped (stop condition, interrupt): measuring ends without a verdict. */
  readonly stopped: () => boolean;
}

/** What was measured, a reason when recovery failed, and the probes of the steady moment. */
export interface RecoveryOutcome {
  readonly record: RecoveryRecord;
  readonly reason: string | undefined;
  readonly steady: readonly ProbeResult[];
}

/** Measures how long the steady state took to come back after the last fault. */
export async function measureRecovery(input: RecoveryInput): Promise<RecoveryOutcome> {
  const { probes, withinS, lastEnd } = input;
  const base: RecoveryRecord = { recoveryMs: null, withinS, ok: null, lastFaultEnd: new Date(lastEnd).toISOString(), steadyAt: null };
  if (probes.length === 0) {
    return { record: { ...base, ok: false }, reason: 'recovery_within_s is set but there is no probe to measure it with (give verify.recovery_probes or non-metric steady-state probes)', steady: [] };
  }
  const giveUp = lastEnd + Math.max(withinS * 2000, withinS * 1000 + 5000);
  let last: ProbeResult[] = [];
  while (!input.stopped()) {
    const at = Date.now();
    last = await Promise.all(probes.map((p, i) => runProbe(p, input.env, `recovery_probes[${i}]`).then(({ output: _o, ...r }) => r)));
    if (last.every((r) => r.ok)) {
      const ms = Math.max(0, at - lastEnd);
      return { record: { ...base, recoveryMs: ms, ok: ms <= withinS * 1000, steadyAt: new Date(at).toISOString() }, reason: undefined, steady: last };
    }
    if (Date.now() > giveUp) break;
    await sleep(input.pollMs, input.env.signal);
  }
  if (input.stopped()) return { record: base, reason: undefined, steady: [] };
  const failing = last.filter((r) => !r.ok).map((r) => `${r.name}: ${r.message}`).join('; ');
  return { record: { ...base, ok: false }, reason: `not steady again within ${Math.round((giveUp - lastEnd) / 1000)} s of the last fault's end: ${failing}`, steady: [] };
}

/**
 * The recover phase's measurement: with `verify.recovery_within_s`, how long after the last
 * fault's end the recovery probes (default: the non-metric steady-state probes) pass again. When
 * no fault took effect (a failed fault step) nothing is measured: no recovery time is claimed.
 */
export async function recover(drill: Drill, journal: Journal, lastEnd: number | null, env: ActivityEnv, stopped: () => boolean, emit: (e: ProgressEvent) => void): Promise<void> {
  const within = drill.verify.recoveryWithinS;
  if (within === undefined) return;
  if (lastEnd === null) {
    journal.verdict.reasons.push('no fault took effect: recovery was not measured');
    return;
  }
  const probes = drill.verify.recoveryProbes ?? drill.steadyState.probes.filter((p) => useOf(p.kind, 'probe')?.windowed !== true);
  const m = await measureRecovery({ probes, withinS: within, lastEnd, pollMs: drill.verify.recoveryPollMs, env, stopped });
  journal.recovery = m.record;
  for (const r of m.steady) emit({ type: 'probe', when: 'recovery', result: r });
  if (m.record.recoveryMs !== null) emit({ type: 'log', message: `steady again ${m.record.recoveryMs} ms after the last fault ended (limit ${within} s)` });
  if (m.reason !== undefined) journal.verdict.reasons.push(m.reason);
}
