import { z } from 'zod';
import { MAX_BYTES, attrInt, defineFaultType, streamAttr } from '../fault-type.js';

/** TCP toxic: close the connection once `bytes` bytes have passed (Toxiproxy `limit_data`). */
export const limitData = defineFaultType({
  type: 'limit_data',
  target: 'tcp',
  description: 'Closes the connection after bytes bytes have been transmitted.',
  schema: z.strictObject({ bytes: attrInt('bytes', 0, MAX_BYTES), stream: streamAttr }),
  example: { bytes: 1024 },
});
