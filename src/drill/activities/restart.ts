/** `restart`: stops and starts a supervised process. */
import { z } from 'zod';
import { name, stepCommon } from './fields.js';
import { defineActivity, stepUse } from './types.js';

export const restart = defineActivity({
  kind: 'restart',
  step: stepUse({
    needsExecutor: true,
    schema: z.strictObject({ kind: z.literal('restart'), ...stepCommon, process: name }),
    async run(s, env) {
      if (!env.client) throw new Error('this step needs an executor (set `executor:` in the drill)');
      return { status: 'ok', output: await env.client.restartProcess(s.process), error: null };
    },
    refs: (s) => [{ path: ['process'], what: 'process', name: s.process }],
  }),
});
