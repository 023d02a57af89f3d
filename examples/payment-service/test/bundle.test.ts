import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePaymentService } from '../src/bundle.js';
import { startPostgres, type RunningPostgres } from '../src/embedded-pg.js';
import { call, waitUntil } from './helpers.js';

let db: RunningPostgres;
const dir = mkdtempSync(join(tmpdir(), 'faultline-bundle-test-'));

beforeAll(async () => {
  db = await startPostgres();
});

afterAll(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bundlePaymentService', () => {
  it('builds one file that runs the service without tsx: it serves, survives SIGKILL-and-restart data-wise, and exits 0 on SIGTERM', async () => {
    const { file } = await bundlePaymentService(join(dir, 'payment-service.mjs'));
    const run = async (): Promise<{ url: string; stop: (signal: NodeJS.Signals) => Promise<number | null> }> => {
      const child = spawn(process.execPath, [file], {
        env: { ...process.env, DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      return {
        url,
        stop: async (signal) => {
          child.kill(signal);
          const [code] = (await once(child, 'exit')) as [number | null];
          return code;
        },
      };
    };

    const first = await run();
    await waitUntil(async () => (await call('GET', `${first.url}/health`)).status === 200, 10_000);
    expect((await call('POST', `${first.url}/payment`, { order_id: 'bundled-1', amount: 1.5 })).status).toBe(201);
    await first.stop('SIGKILL');

    const second = await run();
    await waitUntil(async () => (await call('GET', `${second.url}/health`)).status === 200, 10_000);
    const again = await call('POST', `${second.url}/payment`, { order_id: 'bundled-1', amount: 1.5 });
    expect(again.status).toBe(200);
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 180_000); // a bundle, then three service starts: far past 30 s on a loaded machine
});
