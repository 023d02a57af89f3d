import { z } from 'zod';
import { defineFaultType } from '../fault-type.js';

/** Signals a process can be killed with. */
export const killSignals = ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGABRT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Process fault: send `signal` (default SIGKILL) to the supervised process. */
export const kill = defineFaultType({
  type: 'kill',
  target: 'process',
  oneShot: true,
  description: 'Sends signal (default SIGKILL) to the process; the supervisor restarts it per its policy.',
  schema: z.strictObject({
    signal: z.enum(killSignals, { error: `must be one of ${killSignals.join(', ')}` }).default('SIGKILL'),
  }),
  example: { signal: 'SIGKILL' },
});
