/** `postgres` (preflight): the database answers a query. */
import { z } from 'zod';
import { checkCommon, ms, text } from './fields.js';
import { runSql } from './sql.js';
import { checkUse, defineActivity } from './types.js';

export const postgres = defineActivity({
  kind: 'postgres',
  check: checkUse({
    schema: z.strictObject({
      kind: z.literal('postgres'),
      ...checkCommon,
      url: text,
      query: text.default('select 1'),
      timeout_ms: ms.default(3000),
    }),
    async run(c) {
      const { rows } = await runSql({ driver: 'postgres', url: c.url, query: c.query });
      return `connected; ${c.query} -> ${JSON.stringify(rows[0] ?? null)?.slice(0, 100)}`;
    },
  }),
});
