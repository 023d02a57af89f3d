import { z } from 'zod';
import { attrInt, defineFaultType, streamAttr } from '../fault-type.js';

/** TCP toxic: limit throughput to `rate` KB/s (Toxiproxy `bandwidth`). */
export const bandwidth = defineFaultType({
  type: 'bandwidth',
  target: 'tcp',
  description: 'Limits the connection to rate KB/s.',
  schema: z.strictObject({ rate: attrInt('KB/s', 0), stream: streamAttr }),
});
