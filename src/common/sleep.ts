import { capTimerMs, MAX_TIMER_MS } from './timers.js';

/**
 * Sleeps `ms` milliseconds, waking early when `signal` aborts; waits longer than a Node timer can
 * hold (~24.8 days) are re-armed in steps.
 * @returns `true` when the time went by, `false` when the signal aborted first.
 * @example
 * if (!(await sleep(5000, signal))) return; // stopped
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const end = Date.now() + Math.max(0, ms);
    let timer: NodeJS.Timeout;
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const arm = (left: number) => {
      timer = setTimeout(() => {
        const rest = end - Date.now();
        if (rest > 0 && left > MAX_TIMER_MS) return arm(rest);
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, capTimerMs(left));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    arm(Math.max(0, ms));
  });
}
