/** A signal that never aborts, shared by calls made without one. */
export const neverAbortedSignal: AbortSignal = new AbortController().signal;
