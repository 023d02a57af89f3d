import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real local HTTP server on 127.0.0.1:0; `hits` counts requests per path. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly hits: Map<string, number>;
  /** Paths (without query) seen, in arrival order, with their arrival time (performance.now()). */
  readonly arrivals: { path: string; at: number; body: string }[];
  close(): Promise<void>;
}

export async function startServer(handler?: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<TestServer> {
  const hits = new Map<string, number>();
  const arrivals: { path: string; at: number; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const at = performance.now();
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      arrivals.push({ path, at, body });
      if (handler) return handler(req, res, body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, path }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    arrivals,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A temp dir removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-drill-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
