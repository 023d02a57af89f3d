import { z } from 'zod';
import { defineFaultType, httpCommonAttrs, msAttr, orderedFieldsMeta } from '../fault-type.js';

/** How long a `delay` fault waits: fixed, or drawn per request from a distribution. */
export const delayDistribution = z.discriminatedUnion(
  'type',
  [
    z
      .strictObject({ type: z.literal('uniform'), min_ms: msAttr, max_ms: msAttr })
      .refine((d) => d.max_ms >= d.min_ms, {
        error: 'must be >= min_ms',
        path: ['max_ms'],
      })
      .meta(orderedFieldsMeta({ lesser: 'min_ms', greater: 'max_ms', allowEqual: true })),
    z.strictObject({ type: z.literal('normal'), mean_ms: msAttr, stddev_ms: msAttr }),
    z.strictObject({
      type: z.literal('pareto'),
      scale_ms: msAttr.gt(0, { error: 'must be > 0' }),
      shape: z.number({ error: 'must be a number' }).gt(0, { error: 'must be > 0' }).max(1000, { error: 'must be at most 1000' }),
      max_ms: msAttr.optional(),
    }),
  ],
  { error: "must be one of 'uniform', 'normal', 'pareto'" },
);

/** HTTP fault: delay matching requests (or their responses) by `delay_ms` or a `distribution`. */
export const delay = defineFaultType({
  type: 'delay',
  target: 'http',
  description: 'Delays matching requests by delay_ms, or by a uniform, normal or pareto distribution.',
  schema: z
    .strictObject({ delay_ms: msAttr.optional(), distribution: delayDistribution.optional(), ...httpCommonAttrs })
    .refine((c) => (c.delay_ms === undefined) !== (c.distribution === undefined), {
      error: 'give exactly one of delay_ms or distribution',
      path: ['delay_ms'],
    })
    .meta({ oneOf: [{ required: ['delay_ms'] }, { required: ['distribution'] }] }),
  example: { delay_ms: 100 },
  timesMs: (c) => {
    const d = c.distribution;
    if (d === undefined) return { delay_ms: c.delay_ms };
    if (d.type === 'uniform') return { 'distribution.max_ms': d.max_ms };
    if (d.type === 'normal') return { 'distribution.mean_ms': d.mean_ms };
    return { 'distribution.scale_ms': d.scale_ms, 'distribution.max_ms': d.max_ms };
  },
});
