import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresBaseDir, startPostgres } from '../src/embedded-pg.js';

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}


describe('startPostgres', () => {
  const saved = process.env['DATABASE_URL'];
  afterEach(() => {
    if (saved === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = saved;
  });

  it('starts a real PostgreSQL with a payments database on loopback, and stop() removes it and its data', async () => {
    delete process.env['DATABASE_URL'];
    const db = await startPostgres();
    const dataDir = db.dataDir ?? '';
    try {
      expect(dataDir.startsWith(postgresBaseDir())).toBe(true);
      expect(existsSync(dataDir)).toBe(true);
      expect(db.url).toMatch(/^postgres:\/\/.+@127\.0\.0\.1:\d+\/payments$/);
      expect(db.startMs).toBeGreaterThan(0);
      const [row] = await query(db.url, 'SELECT current_database() AS db, current_setting(\'server_version_num\')::int AS v');
      expect(row).toMatchObject({ db: 'payments' });
      expect(Number(row?.['v'])).toBeGreaterThanOrEqual(150000);
    } finally {
      await db.stop();
    }
    await db.stop(); // idempotent
    expect(existsSync(dataDir)).toBe(false);
    await expect(query(db.url, 'SELECT 1')).rejects.toThrow();
  });

  it('creates another database when asked for one', async () => {
    delete process.env['DATABASE_URL'];
    const db = await startPostgres({ database: 'ledger' });
    try {
      const [row] = await query(db.url, 'SELECT current_database() AS db');
      expect(row?.['db']).toBe('ledger');
    } finally {
      await db.stop();
    }
  });

  it('fails with PostgreSQL\'s own words (not a hang) when the requested port is taken', async () => {
    delete process.env['DATABASE_URL'];
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(startPostgres({ port })).rejects.toThrow(/could not start embedded PostgreSQL[\s\S]*(could not bind|Address already in use)/);
    } finally {
      blocker.close();
    }
  });

  it('returns DATABASE_URL as is when set, and its stop() does nothing', async () => {
    process.env['DATABASE_URL'] = 'postgres://u:p@127.0.0.1:6543/elsewhere';
    const db = await startPostgres();
    expect(db).toMatchObject({ url: 'postgres://u:p@127.0.0.1:6543/elsewhere', port: 6543, startMs: 0, dataDir: undefined });
    await db.stop();
  });
});

describe('pg-cli', () => {
  it('prints the URL as one JSON line, and on SIGTERM stops PostgreSQL, removes its data and exits 0', async () => {
    const env = { ...process.env };
    delete env['DATABASE_URL'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/payment-service/src/pg-cli.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const out = JSON.parse(line) as { url: string; port: number; start_ms: number; data_dir: string };
      expect(out.url).toContain(`127.0.0.1:${out.port}/payments`);
      expect(out.start_ms).toBeGreaterThan(0);
      const [row] = await query(out.url, 'SELECT 1 AS one');
      expect(row?.['one']).toBe(1);
      expect(existsSync(out.data_dir)).toBe(true);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(existsSync(out.data_dir)).toBe(false);
      await expect(query(out.url, 'SELECT 1')).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
