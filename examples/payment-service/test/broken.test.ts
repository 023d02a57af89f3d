import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../src/embedded-pg.js';
import { verifyPayments } from '../src/verify.js';
import { DbLink, call, startService, type RunningService } from './helpers.js';

let db: RunningPostgres;
let dbLink: DbLink;
let svc: RunningService;
let direct: pg.Client;

beforeAll(async () => {
  db = await startPostgres();
  dbLink = await DbLink.start(db.port);
  svc = await startService({ databaseUrl: dbLink.rewrite(db.url), dangerouslyBroken: true, deadlineMs: 1000 });
  await svc.ready;
  direct = new pg.Client(db.url);
  await direct.connect();
});

afterAll(async () => {
  await direct?.end();
  await svc?.close();
  await dbLink?.close();
  await db?.stop();
});

async function rowsFor(orderId: string): Promise<number> {
  const r = await direct.query<{ n: string }>('SELECT count(*) AS n FROM payments WHERE order_id = $1', [orderId]);
  return Number(r.rows[0]?.n);
}

describe('the deliberately broken mode (PAYMENT_BROKEN=1)', () => {
  it('has no unique constraint on order_id', async () => {
    const r = await direct.query("SELECT 1 FROM pg_indexes WHERE tablename = 'payments' AND indexname = 'payments_order_id_key'");
    expect(r.rowCount).toBe(0);
  });

  it('stores a retried create twice (each retry answers 201 with a new id)', async () => {
    const first = await call('POST', `${svc.url}/payment`, { order_id: 'dup-1', amount: 9.99 });
    const retried = await call('POST', `${svc.url}/payment`, { order_id: 'dup-1', amount: 9.99 });
    expect([first.status, retried.status]).toEqual([201, 201]);
    expect(retried.body['id']).not.toBe(first.body['id']);
    expect(await rowsFor('dup-1')).toBe(2);
  });

  it('acknowledges creates during an outage that a restart then loses', async () => {
    await dbLink.refuse();
    let acked;
    try {
      acked = await call('POST', `${svc.url}/payment`, { order_id: 'lost-1', amount: 5 });
    } finally {
      // The process "dies" before the database returns: its in-memory queue goes with it.
      await svc.close();
      await dbLink.restore();
    }
    expect(acked.status).toBe(201);
    expect(await rowsFor('lost-1')).toBe(0);
  });

  it('fails verification, naming the duplicated and the lost payments', async () => {
    const verdict = await verifyPayments(db.url, [
      { orderId: 'dup-1', amount: 9.99 },
      { orderId: 'lost-1', amount: 5 },
    ]);
    expect(verdict.ok).toBe(false);
    expect(verdict.duplicates).toEqual([{ orderId: 'dup-1', rows: 2 }]);
    expect(verdict.lost).toEqual(['lost-1']);
  });
});
