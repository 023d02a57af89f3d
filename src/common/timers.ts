/** The longest delay a Node timer holds (2^31-1 ms, ~24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A delay a Node timer can hold: negative and NaN become 0, past {@link MAX_TIMER_MS} is capped. */
export function capTimerMs(ms: number): number {
  return Number.isNaN(ms) ? 0 : Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

/**
 * Calls `fn` at the absolute epoch time `at`, however far ahead (re-arming past
 * {@link MAX_TIMER_MS}). The timer does not keep the process alive when `unref` is true.
 * @returns a function that cancels it.
 */
export function setTimerAt(at: number, fn: () => void, options: { unref?: boolean } = {}): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = at - Date.now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : fn, capTimerMs(left));
    if (options.unref) timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
