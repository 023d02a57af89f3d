/** Test helpers: a real upstream node:http server and a small client. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import type { FaultConfigOf } from '../../../src/plan/index.js';
import type { HttpFaultType, HttpRuleSpec } from '../../../src/proxy/index.js';

export interface Upstream {
  readonly url: string;
  readonly address: string;
  /** Requests seen per `METHOD path`. */
  readonly hits: Map<string, number>;
  /** Bytes `/bytes` has handed to its sockets so far. */
  readonly sent: { bytes: number };
  close(): Promise<void>;
}

/**
 * Routes: `/echo` streams the request body back; `/bytes?n=N` streams N bytes; `/hang` never
 * answers; anything else answers 200 JSON `{ method, path }`.
 */
export async function startUpstream(): Promise<Upstream> {
  const hits = new Map<string, number>();
  const sent = { bytes: 0 };
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = `${req.method} ${url.pathname}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    if (url.pathname === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
      return;
    }
    if (url.pathname === '/bytes') {
      const n = Number(url.searchParams.get('n') ?? '0');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
      const chunk = Buffer.alloc(65_536, 120);
      let left = n;
      const pump = (): void => {
        while (left > 0) {
          const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= part.length;
          sent.bytes += part.length;
          if (!res.write(part)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    if (url.pathname === '/hang') {
      hanging.add(res);
      req.resume();
      return;
    }
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, path: url.pathname, header: req.headers['x-test'] ?? null });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    hits,
    sent,
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly ms: number;
}

/** A keep-alive client to one origin. */
export function client(origin: string, connections = 16): { send(method: string, path: string, opts?: { headers?: Record<string, string>; body?: string }): Promise<Reply>; close(): Promise<void> } {
  const pool = new Pool(origin, { connections, keepAliveTimeout: 10_000 });
  return {
    async send(method, path, opts = {}) {
      const t0 = performance.now();
      const res = await pool.request({ method: method as 'GET', path, headers: opts.headers ?? {}, body: opts.body ?? null });
      const body = await res.body.text();
      return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - t0 };
    },
    async close() {
      await pool.destroy();
    },
  };
}

/** A rule with the config defaults filled in. */
export function rule<T extends HttpFaultType>(
  id: string,
  type: T,
  config: Partial<FaultConfigOf<T>>,
  match: { method?: string; path?: string; headers?: Record<string, string>; percentage?: number } = {},
): HttpRuleSpec {
  const spec: Record<string, unknown> = { id, type, config: { phase: 'request', skip: 0, ...config }, percentage: match.percentage ?? 100 };
  if (match.method !== undefined) spec.method = match.method;
  if (match.path !== undefined) spec.path = match.path;
  if (match.headers !== undefined) spec.headers = match.headers;
  return spec as unknown as HttpRuleSpec;
}
