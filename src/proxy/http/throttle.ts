/**
 * A Transform that lets bytes through at a fixed rate (the `throttle` fault on a response body).
 * It slices chunks into ~50 ms worth of bytes and waits between slices; it never drops a byte and
 * holds at most one incoming chunk (backpressure does the rest).
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Streams at `rateKbps` KB/s (1 KB = 1024 bytes). */
export class Throttle extends Transform {
  readonly #bytesPerMs: number;
  readonly #slice: number;
  #start = -1;
  #sent = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(rateKbps: number) {
    super();
    this.#bytesPerMs = (rateKbps * 1024) / 1000;
    this.#slice = Math.max(1, Math.min(65_536, Math.floor(this.#bytesPerMs * 50)));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#start < 0) this.#start = performance.now();
    this.#send(chunk, 0, cb);
  }

  #send(chunk: Buffer, offset: number, cb: TransformCallback): void {
    this.#timer = undefined;
    while (offset < chunk.length) {
      const part = chunk.subarray(offset, offset + this.#slice);
      offset += part.length;
      this.push(part);
      this.#sent += part.length;
      const wait = this.#start + this.#sent / this.#bytesPerMs - performance.now();
      if (wait >= 1) {
        this.#timer = setTimeout(() => this.#send(chunk, offset, cb), wait);
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
