/**
 * Test helpers: a TCP forwarder that can cut the service off from PostgreSQL without restarting
 * it, and a payment service listening on a real loopback port.
 *
 * ```
 *   service ──pg──▶ forwarder (127.0.0.1:N) ──▶ PostgreSQL
 *                    pass (optionally with latency) | refuse (listener closed, sockets reset)
 *                    | blackhole (accepts, drops bytes)
 * ```
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createPaymentApp, type PaymentAppOptions, type PaymentService } from '../src/app.js';

export type ForwarderMode = 'pass' | 'refuse' | 'blackhole';


export class TcpForwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mode: ForwarderMode = 'pass';
  /** Added to every chunk in both directions while passing (order is kept: equal delays). */
  private latencyMs = 0;

  private constructor(
    private readonly targetPort: number,
    public port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpForwarder> {
    const f = new TcpForwarder(targetPort, 0);
    await f.listen();
    return f;
  }

  /** The URL `databaseUrl` with its port replaced by the forwarder's. */
  rewrite(databaseUrl: string): string {
    const u = new URL(databaseUrl);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  private async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (typeof address === 'object' && address !== null) this.port = address.port;
    this.server = server;
  }

  private accept(client: Socket): void {
    const upstream = createConnection({ port: this.targetPort, host: '127.0.0.1' });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (this.mode !== 'pass') return;
      if (this.latencyMs === 0) to.write(chunk);
      else setTimeout(() => to.destroyed || to.write(chunk), this.latencyMs);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
  }

  /** The database goes away: new connections are refused, open ones are reset. */
  async refuse(): Promise<void> {
    this.mode = 'refuse';
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The database stops answering: connections are accepted (and kept) but no byte passes. */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  /** The database answers, slowly: every chunk waits `ms` each way (0 = off). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** The database returns on the same port. */
  async restore(): Promise<void> {
    // Connections opened during a blackhole carry a half-done handshake: drop them.
    if (this.mode === 'blackhole') for (const s of this.sockets) s.destroy();
    this.mode = 'pass';
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.refuse();
  }
}

/** A payment service listening on 127.0.0.1:0 with its base URL. */
export interface RunningService extends PaymentService {
  readonly url: string;
}

export async function startService(opts: PaymentAppOptions): Promise<RunningService> {
  const service = createPaymentApp({ logger: false, ...opts });
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const address = service.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { ...service, url: `http://127.0.0.1:${port}` };
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

/** One HTTP call with a JSON body (or raw string), answering status, headers, parsed body and duration. */
export async function call(method: string, url: string, body?: unknown, raw?: string): Promise<JsonResponse> {
  const started = performance.now();
  const init: RequestInit = { method, signal: AbortSignal.timeout(10_000) };
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) init.body = JSON.stringify(body);
  if (raw !== undefined || body !== undefined) init.headers = { 'content-type': 'application/json' };
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    ms: performance.now() - started,
  };
}

/** Polls `check` every `everyMs` until it returns true or `withinMs` passes; answers the time it took. */
export async function waitUntil(check: () => Promise<boolean>, withinMs: number, everyMs = 100): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
