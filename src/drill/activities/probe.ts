/** `probe` (a step): runs one probe in the method; a failed probe fails the step. */
import { z } from 'zod';
import { stepCommon } from './fields.js';
import { nestedProbe } from './nested.js';
import { defineActivity, stepUse } from './types.js';

export const probeStep = defineActivity({
  kind: 'probe',
  step: stepUse({
    render: false,
    validate: (s, v) => v.probe(s.probe, ['probe']),
    schema: z.strictObject({ kind: z.literal('probe'), ...stepCommon, probe: nestedProbe }),
    async run(s, env, call) {
      const r = await call.runProbe(s.probe, env, call.name);
      return { status: r.ok ? 'ok' : 'failed', output: r.output, error: r.ok ? null : r.message };
    },
  }),
});
