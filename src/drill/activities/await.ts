/** `await`: polls probes until all hold or the time is up ("healthy again within 2 s"). */
import { z } from 'zod';
import { sleep } from '../../common/index.js';
import { ms, positiveSeconds, stepCommon } from './fields.js';
import { nestedProbe } from './nested.js';
import { defineActivity, stepUse } from './types.js';

export const awaitKind = defineActivity({
  kind: 'await',
  step: stepUse({
    render: false,
    timing: (s) => ({ blocksS: s.timeout_s }),
    validate: (s, v) => s.probes.forEach((p, i) => v.probe(p, ['probes', i])),
    schema: z.strictObject({
      kind: z.literal('await'),
      ...stepCommon,
      /** Poll these until all hold; output `{ elapsed_ms }`. */
      probes: z.array(nestedProbe).min(1, { error: 'must not be empty' }),
      timeout_s: positiveSeconds,
      interval_ms: ms.default(200),
    }),
    async run(s, env, call) {
      const deadline = call.t0 + s.timeoutS * 1000;
      let last = '';
      for (;;) {
        const rs = await Promise.all(s.probes.map((p, i) => call.runProbe(p, env, `${call.name}.probes[${i}]`)));
        const failed = rs.filter((r) => !r.ok);
        if (failed.length === 0) return { status: 'ok', output: { elapsed_ms: Math.round(performance.now() - call.t0), ok: true }, error: null };
        last = failed.map((r) => `${r.name}: ${r.message}`).join('; ');
        if (performance.now() >= deadline) break;
        if (!(await sleep(s.intervalMs, env.signal))) return { status: 'skipped', output: null, error: 'stopped while waiting' };
      }
      return { status: 'failed', output: { elapsed_ms: Math.round(performance.now() - call.t0), ok: false }, error: `not within ${s.timeoutS} s: ${last}` };
    },
  }),
});
