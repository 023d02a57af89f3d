/**
 * What every command that talks to a running executor shares: `--executor`, `--token`, `--json`,
 * and one plain HTTP call for the quick commands (`faults`, `halt`, `kill`).
 *
 *   faults ls ──▶ callExecutor (node:http, one attempt, connect/read timeouts) ──▶ executor /v1/...
 *   apply     ──▶ HttpExecutorClient (undici, retry, breaker; loaded only by `apply`)
 *
 * Why not the SDK everywhere: importing it (undici, cockatiel, zod, prom-client, hdr-histogram)
 * costs ~300 ms, four times Node's own start; a one-shot read needs none of it. Errors carry the
 * SDK's codes (`FL_ERR_CLIENT_*`), so both paths print the same one-line messages.
 */
import type { Command } from 'commander';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError, ExitStatus } from './errors.js';

/** Options every command that talks to a running executor takes. */
export interface ExecutorCliOptions {
  executor: string;
  token?: string;
  json?: boolean;
}

/** Adds `--executor URL`, `--token T` and `--json` to a command. */
export function withExecutorOptions(cmd: Command): Command {
  return cmd
    .option('--executor <url>', 'executor base URL (env FAULTLINE_EXECUTOR)', process.env.FAULTLINE_EXECUTOR ?? 'http://127.0.0.1:8474')
    .option('--token <token>', 'bearer token for mutating calls (env FAULTLINE_TOKEN)')
    .option('--json', 'print JSON (errors too: {error, code, fix, exit_code})');
}

/** Prints `value` as JSON (with --json) or as `text`. */
export function print(opts: { json?: boolean }, value: unknown, text: string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/** The executor's base URL from `--executor`, checked. @throws CliError (exit 2) */
export function executorUrl(opts: ExecutorCliOptions): URL {
  let url: URL;
  try {
    url = new URL(opts.executor);
  } catch {
    throw new CliError(`--executor '${opts.executor}' is not a URL`, 'give the base URL, e.g. --executor http://127.0.0.1:8474');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--executor '${opts.executor}' is not an http(s) URL`, 'give the base URL, e.g. --executor http://127.0.0.1:8474');
  }
  return url;
}

function errorText(body: unknown, fallback: string): string {
  if (body !== null && typeof body === 'object') {
    const b = body as { error?: unknown; message?: unknown };
    if (typeof b.error === 'string') return b.error;
    if (typeof b.message === 'string') return b.message;
  }
  return fallback;
}

function issuesOf(body: unknown): { path: string; message: string }[] | undefined {
  const b = body as { issues?: unknown; details?: { issues?: unknown } } | null;
  const raw = Array.isArray(b?.issues) ? b.issues : Array.isArray(b?.details?.issues) ? b.details.issues : undefined;
  return raw?.map((i: { path?: unknown; message?: unknown }) => ({ path: String(i.path ?? ''), message: String(i.message ?? '') }));
}

/**
 * One call to the executor's API; resolves with the parsed JSON answer (2xx).
 * @throws CliError with the SDK's codes: FL_ERR_CLIENT_CONNECTION / _TIMEOUT / _BAD_REQUEST (exit 2) /
 *   _UNAUTHORIZED / _NOT_FOUND / _RESPONSE (exit 1)
 */
export async function callExecutor<T = unknown>(
  opts: ExecutorCliOptions,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  timeouts: { connectMs?: number; readMs?: number } = {},
): Promise<T> {
  const base = executorUrl(opts);
  const url = new URL(path, base.href.endsWith('/') ? base.href : `${base.href}/`);
  const token = opts.token ?? process.env.FAULTLINE_TOKEN;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (token) headers.authorization = `Bearer ${token}`;
  const where = `${method} ${url.href}`;
  const connectMs = timeouts.connectMs ?? 2_000;
  const readMs = timeouts.readMs ?? 10_000;

  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, agent: false });
    let connected = false;
    const connectTimer = setTimeout(() => {
      if (!connected) req.destroy(Object.assign(new Error(`no connection within ${connectMs} ms`), { code: 'ETIMEDOUT' }));
    }, connectMs);
    req.setTimeout(readMs, () => req.destroy(Object.assign(new Error(`no answer within ${readMs} ms`), { code: 'ETIMEDOUT' })));
    req.once('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    req.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      const timedOut = err.code === 'ETIMEDOUT';
      reject(
        new CliError(
          timedOut ? `the executor at ${base.origin} did not answer ${where} (${err.message})` : `cannot reach the executor at ${base.origin} (${err.code ?? err.message})`,
          timedOut
            ? 'check that the executor at --executor is up and not overloaded, then retry'
            : 'start the executor with `faultline serve`, or point --executor (or FAULTLINE_EXECUTOR) at it',
          { code: timedOut ? 'FL_ERR_CLIENT_TIMEOUT' : 'FL_ERR_CLIENT_CONNECTION', exitCode: ExitStatus.Failed, cause: err },
        ),
      );
    });
    req.once('response', (res: IncomingMessage) => {
      clearTimeout(connectTimer);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', (err) => req.destroy(err));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(payload);
  });

  let json: unknown = null;
  try {
    json = text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    json = null;
  }
  if (status >= 200 && status < 300) {
    if (json === null) {
      throw new CliError(`${where} answered ${status} with a body that is not JSON`, 'check that --executor points at a faultline executor', {
        code: 'FL_ERR_CLIENT_RESPONSE',
        exitCode: ExitStatus.Failed,
      });
    }
    return json as T;
  }
  const message = errorText(json, `${where} answered ${status}`);
  const issues = issuesOf(json);
  switch (status) {
    case 400:
      throw new CliError(`the executor refused the request: ${message}`, 'fix the fields named; `faultline schema plan` prints the plan format', {
        code: 'FL_ERR_CLIENT_BAD_REQUEST',
        exitCode: ExitStatus.Usage,
        ...(issues ? { issues } : {}),
      });
    case 401:
      throw new CliError(`the executor wants a token: ${message}`, 'pass the daemon token with --token or set FAULTLINE_TOKEN', {
        code: 'FL_ERR_CLIENT_UNAUTHORIZED',
        exitCode: ExitStatus.Failed,
      });
    case 404:
      throw new CliError(message, 'check the id or name; `faultline faults ls` lists the applications', { code: 'FL_ERR_CLIENT_NOT_FOUND', exitCode: ExitStatus.Failed });
    default:
      throw new CliError(`${where} answered ${status}: ${message}`, 'read the executor log; rerun with --debug for details', {
        code: 'FL_ERR_CLIENT_RESPONSE',
        exitCode: ExitStatus.Failed,
      });
  }
}
