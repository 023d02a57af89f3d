/** `pause`: stops a supervised process (SIGSTOP) for a while, then lets it go on (SIGCONT). */
import { z } from 'zod';
import { name, positiveSeconds, stepCommon } from './fields.js';
import { defineActivity, stepUse } from './types.js';

export const pause = defineActivity({
  kind: 'pause',
  step: stepUse({
    needsExecutor: true,
    injects: true,
    timing: (s) => ({ endsAfterS: s.duration_s }),
    schema: z.strictObject({ kind: z.literal('pause'), ...stepCommon, process: name, duration_s: positiveSeconds }),
    async run(s, env, call) {
      if (!env.client) throw new Error('this step needs an executor (set `executor:` in the drill)');
      const at = Date.now();
      const view = await env.client.pauseProcess(s.process, s.durationS * 1000);
      env.onFault?.({
        applyId: null,
        step: call.name,
        faultType: 'pause',
        target: s.process,
        plan: { service: s.process, fault_type: 'pause', duration_seconds: s.durationS },
        start: new Date(at).toISOString(),
        end: new Date(at + s.durationS * 1000).toISOString(),
        status: 'completed',
        observation: view,
      });
      return { status: 'ok', output: view, error: null };
    },
    refs: (s) => [{ path: ['process'], what: 'process', name: s.process }],
  }),
});
