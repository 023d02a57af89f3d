import net, { type Socket } from 'node:net';
import { createTcpProxy } from '../../../src/proxy/tcp/index.js';

/** A real echo server on 127.0.0.1 port 0. */
export async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export type TestProxy = ReturnType<typeof createTcpProxy>;

export async function startProxy(upstreamPort: number, name = 'test'): Promise<TestProxy> {
  const proxy = createTcpProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` });
  await proxy.start();
  return proxy;
}

export function portOf(proxy: { listen: string }): number {
  return Number(proxy.listen.split(':').pop());
}

const open: Socket[] = [];

export function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
    open.push(s);
  });
}

/** Destroys every client socket the tests opened. */
export function destroyClients(): void {
  for (const s of open.splice(0)) s.destroy();
}

/** Reads until `n` bytes arrived (or the stream ends); counts the chunks. */
export function readBytes(s: Socket, n: number, timeoutMs = 10_000): Promise<{ data: Buffer; chunks: number; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const done = (ended: boolean): void => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      resolve({ data: Buffer.concat(parts), chunks: parts.length, ended });
    };
    const onData = (b: Buffer): void => {
      parts.push(b);
      got += b.length;
      if (got >= n) done(false);
    };
    const onEnd = (): void => done(true);
    const timer = setTimeout(() => {
      s.off('data', onData);
      reject(new Error(`timed out after ${got} of ${n} bytes`));
    }, timeoutMs);
    s.on('data', onData);
    s.once('end', onEnd);
  });
}

/** Resolves with the error the socket emits (or null when it closes without one). */
export function closeOf(s: Socket): Promise<{ error: NodeJS.ErrnoException | null; at: number }> {
  return new Promise((resolve) => {
    let error: NodeJS.ErrnoException | null = null;
    s.on('error', (e: NodeJS.ErrnoException) => (error = e));
    s.once('close', () => resolve({ error, at: performance.now() }));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Deterministic pseudo-random bytes (so a reorder or loss shows as a mismatch). */
export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
