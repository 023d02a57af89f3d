import { z } from 'zod';
import { defineFaultType, httpCommonAttrs } from '../fault-type.js';

/** The lowest and highest `throttle` rates, in KB/s (about 1 byte/s; 10 GB/s). */
export const MIN_THROTTLE_KBPS = 0.001;
export const MAX_THROTTLE_KBPS = 10_000_000;

/** HTTP fault: stream the response body at `rate_kbps` KB/s. */
export const throttle = defineFaultType({
  type: 'throttle',
  target: 'http',
  description: 'Streams the response body of matching requests at rate_kbps kilobytes per second.',
  schema: z.strictObject({
    rate_kbps: z
      .number({ error: 'must be a number (KB/s)' })
      .min(MIN_THROTTLE_KBPS, { error: `must be >= ${MIN_THROTTLE_KBPS}` })
      .max(MAX_THROTTLE_KBPS, { error: `must be at most ${MAX_THROTTLE_KBPS}` }),
    ...httpCommonAttrs,
  }),
  example: { rate_kbps: 64 },
});
