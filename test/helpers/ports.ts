/**
 * Ports for tests, without the bind-close-reuse race.
 *
 * The race: a helper listens on port 0, reads the port, closes, and hands the number to a server
 * started later; in between, any other listen on port 0 (another worker, another test) may be
 * given the same ephemeral port. So:
 *
 * 1. A server this process starts listens on port 0 itself and is asked for its port afterwards:
 *    {@link listenOnFreePort}. Children that print their address (`faultline serve --listen
 *    127.0.0.1:0`, the payment service with `PORT=0`) are started on port 0 and read back.
 * 2. Only where a port must be known before a server starts that cannot be told port 0 (a Debian
 *    binary, a config that two processes share, a port that must stay the same over a restart),
 *    {@link reservePort} picks one below Linux's ephemeral range (32768-60999), where no listen on
 *    port 0 ever lands, checks it is free by listening on it, and releases it. Ports are drawn at
 *    random per call, so parallel workers and other checkouts rarely draw the same one; a server
 *    that still finds it taken is retried on another by {@link withReservedPort}.
 */
import { createServer, type Server } from 'node:net';

/** Listens on 127.0.0.1 port 0 (or `host`) and resolves with the port the kernel gave. */
export function listenOnFreePort(server: Pick<Server, 'listen' | 'address' | 'once' | 'off'>, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(0, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (typeof address === 'object' && address !== null) resolvePort(address.port);
      else reject(new Error(`no port after listen: ${String(address)}`));
    });
  });
}

const LOW = 20_000;
const HIGH = 32_767; // the kernel's ephemeral range starts at 32768
const recentlyReserved = new Set<number>();

/** Whether 127.0.0.1:`port` can be listened on right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => answer(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => answer(true)));
  });
}

/**
 * A port below the ephemeral range that was free a moment ago (see the module comment for when to
 * use it; prefer {@link listenOnFreePort}).
 */
export async function reservePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (recentlyReserved.has(port)) continue;
    if (await canListen(port)) {
      recentlyReserved.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH} after 200 tries`);
}

/** `count` distinct ports from {@link reservePort}. */
export async function reservePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await reservePort());
  return ports;
}

/** True when `err` says the address was taken (EADDRINUSE, or a child that printed so). */
export function isAddressInUse(err: unknown): boolean {
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err);
  return /EADDRINUSE|address already in use/i.test(text);
}

/**
 * Starts something on a reserved port, and on another if that one turned out to be taken
 * (`start` throws an error for which {@link isAddressInUse} is true). At most `attempts` tries.
 */
export async function withReservedPort<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = await reservePort();
    try {
      return await start(port);
    } catch (err) {
      if (!isAddressInUse(err)) throw err;
      last = err;
    }
  }
  throw last;
}
