/**
 * `reset_peer`: when the first data arrives, holds it and, `timeout` ms later (0: at once),
 * resets the connection with a TCP RST, so the client sees ECONNRESET (Toxiproxy `reset_peer`).
 * Removed before then, it hands on what it held.
 */
import { END, StageTimer, emit, type Item, type ToxicConfig, type ToxicContext, type ToxicDef, type ToxicStage } from '../toxic.js';

type Config = ToxicConfig<'reset_peer'>;

class ResetPeerStage implements ToxicStage<Config> {
  readonly #queue: Item[] = [];
  readonly #timer: StageTimer;

  constructor(
    private config: Config,
    private readonly ctx: ToxicContext,
  ) {
    this.#timer = new StageTimer(ctx.signal);
  }

  write(chunk: Buffer): void {
    this.#queue.push(chunk);
    if (this.#queue.length > 1) return;
    if (this.config.timeout === 0) this.ctx.reset('reset_peer');
    else this.#timer.set(this.config.timeout, () => this.ctx.reset(`reset_peer after ${this.config.timeout} ms`));
  }

  end(): void {
    this.#queue.push(END);
  }

  update(config: Config): void {
    this.config = config;
  }

  flush(): void {
    this.#timer.clear();
    for (const item of this.#queue.splice(0)) emit(this.ctx.out, item);
  }
}

/** Toxiproxy's `reset_peer` toxic. */
export const resetPeer: ToxicDef<'reset_peer'> = {
  type: 'reset_peer',
  create: (config, ctx) => new ResetPeerStage(config, ctx),
};
