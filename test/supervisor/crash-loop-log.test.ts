import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor } from '../../src/supervisor/index.js';
import { until } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a crash-looping child', () => {
  it('is logged at warn with its last stderr line once its restarts need a backoff', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-crashloop-'));
    const logs: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
    const logger = {
      info: (obj: object, msg?: string) => logs.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      warn: (obj: object, msg?: string) => logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      error: (obj: object, msg?: string) => logs.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
    };
    const sup: Supervisor = createSupervisor(
      [
        {
          name: 'broken',
          command: process.execPath,
          args: ['-e', "console.log('starting'); console.error('fatal: cannot read /etc/broken.conf'); process.exit(3)"],
          restart: { max_restarts: 3, window_s: 60, stable_after_s: 30, backoff: { initial_ms: 50, multiplier: 2, max_ms: 200 } },
        },
      ],
      { runsDir: dir, logger },
    );
    cleanups.push(async () => {
      await sup.stop();
      await rm(dir, { recursive: true, force: true });
    });
    await sup.start();
    const warned = await until(() => logs.find((l) => l.level === 'warn' && /crash-looping/.test(l.msg ?? '')), 20_000);
    if (warned === undefined) throw new Error('no crash-loop warning');
    expect(warned.obj).toMatchObject({ process: 'broken', code: 3, last_stderr: 'fatal: cannot read /etc/broken.conf' });
    expect(warned.obj.delay_ms).toBeGreaterThan(0);
    // The first restart is immediate and is no crash loop yet: no warning before the second exit.
    const exits = logs.filter((l) => l.msg === 'process exited');
    expect(exits.length).toBeGreaterThanOrEqual(2);
  });
});
