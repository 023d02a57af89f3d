import { z } from 'zod';
import { defineFaultType, httpCommonAttrs } from '../fault-type.js';

/** HTTP fault: destroy the client connection without a response. */
export const reset = defineFaultType({
  type: 'reset',
  target: 'http',
  description: 'Destroys the client connection without sending a response.',
  schema: z.strictObject({ ...httpCommonAttrs }),
  example: {},
});
