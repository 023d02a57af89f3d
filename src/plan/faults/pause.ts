import { z } from 'zod';
import { defineFaultType } from '../fault-type.js';

/** Process fault: SIGSTOP the process for the plan's duration, then SIGCONT. */
export const pause = defineFaultType({
  type: 'pause',
  target: 'process',
  description: 'Stops the process (SIGSTOP) for the duration, then continues it (SIGCONT).',
  schema: z.strictObject({}),
  example: {},
});
