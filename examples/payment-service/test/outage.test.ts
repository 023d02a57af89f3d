import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../src/embedded-pg.js';
import { DbLink, call, startService, waitUntil, type RunningService } from './helpers.js';

const DEADLINE_MS = 2000;
/** Generous: the machine is shared by many builds; the service's own deadline is 2 s. */
const ANSWER_WITHIN_MS = DEADLINE_MS + 1500;

let db: RunningPostgres;

beforeAll(async () => {
  db = await startPostgres();
});

afterAll(async () => {
  await db?.stop();
});

describe('database outage (in-process service behind a faultline TCP proxy)', () => {
  let dbLink: DbLink;
  let svc: RunningService;

  beforeAll(async () => {
    dbLink = await DbLink.start(db.port);
    svc = await startService({ databaseUrl: dbLink.rewrite(db.url), deadlineMs: DEADLINE_MS });
    await svc.ready;
  });

  afterAll(async () => {
    await svc?.close();
    await dbLink?.close();
  });

  // A failed test must not leave the database cut (or slow) for the next one.
  afterEach(async () => {
    await dbLink.setLatency(0);
    await dbLink.restore();
  });

  it('answers 503 with a JSON error and Retry-After, within the deadline, while the database refuses connections', async () => {
    const before = await call('POST', `${svc.url}/payment`, { order_id: 'before-outage', amount: 10 });
    expect(before.status).toBe(201);

    await dbLink.refuse();
    const responses = [];
    for (let i = 0; i < 8; i++) {
      responses.push(await call('POST', `${svc.url}/payment`, { order_id: `during-${i}`, amount: 1 }));
    }
    responses.push(await call('GET', `${svc.url}/payment/before-outage`));
    responses.push(await call('POST', `${svc.url}/payment/before-outage/confirm`));
    for (const res of responses) {
      expect(res.status).toBe(503);
      expect(res.body['code']).toBe('FL_ERR_PAYMENT_DB_UNAVAILABLE');
      expect(typeof res.body['error']).toBe('string');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    // Once the breaker is open, calls fail fast instead of waiting for retries.
    expect(responses.some((r) => r.body['kind'] === 'circuit_open')).toBe(true);

    const health = await call('GET', `${svc.url}/health`);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unhealthy', database: 'disconnected' });

    await dbLink.restore();
    const recoveredIn = await waitUntil(async () => {
      const h = await call('GET', `${svc.url}/health`);
      return h.status === 200 && h.body['status'] === 'healthy';
    }, 5000);
    expect(recoveredIn).toBeLessThan(5000);

    const after = await call('POST', `${svc.url}/payment`, { order_id: 'after-outage', amount: 3.5 });
    expect(after.status).toBe(201);
    const old = await call('GET', `${svc.url}/payment/before-outage`);
    expect(old.status).toBe(200);
    // Nothing asked during the outage was stored.
    expect((await call('GET', `${svc.url}/payment/during-0`)).status).toBe(404);
  });

  it('answers 503 by its deadline (never hangs) while the database accepts connections but never answers', async () => {
    await dbLink.blackhole();
    try {
      const [create, health] = await Promise.all([
        call('POST', `${svc.url}/payment`, { order_id: 'blackholed', amount: 2 }),
        call('GET', `${svc.url}/health`),
      ]);
      expect(create.status).toBe(503);
      expect(create.ms).toBeGreaterThanOrEqual(DEADLINE_MS * 0.9);
      expect(create.ms).toBeLessThan(ANSWER_WITHIN_MS);
      expect(health.status).toBe(503);
      expect(health.body['status']).toBe('unhealthy');
    } finally {
      await dbLink.restore();
    }
    await waitUntil(async () => (await call('GET', `${svc.url}/health`)).body['status'] === 'healthy', 5000);
    expect((await call('POST', `${svc.url}/payment`, { order_id: 'after-blackhole', amount: 2 })).status).toBe(201);
  });

  it('reports degraded (still 200) while the database answers slowly, and healthy again when it is fast', async () => {
    await waitUntil(async () => (await call('GET', `${svc.url}/health`)).body['status'] === 'healthy', 5000);
    await dbLink.setLatency(300); // one round trip of SELECT 1 now takes >= 600 ms (slow threshold: 500 ms)
    const slow = await call('GET', `${svc.url}/health`);
    expect(slow.status).toBe(200);
    expect(slow.body).toMatchObject({ status: 'degraded', database: 'connected' });
    await dbLink.setLatency(0);
    await waitUntil(async () => (await call('GET', `${svc.url}/health`)).body['status'] === 'healthy', 5000);
  });

  it('rides out a database blip shorter than its deadline by retrying (201, not 503)', async () => {
    await dbLink.refuse();
    const pending = call('POST', `${svc.url}/payment`, { order_id: 'blip-1', amount: 4.2 });
    await new Promise((r) => setTimeout(r, 300));
    await dbLink.restore();
    const res = await pending;
    expect(res.status).toBe(201);
    expect(res.ms).toBeLessThan(ANSWER_WITHIN_MS);
  });

  it('retries through PostgreSQL terminating its connections (57P01 admin shutdown) and answers 201', async () => {
    await Promise.all(Array.from({ length: 4 }, (_, i) => call('GET', `${svc.url}/payment/warm-${i}`)));
    const admin = new pg.Client(db.url);
    await admin.connect();
    try {
      // Terminate in a loop while creates run, so some land on a connection being killed.
      const creates = Promise.all(
        Array.from({ length: 6 }, (_, i) => call('POST', `${svc.url}/payment`, { order_id: `terminated-${i}`, amount: 6 })),
      );
      for (let i = 0; i < 5; i++) {
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'payment-service'");
        await new Promise((r) => setTimeout(r, 20));
      }
      const results = await creates;
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    } finally {
      await admin.end();
    }
  });

  it('keeps serving when idle pooled connections are cut (pool errors do not crash the process)', async () => {
    // Fill the pool with idle connections, then reset them all under it.
    await Promise.all(Array.from({ length: 5 }, (_, i) => call('GET', `${svc.url}/payment/idle-${i}`)));
    await dbLink.refuse();
    await dbLink.restore();
    const res = await call('POST', `${svc.url}/payment`, { order_id: 'after-reset', amount: 1 });
    expect(res.status).toBe(201);
  });
});

describe('the service process (node --import tsx src/main.ts)', () => {
  const children: ChildProcess[] = [];
  let dbLink: DbLink | undefined;

  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await once(c, 'exit');
      }
    }
    await dbLink?.close();
    dbLink = undefined;
  });

  async function spawnService(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/payment-service/src/main.ts'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`service exited with ${String(code)}`))),
    ])) as [string];
    const listening = JSON.parse(line) as { event: string; url: string; port: number };
    expect(listening.event).toBe('listening');
    return { child, url: listening.url };
  }

  it('starts before the database is reachable, answers 503 until its migration runs, then serves; exits 0 on SIGTERM', async () => {
    dbLink = await DbLink.start(db.port);
    await dbLink.refuse();
    const { child, url } = await spawnService(dbLink.rewrite(db.url));

    const starting = await call('POST', `${url}/payment`, { order_id: 'proc-1', amount: 7 });
    expect(starting.status).toBe(503);
    expect(starting.headers.get('retry-after')).not.toBeNull();
    expect((await call('GET', `${url}/health`)).status).toBe(503);

    await dbLink.restore();
    await waitUntil(async () => (await call('GET', `${url}/health`)).status === 200, 10_000);
    expect((await call('POST', `${url}/payment`, { order_id: 'proc-1', amount: 7 })).status).toBe(201);

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
