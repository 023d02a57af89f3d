import { z } from 'zod';
import { attrInt, defineFaultType, streamAttr } from '../fault-type.js';

/** The highest `bandwidth` rate, in KB/s (10 GB/s). */
export const MAX_BANDWIDTH_KBS = 10_000_000;

/** TCP toxic: limit throughput to `rate` KB/s (Toxiproxy `bandwidth`). */
export const bandwidth = defineFaultType({
  type: 'bandwidth',
  target: 'tcp',
  description: 'Limits the connection to rate KB/s.',
  schema: z.strictObject({ rate: attrInt('KB/s', 0, MAX_BANDWIDTH_KBS), stream: streamAttr }),
  example: { rate: 100 },
});
