/**
 * `bandwidth`: limits a direction to `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy). Data leaves
 * in pieces of at most 100 ms worth (`rate * 100` bytes), each after its transmission time; a
 * rate of 0 means unlimited (Toxiproxy).
 */
import { END, StageTimer, emit, type Item, type ToxicConfig, type ToxicContext, type ToxicDef, type ToxicStage } from '../toxic.js';

type Config = ToxicConfig<'bandwidth'>;

class BandwidthStage implements ToxicStage<Config> {
  readonly #queue: Item[] = [];
  readonly #timer: StageTimer;
  /** When the link is free again (performance.now() ms). */
  #freeAt = 0;

  constructor(
    private config: Config,
    private readonly ctx: ToxicContext,
  ) {
    this.#timer = new StageTimer(ctx.signal);
  }

  write(chunk: Buffer): void {
    this.#queue.push(chunk);
    if (!this.#timer.pending) this.#pump();
  }

  end(): void {
    this.#queue.push(END);
    if (!this.#timer.pending) this.#pump();
  }

  update(config: Config): void {
    this.config = config;
    // A new rate applies from now: re-plan the piece waiting for its slot.
    if (this.#timer.pending) {
      this.#timer.clear();
      this.#freeAt = performance.now();
      this.#pump();
    }
  }

  flush(): void {
    this.#timer.clear();
    for (const item of this.#queue.splice(0)) emit(this.ctx.out, item);
  }

  #pump = (): void => {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const rate = this.config.rate; // bytes per ms
      if (head === END || rate <= 0) {
        this.#queue.shift();
        emit(this.ctx.out, head);
        continue;
      }
      const now = performance.now();
      const piece = head.length > rate * 100 ? head.subarray(0, rate * 100) : head;
      const due = Math.max(this.#freeAt, now) + piece.length / rate;
      if (due > now + 1) {
        // Wait for the piece's transmission time, then send it.
        this.#timer.set(due - now, () => {
          this.#send(piece);
          this.#freeAt = due;
          this.#pump();
        });
        return;
      }
      this.#freeAt = due;
      this.#send(piece);
    }
  };

  #send(piece: Buffer): void {
    const head = this.#queue[0] as Buffer;
    if (piece.length === head.length) this.#queue.shift();
    else this.#queue[0] = head.subarray(piece.length);
    this.ctx.out.write(piece);
  }
}

/** Toxiproxy's `bandwidth` toxic. */
export const bandwidth: ToxicDef<'bandwidth'> = {
  type: 'bandwidth',
  create: (config, ctx) => new BandwidthStage(config, ctx),
};
