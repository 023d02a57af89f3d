/** `reset`: destroys the client connection (TCP RST when possible) without an answer. */
import type { HttpFaultDef } from '../fault.js';

/** The `reset` HTTP fault. */
export const reset: HttpFaultDef<'reset'> = {
  type: 'reset',
  create: (config) => ({ phase: config.phase, reset: true }),
};
