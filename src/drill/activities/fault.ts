/**
 * `fault`: applies a FaultPlan through the executor; with `wait: true` blocks until it ended.
 * A plan without templates is checked by the FaultPlan schema when the drill is validated.
 */
import { z } from 'zod';
import { safeParsePlan } from '../../plan/index.js';
import type { PlanInput } from '../../client/index.js';
import { sleep } from '../../common/index.js';
import type { FaultRecord } from '../journal.js';
import { collectExpressions } from '../template.js';
import { stepCommon } from './fields.js';
import { defineActivity, stepUse } from './types.js';

/** Terminal states of an application. */
const ENDED = new Set(['completed', 'cancelled', 'failed']);

/** `a.b[0].c` back into `['a', 'b', 0, 'c']`. */
function parsePath(path: string): (string | number)[] {
  if (path === '(root)') return [];
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? '')));
}

export const fault = defineActivity({
  kind: 'fault',
  step: stepUse({
    needsExecutor: true,
    injects: true,
    timing(s) {
      const lasts = Number(s.plan.start_delay_ms ?? 0) / 1000 + Number(s.plan.duration_seconds ?? 60);
      return Number.isFinite(lasts) ? { blocksS: s.wait ? lasts : 0, endsAfterS: lasts } : {};
    },
    schema: z
      .strictObject({
        kind: z.literal('fault'),
        ...stepCommon,
        /** A FaultPlan (wire form), applied through the executor. */
        plan: z.record(z.string(), z.unknown(), { error: 'must be a FaultPlan object' }),
        /** Block until the fault has ended (default: apply and go on; the fault runs for its duration). */
        wait: z.boolean().default(false),
      })
      .superRefine((s, ctx) => {
        // Templates inside a plan are rendered at run time: check plans without them now.
        if (collectExpressions(s.plan).length > 0) return;
        const r = safeParsePlan(s.plan);
        if (!r.ok) for (const issue of r.issues) ctx.addIssue({ code: 'custom', path: ['plan', ...parsePath(issue.path)], message: issue.message });
      }),
    async run(s, env, call) {
      if (!env.client) throw new Error('this step needs an executor (set `executor:` in the drill)');
      const client = env.client;
      const plan = s.plan;
      const applied = Date.now();
      const res = await client.apply(plan as unknown as PlanInput);
      const delay = Number(plan.start_delay_ms ?? 0);
      const duration = Number(plan.duration_seconds ?? 60) * 1000;
      const record: FaultRecord = {
        applyId: res.applyId,
        step: call.name,
        faultType: String(plan.fault_type),
        target: String(plan.service),
        plan,
        start: new Date(applied + delay).toISOString(),
        end: new Date(applied + delay + duration).toISOString(),
        status: res.status,
        observation: null,
      };
      env.onFault?.(record);
      if (!s.wait) return { status: 'ok', output: { apply_id: res.applyId, status: res.status }, error: null };
      const deadline = Date.now() + delay + duration + 30_000;
      let st = await client.status(res.applyId);
      while (!ENDED.has(st.status)) {
        if (Date.now() > deadline) return { status: 'failed', output: { apply_id: res.applyId, status: st.status }, error: `fault still ${st.status} 30 s after its planned end` };
        if (!(await sleep(Math.min(250, Math.max(10, Date.parse(record.end ?? '') - Date.now())), env.signal))) {
          return { status: 'failed', output: { apply_id: res.applyId, status: st.status }, error: 'stopped while waiting for the fault to end' };
        }
        st = await client.status(res.applyId);
      }
      const failed = st.status === 'failed';
      return { status: failed ? 'failed' : 'ok', output: { apply_id: res.applyId, status: st.status }, error: failed ? (st.errorMsg ?? 'fault failed') : null };
    },
    refs: (s) => (typeof s.plan.service === 'string' && !s.plan.service.includes('{{') ? [{ path: ['plan', 'service'], what: 'service', name: s.plan.service }] : []),
  }),
});
