/**
 * `limit_data`: lets `bytes` bytes through, then closes the connection (Toxiproxy `limit_data`).
 * The count survives live updates; raising the limit lets more through.
 */
import type { ToxicConfig, ToxicContext, ToxicDef, ToxicStage } from '../toxic.js';

type Config = ToxicConfig<'limit_data'>;

class LimitDataStage implements ToxicStage<Config> {
  #passed = 0;
  #closed = false;

  constructor(
    private config: Config,
    private readonly ctx: ToxicContext,
  ) {}

  write(chunk: Buffer): void {
    if (this.#closed) return;
    const left = this.config.bytes - this.#passed;
    const piece = chunk.length > left ? chunk.subarray(0, Math.max(0, left)) : chunk;
    if (piece.length > 0) {
      this.#passed += piece.length;
      this.ctx.out.write(piece);
    }
    if (this.#passed >= this.config.bytes) {
      this.#closed = true;
      this.ctx.closeAfterEnd(`limit_data: ${this.config.bytes} bytes passed`);
      this.ctx.out.end();
    }
  }

  end(): void {
    if (!this.#closed) this.ctx.out.end();
  }

  update(config: Config): void {
    this.config = config;
  }

  flush(): void {
    // Holds nothing.
  }
}

/** Toxiproxy's `limit_data` toxic. */
export const limitData: ToxicDef<'limit_data'> = {
  type: 'limit_data',
  create: (config, ctx) => new LimitDataStage(config, ctx),
};
