import { processFaultTypes, type FaultPlan } from '../plan/index.js';
import { ProcessNotFoundError, ProcessStateError, UnsupportedProcessFaultError } from './errors.js';
import type { Supervisor } from './types.js';

/** A process fault in effect. Its end is the caller's (the executor's one scheduler). */
export interface ProcessFaultHandle {
  /** kill and restart are over once applied; a pause lasts until `revert`. */
  readonly oneShot: boolean;
  /** Ends the fault (a pause releases its hold: SIGCONT when it was the last); idempotent. */
  revert(): Promise<void>;
}

/** The fault types {@link applyProcessPlan} applies: the registry's process faults. */
export { processFaultTypes };

/**
 * The one adapter from a process FaultPlan (`kill`, `pause`, `restart`; `service` = the process
 * name) to the supervisor: kill and restart act at once; pause takes a hold (pauses stack: the
 * process resumes when the last one is reverted). Timing (start delay, end) is the caller's;
 * `percentage` does not apply to process faults.
 * @throws ProcessNotFoundError when no process has that name.
 * @throws UnsupportedProcessFaultError for a non-process fault type.
 * @throws ProcessStateError when kill or pause finds the process not running.
 */
export async function applyProcessPlan(supervisor: Supervisor, plan: FaultPlan): Promise<ProcessFaultHandle> {
  const name = plan.service;
  const info = supervisor.get(name);
  if (!info) throw new ProcessNotFoundError(name, supervisor.list().map((p) => p.name));
  const none = async (): Promise<void> => undefined;
  switch (plan.faultType) {
    case 'kill':
      if (info.pid === null) throw new ProcessStateError(name, 'kill', info.state.kind);
      await supervisor.kill(name, plan.faultConfig.signal);
      return { oneShot: true, revert: none };
    case 'restart':
      await supervisor.restart(name);
      return { oneShot: true, revert: none };
    case 'pause': {
      if (info.pid === null) throw new ProcessStateError(name, 'pause', info.state.kind);
      const release = await supervisor.hold(name, `fault for ${plan.durationSeconds} s`);
      return {
        oneShot: false,
        revert: async () => release(),
      };
    }
    default:
      throw new UnsupportedProcessFaultError(plan.faultType);
  }
}
