/**
 * `throttle`: streams the response body at `rate_kbps`. A Transform that lets bytes through at a fixed rate (the `throttle` fault on a response body).
 * It slices chunks into ~50 ms worth of bytes and waits between slices; it never drops a byte and
 * holds at most one incoming chunk (backpressure does the rest). `release()` lets everything through
 * at once (the rule was removed).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { MAX_TIMER_MS } from '../../../plan/index.js';
import type { HttpFaultDef, ReleasableTransform } from '../fault.js';

/** Streams at `rateKbps` KB/s (1 KB = 1024 bytes). */
export class Throttle extends Transform implements ReleasableTransform {
  readonly #bytesPerMs: number;
  readonly #slice: number;
  #start = -1;
  #sent = 0;
  #timer: NodeJS.Timeout | undefined;
  #pending: (() => void) | undefined;
  #released = false;

  constructor(rateKbps: number) {
    super();
    this.#bytesPerMs = (rateKbps * 1024) / 1000;
    this.#slice = Math.max(1, Math.min(65_536, Math.floor(this.#bytesPerMs * 50)));
  }

  /** Stops throttling (the fault was removed): what is held and what follows passes at once. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#pending;
    this.#pending = undefined;
    next?.();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#released) {
      cb(null, chunk);
      return;
    }
    if (this.#start < 0) this.#start = performance.now();
    this.#send(chunk, 0, cb);
  }

  #send(chunk: Buffer, offset: number, cb: TransformCallback): void {
    this.#timer = undefined;
    this.#pending = undefined;
    if (this.#released) {
      if (offset < chunk.length) this.push(chunk.subarray(offset));
      cb();
      return;
    }
    while (offset < chunk.length) {
      const part = chunk.subarray(offset, offset + this.#slice);
      offset += part.length;
      this.push(part);
      this.#sent += part.length;
      const wait = this.#start + this.#sent / this.#bytesPerMs - performance.now();
      if (wait >= 1) {
        const at = offset;
        this.#pending = () => this.#send(chunk, at, cb);
        this.#timer = setTimeout(this.#pending, Math.min(wait, MAX_TIMER_MS));
        return;
      }
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    cb(err);
  }
}

/** The `throttle` HTTP fault (acts on the response body whatever its phase). */
export const throttle: HttpFaultDef<'throttle'> = {
  type: 'throttle',
  create: (config) => ({ phase: config.phase, body: () => new Throttle(config.rateKbps) }),
};
