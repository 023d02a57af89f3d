/**
 * PostgreSQL access for the payment service: the pool, the migration and one function per
 * operation. Nothing here retries or times out on its own beyond pg's socket-level limits;
 * `resilient-db.ts` puts the policies around these calls.
 */
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';

/** A payment as stored. Amounts are whole cents. */
export interface Payment {
  readonly id: string;
  readonly orderId: string;
  readonly amountCents: number;
  readonly status: 'created' | 'confirmed';
  readonly createdAt: Date;
  readonly confirmedAt: Date | null;
}

/** Result of a create: a new row, the row that already existed, or a different amount for that order. */
export type CreateResult =
  | { readonly kind: 'created'; readonly payment: Payment }
  | { readonly kind: 'existing'; readonly payment: Payment }
  | { readonly kind: 'conflict'; readonly payment: Payment };

export interface PoolOptions {
  readonly connectionString: string;
  readonly max?: number;
  readonly connectionTimeoutMs?: number;
  readonly queryTimeoutMs?: number;
}

/** Builds a pool whose connection errors are logged, never thrown at the process. */
export function createPool(opts: PoolOptions, log: FastifyBaseLogger): pg.Pool {
  const queryTimeout = opts.queryTimeoutMs ?? 1500;
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 1000,
    idleTimeoutMillis: 10_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1000,
    query_timeout: queryTimeout,
    statement_timeout: queryTimeout,
    lock_timeout: queryTimeout,
    idle_in_transaction_session_timeout: 5000,
    application_name: 'payment-service',
  });
  // An idle client whose connection dies is reported here; without a listener the process dies.
  pool.on('error', (err) => log.warn({ err: errSummary(err) }, 'idle database connection lost'));
  // A checked-out client emits 'error' too when its socket dies mid-query; the query itself
  // rejects, so this listener only keeps the event from crashing the process.
  pool.on('connect', (client) => {
    client.on('error', (err) => log.debug({ err: errSummary(err) }, 'database connection lost while in use'));
  });
  return pool;
}

function errSummary(err: Error): { message: string; code?: string } {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? { message: err.message, code } : { message: err.message };
}

const COLUMNS = 'id::text AS id, order_id, amount::text AS amount, status, created_at, confirmed_at';

interface Row {
  id: string;
  order_id: string;
  amount: string;
  status: 'created' | 'confirmed';
  created_at: Date;
  confirmed_at: Date | null;
}

function toPayment(row: Row): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    amountCents: Math.round(Number(row.amount) * 100),
    status: row.status,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
  };
}

function centsToNumeric(cents: number): string {
  return (cents / 100).toFixed(2);
}

/**
 * Runs `fn` in one transaction on one connection. On any error the connection is destroyed
 * rather than rolled back: that aborts the transaction server-side and never reuses a
 * connection whose state is unknown (a timed-out query may still be running on it).
 */
async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const value = await fn(client);
    await client.query('COMMIT');
    client.release();
    return value;
  } catch (err) {
    client.release(err instanceof Error ? err : true);
    throw err;
  }
}

/**
 * Creates the schema if it is missing (idempotent; serialised by an advisory lock so that
 * several instances may start at once). `broken` drops the unique constraint on `order_id`.
 */
export async function migrate(pool: pg.Pool, broken: boolean): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(7240317)');
    await c.query(`
      CREATE TABLE IF NOT EXISTS payments (
        id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id     TEXT NOT NULL,
        amount       NUMERIC(12, 2) NOT NULL CHECK (amount > 0),
        status       TEXT NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'confirmed')),
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        confirmed_at TIMESTAMPTZ,
        CONSTRAINT payments_order_id_key UNIQUE (order_id)
      )`);
    if (broken) {
      await c.query('ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_order_id_key');
    } else {
      // Restores the guarantee if a broken-mode run dropped it (fails loudly if duplicates exist).
      await c.query('CREATE UNIQUE INDEX IF NOT EXISTS payments_order_id_key ON payments (order_id)');
    }
  });
}

/**
 * Creates a payment once per order id, in one transaction: `INSERT ... ON CONFLICT DO NOTHING`,
 * then, if the order already had a payment, reads it. A concurrent insert of the same order
 * waits on the unique index and then sees the committed row.
 */
export async function createPayment(pool: pg.Pool, orderId: string, amountCents: number): Promise<CreateResult> {
  return inTransaction(pool, async (c) => {
    const inserted = await c.query<Row>(
      `INSERT INTO payments (order_id, amount) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING RETURNING ${COLUMNS}`,
      [orderId, centsToNumeric(amountCents)],
    );
    const row = inserted.rows[0];
    if (row) return { kind: 'created', payment: toPayment(row) };
    const found = await c.query<Row>(`SELECT ${COLUMNS} FROM payments WHERE order_id = $1`, [orderId]);
    const existing = found.rows[0];
    if (!existing) throw new Error(`payment for order ${orderId} conflicted but cannot be read`);
    const payment = toPayment(existing);
    return { kind: payment.amountCents === amountCents ? 'existing' : 'conflict', payment };
  });
}

/** Broken mode: a plain INSERT with no idempotency check (a retried request creates a second row). */
export async function createPaymentUnsafe(pool: pg.Pool, id: string, orderId: string, amountCents: number): Promise<Payment> {
  return inTransaction(pool, async (c) => {
    const inserted = await c.query<Row>(`INSERT INTO payments (id, order_id, amount) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`, [
      id,
      orderId,
      centsToNumeric(amountCents),
    ]);
    const row = inserted.rows[0];
    if (!row) throw new Error('INSERT returned no row');
    return toPayment(row);
  });
}

/** The payment of an order, or undefined. */
export async function getPayment(pool: pg.Pool, orderId: string): Promise<Payment | undefined> {
  const r = await pool.query<Row>(`SELECT ${COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at LIMIT 1`, [orderId]);
  const row = r.rows[0];
  return row ? toPayment(row) : undefined;
}

/** Confirms an order's payment; confirming again keeps the first confirmation time. Undefined if none. */
export async function confirmPayment(pool: pg.Pool, orderId: string): Promise<Payment | undefined> {
  return inTransaction(pool, async (c) => {
    const r = await c.query<Row>(
      `UPDATE payments SET status = 'confirmed', confirmed_at = COALESCE(confirmed_at, now())
        WHERE order_id = $1 RETURNING ${COLUMNS}`,
      [orderId],
    );
    const row = r.rows[0];
    return row ? toPayment(row) : undefined;
  });
}

/** `SELECT 1`: resolves when the database answers. */
export async function ping(pool: pg.Pool): Promise<void> {
  await pool.query('SELECT 1');
}
