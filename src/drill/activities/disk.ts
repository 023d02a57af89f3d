/** `disk` (preflight): enough free space at a path. */
import { statfs } from 'node:fs/promises';
import { z } from 'zod';
import { checkCommon, text } from './fields.js';
import { checkUse, defineActivity } from './types.js';

export const disk = defineActivity({
  kind: 'disk',
  check: checkUse({
    schema: z.strictObject({
      kind: z.literal('disk'),
      ...checkCommon,
      path: text.default('.'),
      min_free_mb: z.number({ error: 'must be a number of MB' }).min(0, { error: 'must be >= 0' }),
    }),
    async run(c) {
      const s = await statfs(c.path);
      const freeMb = Math.floor((s.bavail * s.bsize) / (1024 * 1024));
      if (freeMb < c.minFreeMb) throw new Error(`${freeMb} MB free at ${c.path}, need ${c.minFreeMb} MB`);
      return `${freeMb} MB free at ${c.path}`;
    },
  }),
});
