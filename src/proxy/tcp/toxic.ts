/**
 * What a toxic is: a definition (type id + `create`) and the stage it creates, one per direction
 * of one connection. A stage receives chunks from the previous stage (or the reader) through
 * `write`/`end` and hands them on through `ctx.out`, in order, whenever it decides to.
 */
import { MAX_TIMER_MS } from '../../plan/index.js';
import type { ToxicSpec, ToxicType } from '../types.js';

/** The code-form attributes of a toxic type (camelCase, without `stream`). */
export type ToxicConfig<T extends ToxicType = ToxicType> = ToxicSpec<T>['config'];

/** Where a stage hands its data: the next stage, or the writer socket. */
export interface StageOutput {
  write(chunk: Buffer): void;
  /** The end of the stream (EOF), after every chunk written before it. */
  end(): void;
}

/** What a stage may use. */
export interface ToxicContext {
  readonly out: StageOutput;
  /** Aborted when the stage is removed (after `flush`) or when the connection closes: clear timers. */
  readonly signal: AbortSignal;
  /**
   * Closes the whole connection once this stage's output has ended: call it, then `out.end()`.
   * Stages after this one still deliver what they hold first (Toxiproxy's `stub.Close()`).
   */
  closeAfterEnd(reason: string): void;
  /** Resets both sockets now (TCP RST): the client sees ECONNRESET. */
  reset(reason: string): void;
}

/** One toxic acting on one direction of one connection. */
export interface ToxicStage<C = ToxicConfig> {
  write(chunk: Buffer): void;
  end(): void;
  /** New attributes, live; state (bytes counted, deadlines already set) is kept. */
  update(config: C): void;
  /**
   * The toxic is being removed: hand everything held to `ctx.out` now, in order (and the end,
   * if it was seen). A toxic never drops bytes it has read. The signal is aborted right after.
   */
  flush(): void;
}

/** A toxic type: one file under `toxics/`, one line in the registry. */
export interface ToxicDef<T extends ToxicType = ToxicType> {
  readonly type: T;
  create(config: ToxicConfig<T>, ctx: ToxicContext): ToxicStage<ToxicConfig<T>>;
}

/** Marks the end of the stream inside a stage's queue. */
export const END: unique symbol = Symbol('end');
/** A queued item: a chunk or the end of the stream. */
export type Item = Buffer | typeof END;

/** Hands one queued item on. */
export function emit(out: StageOutput, item: Item): void {
  if (item === END) out.end();
  else out.write(item);
}

/** A one-shot timer that is cleared when the signal aborts. */
export class StageTimer {
  #timer: NodeJS.Timeout | undefined;
  readonly #signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener('abort', () => this.clear(), { once: true });
  }

  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Runs `fn` after `ms` (replacing any pending run); does nothing once aborted. `ms` is clamped
   * to Node's timer range: beyond it `setTimeout` would fire after 1 ms, and a stage that re-arms
   * until a deadline would spin. (The schemas bound every time attribute; this is the last guard.)
   */
  set(ms: number, fn: () => void): void {
    this.clear();
    if (this.#signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#signal.aborted) fn();
    }, Math.min(Math.max(0, ms), MAX_TIMER_MS));
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
