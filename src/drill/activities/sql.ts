/**
 * `sql`: a query on PostgreSQL or SQLite. Values from outside go in `params:` (bound), never in
 * the query text (`faultline validate` refuses `{{steps.*}}` there).
 */
import { z } from 'zod';
import { checkExpectations } from './expect.js';
import { expectations, name, probeCommon, stepCommon, text } from './fields.js';
import { expressionRoots, outsideRoots, templateExpressions } from '../template.js';
import { defineActivity, probeUse, stepUse, type ValidateContext } from './types.js';

/** Runs a SQL query on PostgreSQL or SQLite; rows as plain objects. */
export async function runSql(spec: { driver: 'postgres' | 'sqlite'; url?: string | undefined; path?: string | undefined; query: string; params?: unknown[] | undefined }): Promise<{ rows: Record<string, unknown>[] }> {
  if (spec.driver === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(spec.path ?? '', { fileMustExist: true, timeout: 5000 });
    try {
      const stmt = db.prepare(spec.query);
      if (stmt.reader) return { rows: stmt.all(...((spec.params ?? []) as unknown[])) as Record<string, unknown>[] };
      const info = stmt.run(...((spec.params ?? []) as unknown[]));
      return { rows: [{ changes: info.changes }] };
    } finally {
      db.close();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: spec.url, connectionTimeoutMillis: 5000, statement_timeout: 30_000 });
  await client.connect();
  try {
    const res = await client.query(spec.query, (spec.params ?? []) as unknown[]);
    return { rows: res.rows as Record<string, unknown>[] };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const sqlSource = {
  driver: z.enum(['postgres', 'sqlite'], { error: "must be 'postgres' or 'sqlite'" }),
  /** postgres: a connection string (templates allowed, e.g. `{{env.DATABASE_URL}}`). */
  url: text.optional(),
  /** sqlite: the database file. */
  path: text.optional(),
  query: text.min(1, { error: 'must not be empty' }),
  /** Bound parameters (`$1` for postgres, `?` for sqlite): where templates from outside go. */
  params: z.array(z.unknown(), { error: 'must be a list' }).optional(),
};
function sqlSourceCheck(s: { driver: string; url?: string | undefined; path?: string | undefined }, ctx: z.RefinementCtx): void {
  if (s.driver === 'postgres' && s.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required for driver postgres' });
  if (s.driver === 'sqlite' && s.path === undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: 'is required for driver sqlite' });
}

/** SQL text takes no value from outside: such values go in as bound parameters. */
function checkQuery(s: { query: string }, v: ValidateContext): void {
  for (const expr of templateExpressions(s.query)) {
    const outside = expressionRoots(expr).find((r) => outsideRoots.has(r));
    if (outside !== undefined) v.issue(['query'], `{{${expr}}}: a value from '${outside}' never goes into SQL text; write $1 (postgres) or ? (sqlite) in the query and put the template in params:`);
  }
}

function sqlValue(rows: Record<string, unknown>[], mode: 'scalar' | 'row' | 'rows'): unknown {
  if (mode === 'rows') return rows;
  const first = rows[0];
  if (mode === 'row') return first ?? null;
  if (!first) return null;
  const v = Object.values(first)[0];
  // pg returns bigint counts as strings: a count is a number to compare.
  return typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : (v ?? null);
}

export const sql = defineActivity({
  kind: 'sql',
  probe: probeUse({
    schema: z
      .strictObject({
        kind: z.literal('sql'),
        ...probeCommon,
        ...sqlSource,
        /** What the value is: the first column of the first row (`scalar`), the first row, or all rows. */
        value: z.enum(['scalar', 'row', 'rows'], { error: 'must be scalar, row or rows' }).default('scalar'),
        expect: expectations.optional(),
        output: name.optional(),
      })
      .superRefine(sqlSourceCheck),
    validate: checkQuery,
    async run(p) {
      const { rows } = await runSql(p);
      const value = sqlValue(rows, p.value);
      const failures = checkExpectations(value, p.expect);
      return { ok: failures.length === 0, value, expected: p.expect ?? null, message: failures.length === 0 ? `${JSON.stringify(value)?.slice(0, 200)}` : failures.join('; ') };
    },
  }),
  step: stepUse({
    schema: z.strictObject({ kind: z.literal('sql'), ...stepCommon, ...sqlSource }).superRefine(sqlSourceCheck),
    validate: checkQuery,
    async run(s) {
      const { rows } = await runSql(s);
      return { status: 'ok', output: { rows: rows.slice(0, 1000), row_count: rows.length }, error: null };
    },
  }),
});
