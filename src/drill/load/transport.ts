/**
 * The load's transport: undici Clients, one socket each, and one handler object per request.
 *
 *   send ──▶ an idle Client ──dispatch──▶ InFlight (the handler) ──▶ onDone(status | error)
 *        └─▶ FIFO while every connection is busy; the next request goes when one is released
 */
import { Client, type Dispatcher } from 'undici';
import { classify } from '../../resilience/index.js';

/** A request that outlived its timeout (counted as `timeout`). */
export class LoadTimeoutError extends Error {
  override readonly name = 'LoadTimeoutError';
}

/** A request cut by the generator itself (expired or the load stopped): not recorded again. */
export class LoadCancelledError extends Error {
  override readonly name = 'LoadCancelledError';
}

/** What an error is, for the report's `error_kinds`: resilience's classification, else the code or name. */
export function errorKind(err: unknown): string {
  if (err instanceof LoadTimeoutError) return 'timeout';
  const { kind } = classify(err);
  if (kind !== 'unknown') return kind;
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.cause?.code ?? e.code;
  return (code ?? e.name ?? 'error').toLowerCase();
}

/** One request in flight; it is its own undici handler (no closures per request). */
export class InFlight<T> implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | undefined = undefined;
  done = false;
  status = 0;
  /** Set by {@link Connections} when the request got a connection; frees it for the next one. */
  release: (() => void) | undefined = undefined;

  constructor(
    /** What the generator needs back when it completes (template, seq, vars). */
    readonly meta: T,
    readonly scheduled: number,
    readonly deadline: number,
    private readonly onDone: (f: InFlight<T>, status: number | null, err: unknown) => void,
    /** The closed-loop worker that sent it, -1 in the open model. */
    readonly worker: number,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.done) controller.abort(new LoadCancelledError('expired'));
    else this.controller = controller;
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    this.release?.();
    this.onDone(this, this.status, null);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.release?.();
    this.onDone(this, null, err);
  }
}

/**
 * Connections to one origin: one undici Client (one socket, no pipelining) per connection, an
 * idle stack and a FIFO of requests waiting for one. O(1) per request, where a Pool scans its
 * clients; a queued request's latency still counts from its scheduled time.
 */
export class Connections {
  readonly #idle: Client[] = [];
  readonly #all: Client[] = [];
  #queue: [Dispatcher.DispatchOptions, InFlight<unknown>][] = [];
  #head = 0;

  constructor(
    private readonly origin: string,
    private readonly max: number,
    private readonly options: Client.Options,
  ) {}

  send(opts: Dispatcher.DispatchOptions, f: InFlight<unknown>): void {
    let client = this.#idle.pop();
    if (!client && this.#all.length < this.max) {
      client = new Client(this.origin, this.options);
      this.#all.push(client);
    }
    if (client) this.#dispatch(client, opts, f);
    else this.#queue.push([opts, f]);
  }

  #dispatch(client: Client, opts: Dispatcher.DispatchOptions, f: InFlight<unknown>): void {
    let released = false;
    f.release = () => {
      if (released) return;
      released = true;
      this.#next(client);
    };
    client.dispatch(opts, f);
  }

  #next(client: Client): void {
    while (this.#head < this.#queue.length) {
      const [opts, f] = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as never;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      // Expired while waiting (already recorded as a timeout): never sent.
      if (f.done) continue;
      this.#dispatch(client, opts, f);
      return;
    }
    this.#idle.push(client);
  }

  clients(): Client[] {
    return this.#all;
  }
}

/** The connection pools of one load: one {@link Connections} per origin, plus closed-loop workers. */
export class Transport {
  readonly #pools = new Map<string, Connections>();
  readonly #workers: Client[] = [];

  constructor(
    private readonly timeoutMs: number,
    private readonly connections: number,
  ) {}

  /** Sends through the pool of `origin` (created on first use). */
  send(origin: string, opts: Dispatcher.DispatchOptions, f: InFlight<unknown>): void {
    let pool = this.#pools.get(origin);
    if (!pool) {
      const backstop = this.timeoutMs * 2 + 1000;
      pool = new Connections(origin, this.connections, {
        pipelining: 1,
        keepAliveTimeout: 10_000,
        headersTimeout: backstop,
        bodyTimeout: backstop,
        connectTimeout: Math.min(this.timeoutMs, 10_000),
      });
      this.#pools.set(origin, pool);
    }
    pool.send(opts, f);
  }

  /** Opens `n` closed-loop workers to `origin`: one connection each, no queue between. */
  openWorkers(origin: string, n: number): number {
    for (let w = 0; w < n; w++) this.#workers.push(new Client(origin, { pipelining: 1, keepAliveTimeout: 10_000 }));
    return this.#workers.length;
  }

  /** Sends on a closed-loop worker's own connection. */
  sendOnWorker(worker: number, opts: Dispatcher.DispatchOptions, f: InFlight<unknown>): void {
    this.#workers[worker]!.dispatch(opts, f);
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await Promise.all([...[...this.#pools.values()].flatMap((p) => p.clients()), ...this.#workers].map((c) => c.destroy().catch(() => undefined)));
    this.#pools.clear();
    this.#workers.length = 0;
  }
}
