import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../src/embedded-pg.js';
import { call, startService, type RunningService } from './helpers.js';

let db: RunningPostgres;
let svc: RunningService;
let direct: pg.Client;

beforeAll(async () => {
  db = await startPostgres();
  svc = await startService({ databaseUrl: db.url });
  await svc.ready;
  direct = new pg.Client(db.url);
  await direct.connect();
});

afterAll(async () => {
  await direct?.end();
  await svc?.close();
  await db?.stop();
});

async function rowsFor(orderId: string): Promise<number> {
  const r = await direct.query<{ n: string }>('SELECT count(*) AS n FROM payments WHERE order_id = $1', [orderId]);
  return Number(r.rows[0]?.n);
}

describe('validation', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['a negative amount', { order_id: 'v1', amount: -5 }, 'amount', /greater than 0/],
    ['a zero amount', { order_id: 'v1', amount: 0 }, 'amount', /greater than 0/],
    ['three decimals', { order_id: 'v1', amount: 10.123 }, 'amount', /2 decimal/],
    ['a missing amount', { order_id: 'v1' }, 'amount', /required/],
    ['a missing order_id', { amount: 10 }, 'order_id', /required/],
    ['an amount given as a string', { order_id: 'v1', amount: '10.00' }, 'amount', /number/],
    ['an order_id given as a number', { order_id: 42, amount: 10 }, 'order_id', /string/],
    ['an empty order_id', { order_id: '', amount: 10 }, 'order_id', /empty/],
    ['an amount above NUMERIC(12,2)', { order_id: 'v1', amount: 1e11 }, 'amount', /at most/],
    ['an array body', [1, 2], '(root)', /object/],
  ];
  it.each(cases)('answers 400 naming the field for %s', async (_name, body, path, message) => {
    const res = await call('POST', `${svc.url}/payment`, body);
    expect(res.status).toBe(400);
    expect(res.body['code']).toBe('FL_ERR_PAYMENT_INVALID');
    expect(typeof res.body['error']).toBe('string');
    const issues = res.body['issues'] as Array<{ path: string; message: string }>;
    const issue = issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it('answers 400 for a body that is not JSON, and stores nothing for rejected bodies', async () => {
    const res = await call('POST', `${svc.url}/payment`, undefined, '{"order_id": "v1", ');
    expect(res.status).toBe(400);
    expect(res.body['issues']).toBeInstanceOf(Array);
    expect(await rowsFor('v1')).toBe(0);
  });

  it('accepts two decimals exactly (0.29 and 19.99 are not rounding errors)', async () => {
    for (const [orderId, amount] of [['v-029', 0.29], ['v-1999', 19.99]] as const) {
      const res = await call('POST', `${svc.url}/payment`, { order_id: orderId, amount });
      expect(res.status).toBe(201);
      expect(res.body['amount']).toBe(amount);
    }
  });
});

describe('create', () => {
  it('creates with 201, then answers the same payment with 200 for the same order_id', async () => {
    const first = await call('POST', `${svc.url}/payment`, { order_id: 'c1', amount: 12.5 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ order_id: 'c1', amount: 12.5, status: 'created', confirmed_at: null });
    const again = await call('POST', `${svc.url}/payment`, { order_id: 'c1', amount: 12.5 });
    expect(again.status).toBe(200);
    expect(again.body['id']).toBe(first.body['id']);
    expect(await rowsFor('c1')).toBe(1);
    const got = await call('GET', `${svc.url}/payment/c1`);
    expect(got.status).toBe(200);
    expect(got.body['id']).toBe(first.body['id']);
  });

  it('answers 409 for the same order_id with a different amount and keeps the first', async () => {
    await call('POST', `${svc.url}/payment`, { order_id: 'c2', amount: 10 });
    const res = await call('POST', `${svc.url}/payment`, { order_id: 'c2', amount: 11 });
    expect(res.status).toBe(409);
    expect(res.body['code']).toBe('FL_ERR_PAYMENT_CONFLICT');
    const r = await direct.query<{ amount: string }>('SELECT amount::text AS amount FROM payments WHERE order_id = $1', ['c2']);
    expect(r.rows.map((x) => x.amount)).toEqual(['10.00']);
  });

  it('creates exactly one row under 50 concurrent identical creates: one 201 and 49 200s', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => call('POST', `${svc.url}/payment`, { order_id: 'race-1', amount: 42.42 })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(new Set(results.map((r) => r.body['id'])).size).toBe(1);
    expect(await rowsFor('race-1')).toBe(1);
  });

  it('answers 404 for an unknown order', async () => {
    const res = await call('GET', `${svc.url}/payment/nope`);
    expect(res.status).toBe(404);
    expect(res.body['code']).toBe('FL_ERR_PAYMENT_NOT_FOUND');
  });
});

describe('confirm', () => {
  it('confirms with 200, and confirming again returns the same confirmed payment', async () => {
    await call('POST', `${svc.url}/payment`, { order_id: 'k1', amount: 5 });
    const first = await call('POST', `${svc.url}/payment/k1/confirm`);
    expect(first.status).toBe(200);
    expect(first.body['status']).toBe('confirmed');
    expect(typeof first.body['confirmed_at']).toBe('string');
    const second = await call('POST', `${svc.url}/payment/k1/confirm`);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    // A create retried after the confirmation still answers the (confirmed) payment.
    const retried = await call('POST', `${svc.url}/payment`, { order_id: 'k1', amount: 5 });
    expect(retried.status).toBe(200);
    expect(retried.body['status']).toBe('confirmed');
  });

  it('answers 404 when confirming an unknown order', async () => {
    const res = await call('POST', `${svc.url}/payment/unknown-order/confirm`);
    expect(res.status).toBe(404);
  });
});

describe('health', () => {
  it('reports healthy and connected while the database answers', async () => {
    const res = await call('GET', `${svc.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body['status']).toMatch(/^(healthy|degraded)$/);
    expect(res.body['database']).toBe('connected');
    expect(Number.isNaN(Date.parse(String(res.body['timestamp'])))).toBe(false);
  });
});
