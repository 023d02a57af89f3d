/** `sqlite` (preflight): the database file is intact and in WAL mode. */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { checkCommon, text } from './fields.js';
import { checkUse, defineActivity } from './types.js';

export const sqlite = defineActivity({
  kind: 'sqlite',
  check: checkUse({
    schema: z.strictObject({
      kind: z.literal('sqlite'),
      ...checkCommon,
      path: text,
      require_wal: z.boolean().default(true),
    }),
    async run(c) {
      if (!existsSync(c.path)) throw new Error(`${c.path} does not exist`);
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(c.path, { fileMustExist: true, readonly: true, timeout: 5000 });
      try {
        const integrity = db.pragma('integrity_check', { simple: true });
        if (integrity !== 'ok') throw new Error(`integrity_check: ${String(integrity)}`);
        const mode = String(db.pragma('journal_mode', { simple: true }));
        if (c.requireWal && mode !== 'wal') throw new Error(`journal_mode is ${mode}, expected wal`);
        return `${c.path}: integrity ok, journal_mode ${mode}`;
      } finally {
        db.close();
      }
    },
  }),
});
