/**
 * `timeout`: stops all data. With `timeout` > 0 the connection is closed after that many ms
 * (counted from when the toxic met the connection); with 0 the data is held until the toxic is
 * removed, then it flows on intact. (Toxiproxy drops the held data; faultline keeps it, so that
 * removing the toxic restores the stream without a gap. Backpressure stops the sender meanwhile.)
 */
import { StageTimer, emit, END, type Item, type ToxicConfig, type ToxicContext, type ToxicDef, type ToxicStage } from '../toxic.js';

type Config = ToxicConfig<'timeout'>;

class TimeoutStage implements ToxicStage<Config> {
  readonly #queue: Item[] = [];
  readonly #timer: StageTimer;

  constructor(
    private config: Config,
    private readonly ctx: ToxicContext,
  ) {
    this.#timer = new StageTimer(ctx.signal);
    this.#arm();
  }

  #arm(): void {
    this.#timer.clear();
    if (this.config.timeout > 0) {
      this.#timer.set(this.config.timeout, () => {
        this.#queue.length = 0;
        this.ctx.closeAfterEnd(`timeout after ${this.config.timeout} ms`);
        this.ctx.out.end();
      });
    }
  }

  write(chunk: Buffer): void {
    this.#queue.push(chunk);
  }

  end(): void {
    this.#queue.push(END);
  }

  update(config: Config): void {
    this.config = config;
    this.#arm();
  }

  flush(): void {
    this.#timer.clear();
    for (const item of this.#queue.splice(0)) emit(this.ctx.out, item);
  }
}

/** Toxiproxy's `timeout` toxic. */
export const timeout: ToxicDef<'timeout'> = {
  type: 'timeout',
  create: (config, ctx) => new TimeoutStage(config, ctx),
};
