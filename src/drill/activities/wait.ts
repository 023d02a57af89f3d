/** `wait`: sleeps, woken early when the method stops. */
import { z } from 'zod';
import { DURATION_RE, parseDuration, sleep } from '../../common/index.js';
import { seconds, stepCommon, text } from './fields.js';

/** Seconds as a number, or a duration in the one grammar: `500ms`, `5s`, `1m`. */
const waitFor = z.union([seconds, text.regex(DURATION_RE, { error: 'must be a number of seconds or a duration like 500ms, 5s, 1m' }).transform((d) => (parseDuration(d) as number) / 1000)], {
  error: 'must be a number of seconds or a duration like 500ms, 5s, 1m',
});
import { defineActivity, stepUse } from './types.js';

export const wait = defineActivity({
  kind: 'wait',
  step: stepUse({
    timing: (s) => ({ blocksS: s.seconds }),
    schema: z.strictObject({ kind: z.literal('wait'), ...stepCommon, seconds: waitFor }),
    async run(s, env) {
      const completed = await sleep(s.seconds * 1000, env.signal);
      return completed ? { status: 'ok', output: { seconds: s.seconds }, error: null } : { status: 'skipped', output: null, error: 'stopped during the wait' };
    },
  }),
});
