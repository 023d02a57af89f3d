/**
 * `slicer`: cuts data into slices of `averageSize` plus or minus `sizeVariation` bytes and sends
 * them `delay` microseconds apart (Toxiproxy `slicer`), so the reader sees many small chunks.
 */
import { END, StageTimer, type Item, type ToxicConfig, type ToxicContext, type ToxicDef, type ToxicStage } from '../toxic.js';

type Config = ToxicConfig<'slicer'>;

class SlicerStage implements ToxicStage<Config> {
  readonly #queue: Item[] = [];
  readonly #timer: StageTimer;

  constructor(
    private config: Config,
    private readonly ctx: ToxicContext,
  ) {
    this.#timer = new StageTimer(ctx.signal);
  }

  #size(): number {
    const { averageSize, sizeVariation } = this.config;
    const v = sizeVariation > 0 ? Math.floor(Math.random() * (2 * sizeVariation + 1)) - sizeVariation : 0;
    return Math.max(1, averageSize + v);
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
  }

  flush(): void {
    this.#timer.clear();
    for (const item of this.#queue.splice(0)) {
      if (item === END) this.ctx.out.end();
      else this.ctx.out.write(item);
    }
  }

  #pump = (): void => {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (head === END) {
        this.#queue.shift();
        this.ctx.out.end();
        continue;
      }
      const size = this.#size();
      if (size >= head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(size);
      this.ctx.out.write(size >= head.length ? head : head.subarray(0, size));
      if (this.config.delay > 0 && this.#queue.length > 0) {
        // setTimeout has 1 ms granularity: sub-millisecond delays round up to the next tick.
        this.#timer.set(this.config.delay / 1000, this.#pump);
        return;
      }
    }
  };
}

/** Toxiproxy's `slicer` toxic. */
export const slicer: ToxicDef<'slicer'> = {
  type: 'slicer',
  create: (config, ctx) => new SlicerStage(config, ctx),
};
