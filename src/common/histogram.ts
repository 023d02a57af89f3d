/**
 * One latency histogram for every module: HDR (hdr-histogram-js, pure JS), recording
 * milliseconds as whole microseconds (1 us resolution, values clamped to 1 us .. 1 h).
 */
import hdr from 'hdr-histogram-js';

/** Latency percentiles in milliseconds (0 when nothing was recorded). */
export interface LatencySummary {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Options of {@link LatencyHistogram}. */
export interface LatencyHistogramOptions {
  /** Significant decimal digits (default 3; 2 is smaller and enough for per-second buckets). */
  readonly digits?: 1 | 2 | 3 | 4 | 5;
}

const MAX_US = 3_600_000_000;

/**
 * A latency histogram in milliseconds.
 * @example
 * const h = new LatencyHistogram();
 * h.recordMs(12.5);
 * h.summary().p95; // 12.5
 */
export class LatencyHistogram {
  readonly #h: hdr.Histogram;

  constructor(options: LatencyHistogramOptions = {}) {
    this.#h = hdr.build({ bitBucketSize: 32, useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: MAX_US, numberOfSignificantValueDigits: options.digits ?? 3, autoResize: true });
  }

  /** Records one latency in milliseconds (negative or NaN values are ignored). */
  recordMs(ms: number): void {
    if (!(ms >= 0)) return;
    this.#h.recordValue(Math.min(MAX_US, Math.max(1, Math.round(ms * 1000))));
  }

  /** Adds every value of another histogram. */
  add(other: LatencyHistogram): void {
    this.#h.add(other.#h);
  }

  /** How many values were recorded. */
  get count(): number {
    return this.#h.totalCount;
  }

  /** The value at a percentile in ms, never above the true maximum (0 when empty). */
  percentileMs(p: number): number {
    if (this.#h.totalCount === 0) return 0;
    return Math.round(Math.min(this.#h.getValueAtPercentile(p), this.#h.maxValue)) / 1000;
  }

  /** The largest value in ms (0 when empty). */
  get maxMs(): number {
    return this.#h.totalCount === 0 ? 0 : Math.round(this.#h.maxValue) / 1000;
  }

  /** The mean in ms (0 when empty). */
  get meanMs(): number {
    return this.#h.totalCount === 0 ? 0 : Math.round(this.#h.mean) / 1000;
  }

  /** p50, p95, p99, max and mean in ms. */
  summary(): LatencySummary {
    return { p50: this.percentileMs(50), p95: this.percentileMs(95), p99: this.percentileMs(99), max: this.maxMs, mean: this.meanMs };
  }

  /** Forgets every value. */
  reset(): void {
    this.#h.reset();
  }
}
