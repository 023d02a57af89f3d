/**
 * `slow_close`: data passes untouched; the end of the stream (the close) is held for `delay` ms
 * (Toxiproxy `slow_close`).
 */
import { StageTimer, type ToxicConfig, type ToxicContext, type ToxicDef, type ToxicStage } from '../toxic.js';

type Config = ToxicConfig<'slow_close'>;

class SlowCloseStage implements ToxicStage<Config> {
  readonly #timer: StageTimer;
  #ending = false;

  constructor(
    private config: Config,
    private readonly ctx: ToxicContext,
  ) {
    this.#timer = new StageTimer(ctx.signal);
  }

  write(chunk: Buffer): void {
    this.ctx.out.write(chunk);
  }

  end(): void {
    this.#ending = true;
    this.#timer.set(this.config.delay, () => this.ctx.out.end());
  }

  update(config: Config): void {
    this.config = config;
  }

  flush(): void {
    if (this.#ending && this.#timer.pending) {
      this.#timer.clear();
      this.ctx.out.end();
    }
  }
}

/** Toxiproxy's `slow_close` toxic. */
export const slowClose: ToxicDef<'slow_close'> = {
  type: 'slow_close',
  create: (config, ctx) => new SlowCloseStage(config, ctx),
};
