import { z } from 'zod';
import { attrMs, defineFaultType, streamAttr } from '../fault-type.js';

/** TCP toxic: reset the connection (RST) after `timeout` ms (Toxiproxy `reset_peer`). */
export const resetPeer = defineFaultType({
  type: 'reset_peer',
  target: 'tcp',
  description: 'Resets the connection with a TCP RST after timeout ms (0: at once).',
  schema: z.strictObject({ timeout: attrMs(0), stream: streamAttr }),
  example: { timeout: 100 },
  timesMs: (c) => ({ timeout: c.timeout }),
});
