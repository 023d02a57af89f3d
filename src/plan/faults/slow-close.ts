import { z } from 'zod';
import { attrMs, defineFaultType, streamAttr } from '../fault-type.js';

/** TCP toxic: delay the close of the connection by `delay` ms (Toxiproxy `slow_close`). */
export const slowClose = defineFaultType({
  type: 'slow_close',
  target: 'tcp',
  description: 'Delays closing the connection by delay ms.',
  schema: z.strictObject({ delay: attrMs(0), stream: streamAttr }),
  example: { delay: 100 },
  timesMs: (c) => ({ delay: c.delay }),
});
