/** `halt`: reverts every fault on the executor. */
import { z } from 'zod';
import { stepCommon } from './fields.js';
import { defineActivity, stepUse } from './types.js';

export const halt = defineActivity({
  kind: 'halt',
  step: stepUse({
    needsExecutor: true,
    schema: z.strictObject({ kind: z.literal('halt'), ...stepCommon }),
    async run(_s, env) {
      if (!env.client) throw new Error('this step needs an executor (set `executor:` in the drill)');
      await env.client.halt();
      return { status: 'ok', output: { halted: true }, error: null };
    },
  }),
});
