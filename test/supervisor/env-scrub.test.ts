import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/supervisor/index.js';
import { tempDir, until } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("a supervised child's environment", () => {
  it('has no FAULTLINE_* variable of the daemon, except those the process lists in its own env', async () => {
    const dir = await tempDir();
    const out = join(dir.path, 'env.json');
    const saved = { token: process.env.FAULTLINE_TOKEN, file: process.env.FAULTLINE_TOKEN_FILE };
    process.env.FAULTLINE_TOKEN = 'secret-token-123';
    process.env.FAULTLINE_TOKEN_FILE = '/etc/faultline/token';
    cleanups.push(async () => {
      if (saved.token === undefined) delete process.env.FAULTLINE_TOKEN;
      else process.env.FAULTLINE_TOKEN = saved.token;
      if (saved.file === undefined) delete process.env.FAULTLINE_TOKEN_FILE;
      else process.env.FAULTLINE_TOKEN_FILE = saved.file;
    });
    const sup = createSupervisor(
      [
        {
          name: 'envdump',
          command: process.execPath,
          args: ['-e', `require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env)); setInterval(() => {}, 1000);`],
          env: { FAULTLINE_EXECUTOR: 'http://127.0.0.1:1', OWN_VAR: 'kept' },
        },
      ],
      { runsDir: dir.path },
    );
    cleanups.push(async () => {
      await sup.stop();
      await dir.remove();
    });
    await sup.start();
    await until(() => existsSync(out) && readFileSync(out, 'utf8').length > 0);
    const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    expect(env.FAULTLINE_TOKEN).toBeUndefined();
    expect(env.FAULTLINE_TOKEN_FILE).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain('secret-token-123');
    // Listed on purpose in the process's env: passed through.
    expect(env.FAULTLINE_EXECUTOR).toBe('http://127.0.0.1:1');
    expect(env.OWN_VAR).toBe('kept');
    // The rest of the daemon's environment is still there.
    expect(env.PATH).toBe(process.env.PATH);
  });
});
