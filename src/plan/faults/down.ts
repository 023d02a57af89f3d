import { z } from 'zod';
import { defineFaultType } from '../fault-type.js';

/** TCP proxy: take the proxy down (listener closed, open connections cut) for the plan's duration. */
export const down = defineFaultType({
  type: 'down',
  target: 'tcp',
  listener: true,
  description: 'Closes the listener and cuts open connections for the duration; the proxy comes back on the same address.',
  schema: z.strictObject({}),
  example: {},
});
