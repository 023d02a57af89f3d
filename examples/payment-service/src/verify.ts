/**
 * The drill's ground truth: compares what clients were told (acknowledged payments) with what
 * PostgreSQL holds, by querying the `payments` table directly.
 */
import pg from 'pg';

/** A payment a client was told exists: it got a 201 or 200 for it (and a 200 on confirm, if `confirmed`). */
export interface AcknowledgedPayment {
  readonly orderId: string;
  /** In currency units, as sent (`12.5`). */
  readonly amount: number;
  /** The id the service answered, when known; checked against the stored row. */
  readonly id?: string;
  /** The client got a 200 from `POST /payment/:order_id/confirm`. */
  readonly confirmed?: boolean;
}

export interface PaymentVerification {
  /** Acknowledged order ids with no row. */
  readonly lost: string[];
  /** Order ids stored more than once (acknowledged or not), with their row count. */
  readonly duplicates: Array<{ orderId: string; rows: number }>;
  /** Acknowledged payments stored with another amount or another id. */
  readonly mismatched: Array<{ orderId: string; expected: string; stored: string }>;
  /** Confirmed by the service but stored as not confirmed. */
  readonly unconfirmed: string[];
  /** Rows in the table. */
  readonly storedRows: number;
  readonly acknowledged: number;
  /** True when nothing was lost, duplicated, changed or unconfirmed. */
  readonly ok: boolean;
}

interface Row {
  order_id: string;
  id: string;
  amount: string;
  status: string;
}

/**
 * Checks every acknowledged payment against the database: exists exactly once, with its amount
 * (and id), confirmed if it was confirmed; and no order id is stored twice.
 * @throws Error when the database cannot be queried (connection errors are not retried here).
 * @example
 * const v = await verifyPayments(process.env.DATABASE_URL!, acks);
 * if (!v.ok) console.log(v.lost, v.duplicates);
 */
export async function verifyPayments(databaseUrl: string, acknowledged: readonly AcknowledgedPayment[]): Promise<PaymentVerification> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  let rows: Row[];
  try {
    rows = (await client.query<Row>('SELECT order_id, id::text AS id, amount::text AS amount, status FROM payments')).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
  const byOrder = new Map<string, Row[]>();
  for (const r of rows) {
    const list = byOrder.get(r.order_id);
    if (list) list.push(r);
    else byOrder.set(r.order_id, [r]);
  }
  const duplicates = [...byOrder].filter(([, list]) => list.length > 1).map(([orderId, list]) => ({ orderId, rows: list.length }));
  const lost: string[] = [];
  const mismatched: Array<{ orderId: string; expected: string; stored: string }> = [];
  const unconfirmed: string[] = [];
  for (const ack of acknowledged) {
    const list = byOrder.get(ack.orderId);
    const row = list?.[0];
    if (!row) {
      lost.push(ack.orderId);
      continue;
    }
    const expected = ack.amount.toFixed(2);
    if (row.amount !== expected || (ack.id !== undefined && list.every((r) => r.id !== ack.id))) {
      mismatched.push({ orderId: ack.orderId, expected: `${expected}${ack.id ? ` ${ack.id}` : ''}`, stored: `${row.amount} ${row.id}` });
    }
    if (ack.confirmed === true && !list.some((r) => r.status === 'confirmed')) unconfirmed.push(ack.orderId);
  }
  return {
    lost,
    duplicates,
    mismatched,
    unconfirmed,
    storedRows: rows.length,
    acknowledged: acknowledged.length,
    ok: lost.length === 0 && duplicates.length === 0 && mismatched.length === 0 && unconfirmed.length === 0,
  };
}
