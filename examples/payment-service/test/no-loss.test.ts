import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../src/embedded-pg.js';
import { verifyPayments } from '../src/verify.js';
import { DbLink, call, startService, waitUntil, type RunningService } from './helpers.js';

let db: RunningPostgres;
let dbLink: DbLink;
let svc: RunningService;

beforeAll(async () => {
  db = await startPostgres();
  dbLink = await DbLink.start(db.port);
  svc = await startService({ databaseUrl: dbLink.rewrite(db.url) });
  await svc.ready;
});

afterAll(async () => {
  await svc?.close();
  await dbLink?.close();
  await db?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('under load with the database cut twice (a small drill)', () => {
  it('loses no acknowledged payment, duplicates none, and answers only 201/200/503', async () => {
    const acked = new Map<string, { amount: number; id: unknown }>();
    const confirmed = new Set<string>();
    const statuses = new Map<number, number>();
    const count = (s: number): void => void statuses.set(s, (statuses.get(s) ?? 0) + 1);
    let running = true;

    // A client that retries the same order id after a 503 or a network error, as a real one would.
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; running; i++) {
        const orderId = `w${w}-${i}`;
        const amount = (1 + ((w * 7919 + i * 104729) % 99_999)) / 100;
        for (let attempt = 0; running || attempt === 0; attempt++) {
          const res = await call('POST', `${svc.url}/payment`, { order_id: orderId, amount }).catch(() => undefined);
          if (res) count(res.status);
          if (res && (res.status === 201 || res.status === 200)) {
            acked.set(orderId, { amount, id: res.body['id'] });
            if (i % 3 === 0) {
              const c = await call('POST', `${svc.url}/payment/${orderId}/confirm`).catch(() => undefined);
              if (c) count(c.status);
              if (c?.status === 200) confirmed.add(orderId);
            }
            break;
          }
          await sleep(50);
        }
      }
    };

    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await sleep(1000);
    await dbLink.refuse(); // outage: refused, open connections reset mid-transaction
    await sleep(1500);
    await dbLink.restore();
    await sleep(1500);
    await dbLink.refuse(); // a blip shorter than the deadline
    await sleep(150);
    await dbLink.restore();
    await sleep(1500);
    running = false;
    await Promise.all(workers);

    const recoveredIn = await waitUntil(async () => (await call('GET', `${svc.url}/health`)).body['status'] === 'healthy', 5000);
    expect(recoveredIn).toBeLessThan(5000);

    expect([...statuses.keys()].every((s) => s === 201 || s === 200 || s === 503), JSON.stringify([...statuses])).toBe(true);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0); // the outage was seen
    expect(acked.size, JSON.stringify([...statuses])).toBeGreaterThan(10);

    const verdict = await verifyPayments(
      db.url,
      [...acked].map(([orderId, a]) => ({ orderId, amount: a.amount, id: String(a.id), confirmed: confirmed.has(orderId) })),
    );
    expect(verdict).toMatchObject({ lost: [], duplicates: [], mismatched: [], unconfirmed: [], ok: true });
    expect(verdict.storedRows).toBeGreaterThanOrEqual(acked.size);
  }, 30_000);
});
