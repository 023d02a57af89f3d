import { z } from 'zod';
import { attrInt, defineFaultType, streamAttr } from '../fault-type.js';

/** TCP toxic: delay each chunk by `latency` ms ± `jitter` ms (Toxiproxy `latency`). */
export const latency = defineFaultType({
  type: 'latency',
  target: 'tcp',
  description: 'Delays data by latency ms, plus or minus jitter ms.',
  schema: z.strictObject({ latency: attrInt('ms', 0), jitter: attrInt('ms', 0), stream: streamAttr }),
});
