/**
 * `latency`: delays every chunk by `latency` ms plus or minus up to `jitter` ms (Toxiproxy
 * `latency`). Chunks keep their order: a chunk leaves at its own deadline or right after the
 * chunk before it, whichever is later. The end of the stream follows the last chunk at once.
 */
import { END, StageTimer, emit, type Item, type ToxicConfig, type ToxicContext, type ToxicDef, type ToxicStage } from '../toxic.js';

type Config = ToxicConfig<'latency'>;

class LatencyStage implements ToxicStage<Config> {
  readonly #queue: { item: Item; due: number }[] = [];
  readonly #timer: StageTimer;

  constructor(
    private config: Config,
    private readonly ctx: ToxicContext,
  ) {
    this.#timer = new StageTimer(ctx.signal);
  }

  #delay(): number {
    const { latency, jitter } = this.config;
    const d = jitter > 0 ? latency + (Math.random() * 2 - 1) * jitter : latency;
    return Math.max(0, d);
  }

  write(chunk: Buffer): void {
    this.#queue.push({ item: chunk, due: performance.now() + this.#delay() });
    if (!this.#timer.pending) this.#pump();
  }

  end(): void {
    this.#queue.push({ item: END, due: 0 });
    if (!this.#timer.pending) this.#pump();
  }

  update(config: Config): void {
    this.config = config;
  }

  flush(): void {
    this.#timer.clear();
    for (const { item } of this.#queue.splice(0)) emit(this.ctx.out, item);
  }

  #pump = (): void => {
    const now = performance.now();
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (head.due > now) {
        this.#timer.set(head.due - now, this.#pump);
        return;
      }
      this.#queue.shift();
      emit(this.ctx.out, head.item);
    }
  };
}

/** Toxiproxy's `latency` toxic. */
export const latency: ToxicDef<'latency'> = {
  type: 'latency',
  create: (config, ctx) => new LatencyStage(config, ctx),
};
