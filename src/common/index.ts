/**
 * The bottom floor: small helpers every module may import. This folder imports nothing from
 * the rest of faultline.
 */
export { DURATION_RE, parseDuration } from './duration.js';
export { LatencyHistogram, type LatencyHistogramOptions, type LatencySummary } from './histogram.js';
export { joinHostPort, splitHostPort, type HostPort } from './host-port.js';
export { sleep } from './sleep.js';
export { capTimerMs, MAX_TIMER_MS, setTimerAt } from './timers.js';
export { packageVersion } from './version.js';
