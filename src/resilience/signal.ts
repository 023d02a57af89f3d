import { setMaxListeners } from 'node:events';

/**
 * A signal that never aborts, shared by calls made without one. Every concurrent call's timeout
 * listens on it (and lets go when the call ends), so it has no listener cap: many calls in flight
 * are normal, not a leak.
 */
export const neverAbortedSignal: AbortSignal = new AbortController().signal;
setMaxListeners(0, neverAbortedSignal);
