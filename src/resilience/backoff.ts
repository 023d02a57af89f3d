/** Backoff shape shared by `retry` and `backoffDelay`. */
export interface BackoffOptions {
  readonly strategy: 'none' | 'linear' | 'exponential';
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: 'none' | 'full' | 'decorrelated';
}

/**
 * The delay before retry number `attempt` (1 = the first retry), in ms. With jitter off it is
 * exact: `none` gives 0, `linear` base x attempt, `exponential` base x 2^(attempt-1), all capped
 * at `maxDelayMs`. `full` jitter draws uniformly in [0, that]; `decorrelated` (AWS) draws in
 * [base, min(max, 3 x previous)] where `previousMs` defaults to the un-jittered previous delay.
 * @example
 * backoffDelay({ strategy: 'exponential', initialDelayMs: 100, maxDelayMs: 1000, jitter: 'none' }, 3) // 400
 */
export function backoffDelay(opts: BackoffOptions, attempt: number, rng: () => number = Math.random, previousMs?: number): number {
  const nominal = nominalDelay(opts, attempt);
  switch (opts.jitter) {
    case 'none':
      return nominal;
    case 'full':
      return Math.min(opts.maxDelayMs, rng() * nominal);
    case 'decorrelated': {
      if (opts.strategy === 'none') return 0;
      const base = Math.min(opts.initialDelayMs, opts.maxDelayMs);
      const prev = previousMs ?? (attempt <= 1 ? base : nominalDelay(opts, attempt - 1));
      const upper = Math.max(base, Math.min(opts.maxDelayMs, prev * 3));
      return Math.min(opts.maxDelayMs, base + rng() * (upper - base));
    }
  }
}

function nominalDelay(opts: BackoffOptions, attempt: number): number {
  const n = Math.max(1, attempt);
  switch (opts.strategy) {
    case 'none':
      return 0;
    case 'linear':
      return Math.min(opts.maxDelayMs, opts.initialDelayMs * n);
    case 'exponential':
      // 2^(n-1) overflows to Infinity for huge n, and min() then caps it.
      return Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** (n - 1));
  }
}
