/** Observations of what passed through a proxy (counters, HDR latency histogram, last events). */
export { createRecorder, type Recorder, type Counters, type RecorderOptions, type EventLevel } from './recorder.js';
