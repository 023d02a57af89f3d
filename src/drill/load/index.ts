/** The load generator: scheduling (generator), requests, transport (undici) and statistics. */
export { LoadGenerator, type LoadOptions } from './generator.js';
export { splitUrlTemplate, streamsFromSpec, type AckRecord, type LoadStream, type LoadTemplate } from './requests.js';
export type { LiveStats, WindowStats } from './stats.js';
