/** `kill`: sends a signal (SIGKILL by default) to a supervised process; the supervisor restarts it. */
import { z } from 'zod';
import { name, stepCommon, text } from './fields.js';
import { defineActivity, stepUse } from './types.js';

export const kill = defineActivity({
  kind: 'kill',
  step: stepUse({
    needsExecutor: true,
    injects: true,
    schema: z.strictObject({ kind: z.literal('kill'), ...stepCommon, process: name, signal: text.regex(/^SIG[A-Z0-9]+$/, { error: 'must be a signal name like SIGKILL' }).default('SIGKILL') }),
    async run(s, env, call) {
      if (!env.client) throw new Error('this step needs an executor (set `executor:` in the drill)');
      const at = new Date().toISOString();
      const view = await env.client.killProcess(s.process, s.signal);
      env.onFault?.({ applyId: null, step: call.name, faultType: 'kill', target: s.process, plan: { service: s.process, fault_type: 'kill', fault_config: { signal: s.signal } }, start: at, end: at, status: 'completed', observation: view });
      return { status: 'ok', output: view, error: null };
    },
    refs: (s) => [{ path: ['process'], what: 'process', name: s.process }],
  }),
});
