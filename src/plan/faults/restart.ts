import { z } from 'zod';
import { defineFaultType } from '../fault-type.js';

/** Process fault: stop the process with its stop signal, then start it again. */
export const restart = defineFaultType({
  type: 'restart',
  target: 'process',
  oneShot: true,
  description: 'Stops the process with its stop signal, then starts it again.',
  schema: z.strictObject({}),
  example: {},
});
