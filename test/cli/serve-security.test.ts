import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDaemon, stopAllDaemons } from '../helpers/daemon.js';
import { call } from '../executor/helpers.js';

const noTokenEnv = { FAULTLINE_TOKEN: undefined, FAULTLINE_TOKEN_FILE: undefined, FAULTLINE_LOG_LEVEL: 'warn' };

describe('faultline serve: safe binds and tokens', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-serve-sec-'));
  });

  afterEach(async () => {
    await stopAllDaemons();
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a non-loopback --listen without a token: exit 2, one line saying how to set one', async () => {
    for (const listen of ['0.0.0.0:0', '[::]:0']) {
      const r = await runCli(['serve', '--listen', listen, '--state', ':memory:'], { cwd: dir, env: noTokenEnv });
      expect(r.code, listen).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`--listen ${listen}`);
      expect(lines[0]).toContain('--token-file');
      expect(r.stdout).not.toContain('listening on');
    }
  });

  it('refuses an empty token, from the flag, the environment or a file (exit 2)', async () => {
    const empty = join(dir, 'empty-token');
    writeFileSync(empty, '\n');
    const cases: Array<[string[], Record<string, string | undefined>, RegExp]> = [
      [['--token', ''], {}, /--token is empty/],
      [[], { FAULTLINE_TOKEN: '' }, /FAULTLINE_TOKEN is empty/],
      [['--token-file', empty], {}, /token file .* is empty/],
      [[], { FAULTLINE_TOKEN_FILE: empty }, /token file .* \(FAULTLINE_TOKEN_FILE\) is empty/],
      [['--token-file', join(dir, 'missing')], {}, /cannot read the token file .*ENOENT/],
      [['--token', 'a', '--token-file', empty], {}, /both given/],
    ];
    for (const [args, env, message] of cases) {
      const r = await runCli(['serve', '--listen', '127.0.0.1:0', '--state', ':memory:', ...args], { cwd: dir, env: { ...noTokenEnv, ...env } });
      expect(r.code, args.join(' ') || JSON.stringify(env)).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('--insecure listens beyond loopback without a token, with a warning at every start', async () => {
    for (let start = 0; start < 2; start++) {
      const d = await startDaemon({ listen: '0.0.0.0:0', extraArgs: ['--insecure'], env: { FAULTLINE_LOG_LEVEL: 'warn' } });
      expect(d.output()).toMatch(/WARNING: listening on 0\.0\.0\.0:0 with no token \(--insecure\)/);
      expect((await call(`http://127.0.0.1:${d.port}`, 'GET', '/v1/health')).status).toBe(200);
      await d.stop();
    }
  });

  it('--token-file and FAULTLINE_TOKEN_FILE: the token guards the API and never shows in ps', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'file-token-8c1f\n');
    chmodSync(file, 0o600);
    const viaFlag = await startDaemon({ listen: '0.0.0.0:0', extraArgs: ['--token-file', file], env: { FAULTLINE_LOG_LEVEL: 'warn' } });
    expect(viaFlag.output()).not.toContain('WARNING');
    const cmdline = readFileSync(`/proc/${viaFlag.child.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('--token-file');
    expect(cmdline).not.toContain('file-token-8c1f');
    const base = `http://127.0.0.1:${viaFlag.port}`;
    const body = { name: 'p', upstream: '127.0.0.1:9' };
    expect((await call(base, 'POST', '/v1/proxies', body)).status).toBe(401);
    expect((await call(base, 'POST', '/v1/proxies', body, { authorization: 'Bearer file-token-8c1f' })).status).toBe(201);
    await viaFlag.stop();

    const viaEnv = await startDaemon({ env: { FAULTLINE_TOKEN_FILE: file, FAULTLINE_LOG_LEVEL: 'warn' } });
    expect((await call(viaEnv.url, 'POST', '/v1/halt')).status).toBe(401);
    expect((await call(viaEnv.url, 'POST', '/v1/halt', undefined, { authorization: 'Bearer file-token-8c1f' })).status).toBe(200);
    await viaEnv.stop();
  });
});
