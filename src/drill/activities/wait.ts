/** `wait`: sleeps, woken early when the method stops. */
import { z } from 'zod';
import { sleep } from '../../common/index.js';
import { seconds, stepCommon } from './fields.js';
import { defineActivity, stepUse } from './types.js';

export const wait = defineActivity({
  kind: 'wait',
  step: stepUse({
    timing: (s) => ({ blocksS: s.seconds }),
    schema: z.strictObject({ kind: z.literal('wait'), ...stepCommon, seconds }),
    async run(s, env) {
      const completed = await sleep(s.seconds * 1000, env.signal);
      return completed ? { status: 'ok', output: { seconds: s.seconds }, error: null } : { status: 'skipped', output: null, error: 'stopped during the wait' };
    },
  }),
});
