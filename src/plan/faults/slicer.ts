import { z } from 'zod';
import { MAX_TIMER_MS, attrInt, defineFaultType, orderedFieldsMeta, streamAttr } from '../fault-type.js';

/** The largest slice `slicer` takes, in bytes (16 MiB). */
export const MAX_SLICE_BYTES = 1 << 24;

/** TCP toxic: slice data into chunks of `average_size` ± `size_variation` bytes, `delay` us apart (Toxiproxy `slicer`). */
export const slicer = defineFaultType({
  type: 'slicer',
  target: 'tcp',
  description: 'Slices data into chunks of average_size plus or minus size_variation bytes, delay microseconds apart.',
  schema: z
    .strictObject({
      average_size: z
        .number({ error: 'must be a number (bytes)' })
        .int({ error: 'must be an integer' })
        .min(1, { error: 'must be >= 1' })
        .max(MAX_SLICE_BYTES, { error: `must be at most ${MAX_SLICE_BYTES}` })
        .default(1),
      size_variation: attrInt('bytes', 0, MAX_SLICE_BYTES),
      delay: attrInt('us', 0, MAX_TIMER_MS),
      stream: streamAttr,
    })
    // Toxiproxy takes a variation equal to the average (its clients' own tests send one); a slice
    // is at least one byte either way.
    .refine((c) => c.size_variation <= c.average_size, {
      error: 'must be at most average_size',
      path: ['size_variation'],
    })
    .meta(orderedFieldsMeta({ lesser: 'size_variation', greater: 'average_size', allowEqual: true })),
  example: { average_size: 64, size_variation: 32, delay: 100 },
  timesMs: (c) => ({ delay: c.delay / 1000 }),
});
