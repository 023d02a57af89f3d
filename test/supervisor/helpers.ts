import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reservePort } from '../helpers/ports.js';

export const fixture = fileURLToPath(new URL('../fixtures/http-server.mjs', import.meta.url));
export const hostScript = fileURLToPath(new URL('../fixtures/supervisor-host.ts', import.meta.url));

/**
 * A port for a supervised child that must know it before it starts (its health URL names it):
 * below the ephemeral range, so no listen on port 0 elsewhere can take it (test/helpers/ports.ts).
 */
export const freePort = reservePort;

/** GET http://127.0.0.1:<port><path> -> { status, body }, or null on error/timeout. */
export function get(port: number, path = '/', timeoutMs = 500): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** The pid the fixture server answers with, or null when it does not answer. */
export async function servingPid(port: number, timeoutMs = 500): Promise<number | null> {
  const res = await get(port, '/', timeoutMs);
  if (!res || res.status !== 200) return null;
  return (JSON.parse(res.body) as { pid: number }).pid;
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** True while a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** One state letter from /proc/<pid>/stat (R, S, T = stopped, Z ...). */
export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'faultline-sup-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
