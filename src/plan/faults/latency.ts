import { z } from 'zod';
import { attrMs, defineFaultType, streamAttr } from '../fault-type.js';

/** TCP toxic: delay each chunk by `latency` ms ± `jitter` ms (Toxiproxy `latency`). */
export const latency = defineFaultType({
  type: 'latency',
  target: 'tcp',
  description: 'Delays data by latency ms, plus or minus jitter ms.',
  schema: z.strictObject({ latency: attrMs(0), jitter: attrMs(0), stream: streamAttr }),
  example: { latency: 100, jitter: 10 },
  timesMs: (c) => ({ latency: c.latency, jitter: c.jitter }),
});
