/** `abort`: answers matching requests with `http_status` (and `body`) instead of the upstream's answer. */
import type { HttpFaultDef } from '../fault.js';

/** The `abort` HTTP fault. */
export const abort: HttpFaultDef<'abort'> = {
  type: 'abort',
  create: (config) => ({ phase: config.phase, answer: { status: config.httpStatus, body: config.body } }),
};
