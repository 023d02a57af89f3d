import { z } from 'zod';
import { defineFaultType, httpCommonAttrs } from '../fault-type.js';

/** HTTP fault: answer matching requests with `http_status` (and an optional `body`). */
export const abort = defineFaultType({
  type: 'abort',
  target: 'http',
  description: 'Answers matching requests with http_status and an optional body instead of the upstream response.',
  schema: z.strictObject({
    http_status: z
      .number()
      .int({ error: 'must be an integer' })
      .min(200, { error: 'must be between 200 and 599' })
      .max(599, { error: 'must be between 200 and 599' })
      .default(503),
    body: z.string().max(65_536, { error: 'must be at most 65536 characters' }).optional(),
    ...httpCommonAttrs,
  }),
  example: { http_status: 503 },
});
