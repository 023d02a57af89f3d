/**
 * Test helpers: faultline between the service and PostgreSQL, to cut the database off without
 * restarting the service, and a payment service listening on a real loopback port.
 *
 * ```
 *   service ──pg──▶ faultline TCP proxy "pg" (127.0.0.1:N) ──▶ PostgreSQL
 *                    driven through the fault API of an embedded executor:
 *                    down (listener closed, sockets cut) | timeout 0 (bytes held) | latency
 * ```
 *
 * faultline tests faultline here: the outage tests exercise its TCP proxy and its fault
 * lifecycle (apply, DELETE, halt) against a real PostgreSQL.
 */
import pino from 'pino';
import { startExecutor, type Executor } from '../../../src/executor/index.js';
import { createPaymentApp, type PaymentAppOptions, type PaymentService } from '../src/app.js';

/** The link to PostgreSQL through a faultline TCP proxy, with the faults the outage tests need. */
export class DbLink {
  private readonly active = new Map<string, 'outage' | 'latency'>();

  private constructor(
    private readonly executor: Executor,
    /** The proxy's port (the service connects here instead of PostgreSQL's). */
    public readonly port: number,
  ) {}

  /** Starts an embedded executor with one TCP proxy `pg` in front of 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<DbLink> {
    const executor = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      logger: pino({ level: 'silent' }),
      config: { proxies: [{ name: 'pg', listen: '127.0.0.1:0', upstream: `127.0.0.1:${targetPort}`, protocol: 'tcp' }] },
    });
    const listen = executor.proxies.require('pg').listen;
    return new DbLink(executor, Number(listen.slice(listen.lastIndexOf(':') + 1)));
  }

  /** The URL `databaseUrl` with its host and port replaced by the proxy's. */
  rewrite(databaseUrl: string): string {
    const u = new URL(databaseUrl);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  private async api(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.executor.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const answer = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(answer)}`);
    return answer;
  }

  private async apply(kind: 'outage' | 'latency', plan: Record<string, unknown>): Promise<void> {
    // Bounded like every fault: a test that forgets to restore leaves nothing behind for long.
    const r = await this.api('POST', '/v1/faults/apply', { service: 'pg', duration_seconds: 120, ...plan });
    this.active.set(String(r['apply_id']), kind);
  }

  private async cancel(kind: 'outage' | 'latency'): Promise<void> {
    for (const [id, k] of [...this.active]) {
      if (k !== kind) continue;
      await this.api('DELETE', `/v1/faults/${id}`);
      this.active.delete(id);
    }
  }

  /** The database goes away (`down`): new connections are refused, open ones are cut. */
  async refuse(): Promise<void> {
    await this.apply('outage', { fault_type: 'down' });
  }

  /** The database stops answering (`timeout` 0): connections are accepted, no byte passes. */
  async blackhole(): Promise<void> {
    await this.apply('outage', { fault_type: 'timeout', fault_config: { timeout: 0 } });
  }

  /** The database answers, slowly: `ms` added each way (0 = off). */
  async setLatency(ms: number): Promise<void> {
    await this.cancel('latency');
    if (ms === 0) return;
    for (const stream of ['upstream', 'downstream']) await this.apply('latency', { fault_type: 'latency', fault_config: { latency: ms, stream } });
  }

  /** The database returns on the same port (the outage faults are cancelled). */
  async restore(): Promise<void> {
    await this.cancel('outage');
  }

  /** Ends every fault (POST /v1/halt) and stops the executor. */
  async close(): Promise<void> {
    await this.api('POST', '/v1/halt', {});
    this.active.clear();
    await this.executor.close();
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
