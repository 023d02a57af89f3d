import { LatencyHistogram } from '../common/index.js';

/** The client's counters, as a plain object. */
export interface ClientMetrics {
  readonly total: number;
  readonly success: number;
  readonly failure: number;
  readonly failuresByKind: Readonly<Record<string, number>>;
  readonly retries: number;
  readonly breakerOpens: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  /** success / total (1 when no call was made). */
  readonly successRate: number;
  /** retries / total (0 when no call was made). */
  readonly retryRate: number;
}

/** Counts what the client did; one per client. */
export class ClientMetricsRecorder {
  #total = 0;
  #success = 0;
  #failure = 0;
  #retries = 0;
  #breakerOpens = 0;
  readonly #byKind = new Map<string, number>();
  readonly #latency = new LatencyHistogram();

  /** One logical call (with its retries) ended. */
  call(latencyMs: number, failureKind?: string): void {
    this.#total += 1;
    this.#latency.recordMs(latencyMs);
    if (failureKind === undefined) {
      this.#success += 1;
    } else {
      this.#failure += 1;
      this.#byKind.set(failureKind, (this.#byKind.get(failureKind) ?? 0) + 1);
    }
  }

  retry(): void {
    this.#retries += 1;
  }

  breakerOpened(): void {
    this.#breakerOpens += 1;
  }

  snapshot(): ClientMetrics {
    return {
      total: this.#total,
      success: this.#success,
      failure: this.#failure,
      failuresByKind: Object.fromEntries(this.#byKind),
      retries: this.#retries,
      breakerOpens: this.#breakerOpens,
      latencyMs: { p50: this.#latency.percentileMs(50), p95: this.#latency.percentileMs(95), p99: this.#latency.percentileMs(99), max: this.#latency.maxMs },
      successRate: this.#total === 0 ? 1 : this.#success / this.#total,
      retryRate: this.#total === 0 ? 0 : this.#retries / this.#total,
    };
  }
}
