import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, stopAllDaemons, type Daemon } from '../helpers/daemon.js';
import { runCli } from '../helpers/cli.js';
import { ONE_LINE } from './helpers.js';

const TOKEN = 'cli-test-token';

describe('apply, faults, halt against a real daemon (dist/cli/main.js)', () => {
  let upstream: Server;
  let d: Daemon;
  let web: string;
  let dir: string;
  const cli = (args: string[], token: string | null = TOKEN) => runCli([...args, '--executor', d.url, ...(token === null ? [] : ['--token', token])]);

  beforeAll(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as { port: number }).port;
    d = await startDaemon({ token: TOKEN, config: { proxies: [{ name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}`, protocol: 'http' }] } });
    const proxies = (await (await fetch(`${d.url}/v1/proxies`)).json()) as { proxies: { name: string; listen: string }[] };
    web = proxies.proxies.find((p) => p.name === 'web')!.listen;
    dir = mkdtempSync(join(tmpdir(), 'faultline-cli-exec-'));
    writeFileSync(join(dir, 'abort.json'), JSON.stringify({ service: 'web', fault_type: 'abort', fault_config: { http_status: 503 }, percentage: 100, duration_seconds: 120 }));
    writeFileSync(join(dir, 'abort.yaml'), 'service: web\nfault_type: abort\nfault_config: { http_status: 502 }\nduration_seconds: 120\n');
  }, 300_000);

  afterAll(async () => {
    await stopAllDaemons();
    await new Promise<void>((r) => upstream.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a plan (text), the fault is on real traffic, and faults ls/status/metrics/cancel see it', async () => {
    const applied = await cli(['apply', join(dir, 'abort.json')]);
    expect(applied.code, applied.stderr).toBe(0);
    const id = /^(\S+) (applied|scheduled)\n$/.exec(applied.stdout)?.[1];
    expect(id, applied.stdout).toBeDefined();

    const hit = await fetch(`http://${web}/x`);
    expect(hit.status).toBe(503);

    const ls = await cli(['faults', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^${id}\\s+running\\s+.*abort on web`, 'm'));

    const status = await cli(['faults', 'status', id!]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${id}\\s+running `));

    const metrics = await cli(['faults', 'metrics', id!]);
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toMatch(new RegExp(`^${id}: [1-9]\\d*/[1-9]\\d* faulted, error rate `));

    const cancelled = await cli(['faults', 'cancel', id!]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toBe(`${id} cancelled\n`);
    expect((await fetch(`http://${web}/x`)).status).toBe(200);
  });

  it('prints the executor answers as JSON with --json', async () => {
    const applied = await cli(['apply', join(dir, 'abort.yaml'), '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const { apply_id: id, status } = JSON.parse(applied.stdout) as { apply_id: string; status: string };
    expect(status).toBe('applied');

    const ls = JSON.parse((await cli(['faults', 'ls', '--json'])).stdout) as { faults: { apply_id: string; status: string; fault_type: string }[] };
    expect(ls.faults.find((f) => f.apply_id === id)).toMatchObject({ status: 'running', fault_type: 'abort' });

    const st = JSON.parse((await cli(['faults', 'status', id, '--json'])).stdout) as Record<string, unknown>;
    expect(st).toMatchObject({ apply_id: id, status: 'running', service: 'web' });

    await fetch(`http://${web}/y`);
    const m = JSON.parse((await cli(['faults', 'metrics', id, '--json'])).stdout) as { apply_id: string; requests: number; faulted: number; status_codes: Record<string, number> };
    expect(m.apply_id).toBe(id);
    expect(m.faulted).toBeGreaterThanOrEqual(1);
    expect(m.status_codes['502']).toBeGreaterThanOrEqual(1);

    const c = JSON.parse((await cli(['faults', 'cancel', id, '--json'])).stdout) as Record<string, unknown>;
    expect(c).toMatchObject({ apply_id: id, status: 'cancelled' });
  });

  it('halt reverts everything and keeps the counts the API returns, in text and in JSON', async () => {
    for (let i = 0; i < 2; i++) expect((await cli(['apply', join(dir, 'abort.json')])).code).toBe(0);
    const halted = await cli(['halt', '--json']);
    expect(halted.code, halted.stderr).toBe(0);
    expect(JSON.parse(halted.stdout)).toMatchObject({ status: 'halted', cancelled: 2, policies_removed: 0 });
    expect((await fetch(`http://${web}/x`)).status).toBe(200);

    expect((await cli(['apply', join(dir, 'abort.json')])).code).toBe(0);
    const text = await cli(['halt']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('halted: every fault and policy reverted (1 application cancelled, 0 policies removed)\n');
  });

  it('exits 1 with one line for an unknown id, a missing token; 2 for a plan the executor refuses', async () => {
    const missing = await cli(['faults', 'status', 'no-such-id']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(ONE_LINE);
    expect(missing.stderr).toMatch(/faults ls/);

    const noToken = await cli(['halt'], null);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(ONE_LINE);
    expect(noToken.stderr).toMatch(/ — pass the daemon token with --token or set FAULTLINE_TOKEN/);

    const noTokenJson = await cli(['halt', '--json'], null);
    expect(noTokenJson.code).toBe(1);
    expect(JSON.parse(noTokenJson.stdout)).toMatchObject({ code: 'FL_ERR_CLIENT_UNAUTHORIZED', exit_code: 1 });

    // Valid locally, refused by the executor: no proxy named 'nowhere'.
    writeFileSync(join(dir, 'nowhere.json'), JSON.stringify({ service: 'nowhere', fault_type: 'abort', duration_seconds: 5 }));
    const refused = await cli(['apply', join(dir, 'nowhere.json')]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(ONE_LINE);
    expect(refused.stderr).toMatch(/nowhere/);
  });
});
