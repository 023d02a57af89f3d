import { z } from 'zod';
import { defineFaultType, httpCommonAttrs } from '../fault-type.js';

const ms = z.number().min(0, { error: 'must be >= 0' });

/** How long a `delay` fault waits: fixed, or drawn per request from a distribution. */
export const delayDistribution = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('uniform'), min_ms: ms, max_ms: ms }).refine((d) => d.max_ms >= d.min_ms, {
      error: 'must be >= min_ms',
      path: ['max_ms'],
    }),
    z.strictObject({ type: z.literal('normal'), mean_ms: ms, stddev_ms: ms }),
    z.strictObject({
      type: z.literal('pareto'),
      scale_ms: z.number().gt(0, { error: 'must be > 0' }),
      shape: z.number().gt(0, { error: 'must be > 0' }),
      max_ms: ms.optional(),
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
    .strictObject({ delay_ms: ms.optional(), distribution: delayDistribution.optional(), ...httpCommonAttrs })
    .refine((c) => (c.delay_ms === undefined) !== (c.distribution === undefined), {
      error: 'give exactly one of delay_ms or distribution',
      path: ['delay_ms'],
    }),
});
