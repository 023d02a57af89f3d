import { z } from 'zod';
import { attrMs, defineFaultType, streamAttr } from '../fault-type.js';

/** TCP toxic: stop data and close after `timeout` ms; 0 holds data until removed (Toxiproxy `timeout`). */
export const timeout = defineFaultType({
  type: 'timeout',
  target: 'tcp',
  description: 'Stops all data and closes the connection after timeout ms; 0 holds the data until the toxic is removed.',
  schema: z.strictObject({ timeout: attrMs(0), stream: streamAttr }),
  example: { timeout: 1000 },
  timesMs: (c) => ({ timeout: c.timeout }),
});
