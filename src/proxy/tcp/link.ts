/**
 * One direction of one proxied connection: bytes read from `src` are written to `dst`, through
 * the toxics installed on that direction (Toxiproxy's link.go).
 *
 *   no toxic (fast path): src.pipe(dst)  -- no JavaScript per chunk
 *
 *   with toxics:
 *
 *     src ──'data'──▶ [stage 0] ──out──▶ [stage 1] ──out──▶ … [stage n-1] ──out──▶ dst.write()
 *      ▲               (one ToxicStage per enabled toxic, in the order the toxics were added)    │
 *      └── pause() while dst needs 'drain' or more than HIGH_WATER bytes sit inside the chain ◀┘
 *
 * A stage hands chunks on whenever it decides (after a delay, in slices, ...), always in order.
 * Adding a stage switches pipe -> chain; removing one first flushes what it holds into the next
 * stage (so no byte is lost or reordered), then, with no stage left, switches chain -> pipe.
 * EOF travels the same way, behind the data, as `end()`.
 */
import type { Socket } from 'node:net';
import type { Counters } from '../recorder/index.js';
import type { StageOutput, ToxicConfig, ToxicDef, ToxicStage } from './toxic.js';

/** Bytes held inside the chain above which the reader is paused (backpressure). */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 18;

/** What a link asks of its connection. */
export interface LinkOwner {
  /** A stage asked to close the connection; called once that link's writer has ended. */
  shutdown(reason: string, toxic: string): void;
  /** A stage asked to reset the connection now. */
  reset(reason: string, toxic: string): void;
  /** A stage decided to close the connection once its output ends (stop reading both ways). */
  cutting(reason: string, toxic: string): void;
}

interface Slot {
  readonly name: string;
  readonly order: number;
  readonly stage: ToxicStage<ToxicConfig>;
  readonly controller: AbortController;
}

/** One direction of a connection: reader -> toxic stages -> writer. */
export class Link {
  readonly #src: Socket;
  readonly #dst: Socket;
  readonly #owner: LinkOwner;
  /** Toxic bytes are counted as bytes in (client -> upstream) or out. */
  readonly #upstream: boolean;
  #slots: Slot[] = [];
  #mode: 'idle' | 'pipe' | 'chain' = 'idle';
  #held = 0;
  #waitingDrain = false;
  #pausedByUs = false;
  #srcEnded = false;
  #dstEnded = false;
  #closeOnEnd: { reason: string; toxic: string } | undefined;
  #closed = false;

  constructor(src: Socket, dst: Socket, direction: 'upstream' | 'downstream', owner: LinkOwner) {
    this.#src = src;
    this.#dst = dst;
    this.#upstream = direction === 'upstream';
    this.#owner = owner;
  }

  /** Starts moving bytes (pipe, or through the stages added before). */
  start(): void {
    this.#src.once('end', this.#onSrcEnd);
    if (this.#slots.length === 0) this.#toPipe();
    else this.#toChain();
  }

  /** Whether a stage of that toxic is on this link. */
  has(name: string): boolean {
    return this.#slots.some((s) => s.name === name);
  }

  /** Inserts a stage for a toxic; `order` places it among the others (the proxy's add order). */
  addStage(name: string, order: number, def: ToxicDef, config: ToxicConfig, counters: Counters): void {
    if (this.#closed || this.#dstEnded) return;
    const controller = new AbortController();
    const slot: Slot = {
      name,
      order,
      controller,
      stage: undefined as unknown as ToxicStage<ToxicConfig>,
    };
    const out: StageOutput = {
      write: (chunk) => {
        const i = this.#slots.indexOf(slot);
        if (i < 0 || this.#closed) return;
        if (this.#upstream) counters.bytesIn(chunk.length);
        else counters.bytesOut(chunk.length);
        this.#forward(i + 1, chunk);
      },
      end: () => {
        const i = this.#slots.indexOf(slot);
        if (i < 0 || this.#closed) return;
        this.#forwardEnd(i + 1);
      },
    };
    (slot as { stage: ToxicStage<ToxicConfig> }).stage = (def as ToxicDef).create(config, {
      out,
      signal: controller.signal,
      closeAfterEnd: (reason) => {
        if (this.#closeOnEnd !== undefined) return;
        this.#closeOnEnd = { reason, toxic: name };
        this.#owner.cutting(reason, name);
      },
      reset: (reason) => this.#owner.reset(reason, name),
    });
    let at = this.#slots.findIndex((s) => s.order > order);
    if (at < 0) at = this.#slots.length;
    this.#slots.splice(at, 0, slot);
    if (this.#mode === 'pipe') this.#toChain();
  }

  /** New attributes for a toxic's stage, live. */
  updateStage(name: string, config: ToxicConfig): void {
    this.#slots.find((s) => s.name === name)?.stage.update(config);
  }

  /** Removes a toxic's stage after flushing what it holds. @returns whether it was here. */
  removeStage(name: string): boolean {
    const slot = this.#slots.find((s) => s.name === name);
    if (slot === undefined) return false;
    if (!this.#closed) slot.stage.flush();
    this.#slots.splice(this.#slots.indexOf(slot), 1);
    slot.controller.abort();
    if (this.#slots.length === 0 && this.#mode === 'chain' && !this.#closed && this.#closeOnEnd === undefined) this.#toPipe();
    return true;
  }

  /** Stops reading: the connection is closing. */
  stopReading(): void {
    this.#closeOnEnd ??= { reason: 'closing', toxic: '' };
    if (this.#mode === 'pipe') this.#src.unpipe(this.#dst);
    this.#src.off('data', this.#onData);
    this.#src.pause();
  }

  /** The connection is gone: clears every stage's timers. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#mode === 'pipe') this.#src.unpipe(this.#dst);
    this.#src.off('data', this.#onData);
    this.#dst.off('drain', this.#onDrain);
    for (const s of this.#slots) s.controller.abort();
    this.#slots = [];
  }

  #toPipe(): void {
    this.#src.off('data', this.#onData);
    if (this.#waitingDrain) this.#dst.off('drain', this.#onDrain);
    this.#waitingDrain = false;
    this.#pausedByUs = false;
    this.#held = 0;
    this.#mode = 'pipe';
    // `end: false`: EOF is forwarded by #onSrcEnd in both modes.
    if (!this.#srcEnded) this.#src.pipe(this.#dst, { end: false });
  }

  #toChain(): void {
    if (this.#mode === 'pipe') this.#src.unpipe(this.#dst);
    this.#mode = 'chain';
    this.#src.on('data', this.#onData);
    if (this.#srcEnded) return;
    if (this.#dst.writableNeedDrain) this.#waitDrain();
    else this.#src.resume();
  }

  #onData = (chunk: Buffer): void => {
    if (this.#closeOnEnd !== undefined) return;
    this.#held += chunk.length;
    this.#forward(0, chunk);
    if (this.#held > HIGH_WATER && !this.#pausedByUs) {
      this.#pausedByUs = true;
      this.#src.pause();
    }
  };

  #onSrcEnd = (): void => {
    this.#srcEnded = true;
    if (this.#closed) return;
    if (this.#mode === 'chain') this.#forwardEnd(0);
    else this.#endDst();
  };

  #forward(i: number, chunk: Buffer): void {
    const slot = this.#slots[i];
    if (slot !== undefined) {
      slot.stage.write(chunk);
      return;
    }
    this.#held = Math.max(0, this.#held - chunk.length);
    if (this.#dstEnded) return;
    if (!this.#dst.write(chunk)) this.#waitDrain();
    else this.#maybeResume();
  }

  #forwardEnd(i: number): void {
    const slot = this.#slots[i];
    if (slot !== undefined) slot.stage.end();
    else this.#endDst();
  }

  #endDst(): void {
    if (this.#dstEnded) return;
    this.#dstEnded = true;
    this.#dst.end();
    const cut = this.#closeOnEnd;
    if (cut !== undefined && cut.toxic !== '') this.#owner.shutdown(cut.reason, cut.toxic);
  }

  #waitDrain(): void {
    if (this.#waitingDrain) return;
    this.#waitingDrain = true;
    this.#pausedByUs = true;
    this.#src.pause();
    this.#dst.once('drain', this.#onDrain);
  }

  #onDrain = (): void => {
    this.#waitingDrain = false;
    this.#maybeResume();
  };

  #maybeResume(): void {
    if (!this.#pausedByUs || this.#waitingDrain || this.#held > LOW_WATER || this.#mode !== 'chain') return;
    if (this.#closeOnEnd !== undefined || this.#closed) return;
    this.#pausedByUs = false;
    this.#src.resume();
  }
}
