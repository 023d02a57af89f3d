import { z } from 'zod';
import { defineFaultType, httpCommonAttrs } from '../fault-type.js';

/** HTTP fault: stream the response body at `rate_kbps` KB/s. */
export const throttle = defineFaultType({
  type: 'throttle',
  target: 'http',
  description: 'Streams the response body of matching requests at rate_kbps kilobytes per second.',
  schema: z.strictObject({
    rate_kbps: z.number({ error: 'must be a number (KB/s)' }).gt(0, { error: 'must be > 0' }),
    ...httpCommonAttrs,
  }),
});
