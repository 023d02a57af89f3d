/** Small helpers shared by the executor tests: a real HTTP upstream and JSON calls. */
import { createServer, type Server } from 'node:http';
import { request } from 'undici';

/** A real HTTP upstream on 127.0.0.1:0 answering 200 `ok`. */
export async function startUpstream(): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A parsed JSON answer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Answer = { status: number; body: any };

/** A JSON call; returns the status and the parsed body (or the text). */
export async function call(
  base: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.statusCode, body: parsed };
}

/** Status code of one GET through a proxy (`host:port`). */
export async function probe(listen: string, path = '/'): Promise<number> {
  const res = await request(`http://${listen}${path}`, { method: 'GET', reset: true });
  await res.body.dump();
  return res.statusCode;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
