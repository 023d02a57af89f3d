/**
 * One proxied connection: the client socket, the upstream socket, and a {@link Link} each way.
 *
 *   client ──▶ Link 'upstream'   (client -> upstream) ──▶ upstream
 *   client ◀── Link 'downstream' (upstream -> client) ◀── upstream
 *
 * Each toxic's `toxicity` is decided here, once per connection (when it opens or when the toxic
 * is added), as Toxiproxy does; a toxic that is off for this connection has no stage at all.
 */
import net, { type Socket } from 'node:net';
import type { Counters, Recorder } from '../recorder/index.js';
import type { ToxicSpec } from '../types.js';
import { Link, type LinkOwner } from './link.js';
import { toxicRegistry } from './toxics/index.js';
import type { ToxicDef } from './toxic.js';

/** A toxic installed on a proxy. */
export interface InstalledToxic {
  readonly spec: ToxicSpec;
  /** Add order: stages sit in this order on a link. */
  readonly order: number;
  readonly counters: Counters;
}

/** Where the connection reports. */
export interface ConnectionEnv {
  readonly host: string;
  readonly port: number;
  readonly recorder: Recorder;
  onClosed(conn: Connection): void;
}

/** How long a gracefully closing socket may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

/** One client connection and its upstream connection. */
export class Connection implements LinkOwner {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly #env: ConnectionEnv;
  readonly #links: { readonly upstream: Link; readonly downstream: Link };
  /** Toxic name -> whether it is on for this connection. */
  readonly #decisions = new Map<string, boolean>();
  readonly #countedFaulted = new Set<string>();
  readonly #opened = performance.now();
  #faulted = false;
  #connected = false;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #accountedIn = 0;
  #accountedOut = 0;

  constructor(client: Socket, env: ConnectionEnv, toxics: Iterable<InstalledToxic>) {
    this.client = client;
    this.#env = env;
    env.recorder.seen();
    client.setNoDelay(true);
    this.upstream = net.connect({ host: env.host, port: env.port, allowHalfOpen: true, noDelay: true });
    this.#links = {
      upstream: new Link(client, this.upstream, 'upstream', this),
      downstream: new Link(this.upstream, client, 'downstream', this),
    };
    for (const t of toxics) this.addToxic(t);
    this.upstream.once('connect', this.#onConnect);
    client.on('error', this.#onClientError);
    this.upstream.on('error', this.#onUpstreamError);
    client.on('close', this.#onClose);
    this.upstream.on('close', this.#onClose);
    this.#links.upstream.start();
    this.#links.downstream.start();
  }

  /** Decides the toxic for this connection (toxicity) and installs its stage when on. */
  addToxic(t: InstalledToxic): void {
    if (this.#state !== 'open') return;
    t.counters.seen();
    this.#decide(t);
  }

  /** Removes a toxic's stage, flushing what it holds. */
  removeToxic(name: string): void {
    this.#decisions.delete(name);
    this.#countedFaulted.delete(name);
    this.#links.upstream.removeStage(name);
    this.#links.downstream.removeStage(name);
  }

  /** Applies a toxic's new spec live; re-decides toxicity only when toxicity or stream changed. */
  updateToxic(prev: ToxicSpec, next: InstalledToxic): void {
    if (this.#state !== 'open') return;
    if (prev.toxicity !== next.spec.toxicity || prev.stream !== next.spec.stream) {
      this.#links.upstream.removeStage(prev.name);
      this.#links.downstream.removeStage(prev.name);
      this.#decide(next);
    } else if (this.#decisions.get(prev.name) === true) {
      this.#links[next.spec.stream].updateStage(prev.name, next.spec.config);
    }
  }

  #decide(t: InstalledToxic): void {
    const on = t.spec.toxicity >= 1 || Math.random() < t.spec.toxicity;
    this.#decisions.set(t.spec.name, on);
    if (!on) return;
    if (!this.#countedFaulted.has(t.spec.name)) {
      this.#countedFaulted.add(t.spec.name);
      t.counters.faulted();
    }
    if (!this.#faulted) {
      this.#faulted = true;
      this.#env.recorder.faulted();
    }
    const def = toxicRegistry[t.spec.type] as ToxicDef;
    this.#links[t.spec.stream].addStage(t.spec.name, t.order, def, t.spec.config, t.counters);
  }

  /** Adds the bytes moved since the last call to the recorder (cheap: two socket counters). */
  accountBytes(): void {
    const bytesIn = this.client.bytesRead;
    const bytesOut = this.client.bytesWritten;
    if (bytesIn > this.#accountedIn) this.#env.recorder.bytesIn(bytesIn - this.#accountedIn);
    if (bytesOut > this.#accountedOut) this.#env.recorder.bytesOut(bytesOut - this.#accountedOut);
    this.#accountedIn = bytesIn;
    this.#accountedOut = bytesOut;
  }

  /** Cuts the connection now (proxy down or closed). */
  destroy(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.#links.upstream.close();
    this.#links.downstream.close();
    this.client.destroy();
    this.upstream.destroy();
  }

  // LinkOwner

  cutting(reason: string, toxic: string): void {
    this.#env.recorder.fault(toxic).event('info', 'closing connection', { reason });
  }

  shutdown(reason: string, toxic: string): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#env.recorder.fault(toxic).event('info', 'connection closed by toxic', { reason });
    this.#links.upstream.stopReading();
    this.#links.downstream.stopReading();
    this.#links.upstream.close();
    this.#links.downstream.close();
    endThenDestroy(this.client);
    endThenDestroy(this.upstream);
  }

  reset(reason: string, toxic: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    const counters = this.#env.recorder.fault(toxic);
    counters.error();
    this.#env.recorder.error();
    counters.event('warn', 'connection reset by toxic', { reason });
    this.#links.upstream.close();
    this.#links.downstream.close();
    resetSocket(this.client);
    resetSocket(this.upstream);
  }

  #onConnect = (): void => {
    this.#connected = true;
    this.#env.recorder.latency(performance.now() - this.#opened);
  };

  #onClientError = (err: NodeJS.ErrnoException): void => {
    if (this.#state !== 'open') return;
    this.#env.recorder.error();
    this.#env.recorder.event('warn', 'client connection error', { code: err.code ?? 'unknown', error: err.message });
    this.#abort(this.upstream, err);
  };

  #onUpstreamError = (err: NodeJS.ErrnoException): void => {
    if (this.#state !== 'open') return;
    this.#env.recorder.error();
    if (!this.#connected) {
      // Refused / unreachable: close the client cleanly (FIN), as Toxiproxy does.
      this.#env.recorder.event('error', 'upstream unreachable', { code: err.code ?? 'unknown', error: err.message });
      this.#state = 'closing';
      this.#links.upstream.close();
      this.#links.downstream.close();
      this.upstream.destroy();
      this.client.resume(); // read and drop what the client sent, so that the close is not a reset
      endThenDestroy(this.client);
      return;
    }
    this.#env.recorder.event('warn', 'upstream connection error', { code: err.code ?? 'unknown', error: err.message });
    this.#abort(this.client, err);
  };

  /** One side failed: a reset is passed on as a reset, anything else as a close. */
  #abort(other: Socket, err: NodeJS.ErrnoException): void {
    this.#state = 'closing';
    this.#links.upstream.close();
    this.#links.downstream.close();
    if (err.code === 'ECONNRESET') resetSocket(other);
    else other.destroy();
    this.client.destroy();
    this.upstream.destroy();
  }

  #onClose = (): void => {
    if (this.#state === 'closed') return;
    const c = this.client;
    const u = this.upstream;
    // One side went away without a clean two-way close: the other cannot carry on.
    if (c.destroyed && !u.destroyed && !(c.readableEnded && c.writableFinished)) u.destroy();
    if (u.destroyed && !c.destroyed && !(u.readableEnded && u.writableFinished)) c.destroy();
    if (!c.destroyed || !u.destroyed) return;
    this.#state = 'closed';
    this.#links.upstream.close();
    this.#links.downstream.close();
    this.accountBytes();
    this.#env.onClosed(this);
  };
}

function endThenDestroy(socket: Socket): void {
  if (socket.destroyed) return;
  if (!socket.writableEnded) socket.end();
  if (socket.writableFinished) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once('finish', () => {
    clearTimeout(timer);
    socket.destroy();
  });
  socket.once('close', () => clearTimeout(timer));
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
