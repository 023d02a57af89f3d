import type { RestartConfig } from './config.js';

/** What to do after a process exited on its own (or was killed by someone else). */
export type RestartDecision =
  | { readonly kind: 'restart'; readonly delayMs: number; readonly attempt: number }
  | { readonly kind: 'stop'; readonly reason: string }
  | { readonly kind: 'fatal'; readonly reason: string };

/**
 * The restart policy of one process: which exits restart it, how long to wait (exponential
 * backoff) and when a crash loop becomes fatal (more than `max_restarts` within `window_s`, as
 * supervisord's FATAL state).
 *
 * The first restart after a stable run is immediate (restart speed is the point); a crash loop
 * then waits `initial_ms`, `initial_ms * multiplier`, ... capped at `max_ms`. An exit after
 * `stable_after_s` of uptime starts over: no delay, an empty restart window.
 */
export class RestartPolicy {
  private attempt = 0;
  private history: number[] = [];

  constructor(private readonly config: RestartConfig) {}

  /** Decides what follows an exit; `now` and `uptimeMs` in ms. Records the restart it allows. */
  onExit(now: number, uptimeMs: number, code: number | null, signal: string | null): RestartDecision {
    const { policy, backoff, maxRestarts, windowS, stableAfterS } = this.config;
    if (policy === 'never') return { kind: 'stop', reason: 'restart policy is never' };
    if (policy === 'on-failure' && code === 0 && signal === null) return { kind: 'stop', reason: 'exited with 0 (restart policy is on-failure)' };
    if (uptimeMs >= stableAfterS * 1000) this.reset();
    this.history = this.history.filter((t) => now - t < windowS * 1000);
    if (this.history.length >= maxRestarts) {
      return { kind: 'fatal', reason: `exceeded max_restarts (${maxRestarts} within ${windowS} s)` };
    }
    const delayMs = this.attempt === 0 ? 0 : Math.min(backoff.maxMs, Math.round(backoff.initialMs * backoff.multiplier ** (this.attempt - 1)));
    this.attempt += 1;
    this.history.push(now);
    return { kind: 'restart', delayMs, attempt: this.attempt };
  }

  /** Forgets the crash loop (after a manual restart or a stable run). */
  reset(): void {
    this.attempt = 0;
    this.history = [];
  }
}
