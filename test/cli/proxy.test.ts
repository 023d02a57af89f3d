import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, startUpstream, type Upstream } from '../proxy/http/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let upstream: Upstream;
const children: ChildProcess[] = [];

/** Runs `faultline proxy ...` as a real child (node + tsx, so signals reach it directly). */
function run(args: string[]): { child: ChildProcess; lines: string[]; ready: Promise<{ listen: string }>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'proxy', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ listen: string }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const msg = JSON.parse(line) as { msg?: string; listen?: string };
        if (msg.msg === 'ready' && msg.listen) resolve({ listen: msg.listen });
      } catch {
        // a non-JSON line
      }
    });
    void exit.then((code) => reject(new Error(`exited ${code} before ready: ${err}`)));
  });
  ready.catch(() => undefined);
  return { child, lines, ready, exit, stderr: () => err };
}

beforeEach(async () => {
  upstream = await startUpstream();
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }
  await upstream.close();
});

describe('faultline proxy', () => {
  it('runs an HTTP proxy with a rule, faults only the matching route, and exits 0 on SIGINT', async () => {
    const p = run(['--listen', '127.0.0.1:0', '--upstream', upstream.url, '--http', '--rule', 'POST /payment/* abort http_status=503', '--json', '--summary-interval', '0']);
    const { listen } = await p.ready;
    const http = client(`http://${listen}`);
    try {
      expect((await http.send('POST', '/payment/1', { body: '{}' })).status).toBe(503);
      expect((await http.send('GET', '/payment/1')).status).toBe(200);
    } finally {
      await http.close();
    }
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(0);
    const closed = p.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => m.msg === 'closed');
    expect(closed).toMatchObject({ requests: 2, faulted: 1, statusCodes: { '200': 1, '503': 1 } });
    expect(p.lines.some((l) => l.includes('"msg":"fault"'))).toBe(true);
    expect(upstream.hits.get('POST /payment/1')).toBeUndefined();
  });

  it('runs a TCP proxy with a latency toxic and exits 0 on SIGTERM', async () => {
    const p = run(['--listen', '127.0.0.1:0', '--upstream', upstream.address, '--toxic', 'latency:latency=150', '--json']);
    const { listen } = await p.ready;
    const http = client(`http://${listen}`, 1);
    try {
      const r = await http.send('GET', '/t');
      expect(r.status).toBe(200);
      expect(r.ms).toBeGreaterThanOrEqual(140);
      expect(r.ms).toBeLessThan(5_000);
    } finally {
      await http.close();
    }
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  it('exits 2 and names the bad field of a bad flag', async () => {
    const p = run(['--listen', '127.0.0.1:0', '--upstream', upstream.url, '--http', '--rule', 'POST /payment/* abort http_status=42', '--rule', 'GET /x delay']);
    const t = run(['--listen', '127.0.0.1:0', '--upstream', upstream.address, '--toxic', 'latency:latency=abc']);
    expect(await p.exit).toBe(2);
    expect(await t.exit).toBe(2);
    expect(p.stderr()).toContain('--rule[0].fault_config.http_status: must be between 200 and 599');
    expect(p.stderr()).toContain('--rule[1].fault_config.delay_ms');
    expect(t.stderr()).toContain('--toxic[0].fault_config.latency');
  });
});
