import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { HealthConfig } from './config.js';

/** The outcome of one health check. */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: CheckResult = { ok: true };

/**
 * Runs one health check (HTTP status, TCP connect or a command's exit code) within `timeoutMs`.
 * Never throws: every failure is a `{ ok: false, reason }`.
 */
export function runHealthCheck(health: HealthConfig, signal?: AbortSignal): Promise<CheckResult> {
  if (health.http) return httpCheck(health.http.url, health.http.expectStatus, health.timeoutMs, signal);
  if (health.tcp) return tcpCheck(health.tcp.host, health.tcp.port, health.timeoutMs, signal);
  if (health.command !== undefined) return commandCheck(health.command, health.timeoutMs, signal);
  return Promise.resolve(OK);
}

function httpCheck(url: string, expect: number | readonly number[], timeoutMs: number, signal?: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    // A fresh connection per check (agent: false): a kept-alive socket could answer for a dead pid.
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs, ...(signal ? { signal } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      const ok = typeof expect === 'number' ? status === expect : expect.includes(status);
      resolve(ok ? OK : { ok: false, reason: `HTTP ${status} from ${url}` });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, reason: `${url}: ${err.code ?? err.message}` }));
    req.end();
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs, ...(signal ? { signal } : {}) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(OK);
    });
    socket.once('timeout', () => socket.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, reason: `tcp ${host}:${port}: ${err.code ?? err.message}` }));
  });
}

function commandCheck(command: string | readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    const [file, ...args] = typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
    const child = spawn(file ?? '/bin/sh', args, {
      stdio: 'ignore',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      ...(signal ? { signal } : {}),
    });
    child.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, reason: `health command: ${err.code ?? err.message}` }));
    child.once('exit', (code, sig) => {
      if (code === 0) resolve(OK);
      else resolve({ ok: false, reason: sig ? `health command killed by ${sig}` : `health command exited with ${code}` });
    });
  });
}
