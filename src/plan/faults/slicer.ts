import { z } from 'zod';
import { attrInt, defineFaultType, streamAttr } from '../fault-type.js';

/** TCP toxic: slice data into chunks of `average_size` ± `size_variation` bytes, `delay` us apart (Toxiproxy `slicer`). */
export const slicer = defineFaultType({
  type: 'slicer',
  target: 'tcp',
  description: 'Slices data into chunks of average_size plus or minus size_variation bytes, delay microseconds apart.',
  schema: z
    .strictObject({
      average_size: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' }).default(1),
      size_variation: attrInt('bytes', 0),
      delay: attrInt('us', 0),
      stream: streamAttr,
    })
    .refine((c) => c.size_variation < c.average_size, {
      error: 'must be smaller than average_size',
      path: ['size_variation'],
    }),
});
