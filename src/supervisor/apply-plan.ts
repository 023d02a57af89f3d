import type { FaultPlan } from '../plan/index.js';
import { ProcessNotFoundError, ProcessStateError, UnsupportedProcessFaultError } from './errors.js';
import type { Supervisor } from './types.js';

/** A process fault in effect: `ended` settles when it is over (rejects if the action failed). */
export interface ProcessFaultHandle {
  readonly ended: Promise<void>;
  /** Ends the fault early (a pause is resumed at once); kill and restart cannot be undone. Idempotent. */
  cancel(): void;
}

/** The fault types {@link applyProcessPlan} applies. */
export const processFaultTypes = ['kill', 'pause', 'restart'] as const;

/**
 * Applies a process FaultPlan (`kill`, `pause`, `restart`; `service` = the process name) now:
 * kill and restart act at once and end when done; pause lasts `durationSeconds`. The caller (the
 * executor's scheduler) owns `start_delay_ms`; `percentage` does not apply to process faults.
 * @throws ProcessNotFoundError when no process has that name.
 * @throws UnsupportedProcessFaultError for a non-process fault type.
 * @throws ProcessStateError when kill or pause finds the process not running.
 */
export function applyProcessPlan(supervisor: Supervisor, plan: FaultPlan): ProcessFaultHandle {
  const name = plan.service;
  const info = supervisor.get(name);
  if (!info) throw new ProcessNotFoundError(name, supervisor.list().map((p) => p.name));
  switch (plan.faultType) {
    case 'kill': {
      if (info.pid === null) throw new ProcessStateError(name, 'kill', info.state.kind);
      return { ended: supervisor.kill(name, plan.faultConfig.signal), cancel() {} };
    }
    case 'restart':
      return { ended: supervisor.restart(name), cancel() {} };
    case 'pause': {
      if (info.pid === null) throw new ProcessStateError(name, 'pause', info.state.kind);
      const durationMs = plan.durationSeconds * 1000;
      let finish: () => void = () => {};
      let timer: NodeJS.Timeout | null = null;
      let done = false;
      const ended = new Promise<void>((resolve, reject) => {
        finish = () => {
          if (done) return;
          done = true;
          if (timer) clearTimeout(timer);
          resolve();
        };
        supervisor.pause(name, durationMs).then(() => {
          if (!done) timer = setTimeout(finish, durationMs);
        }, (err: unknown) => {
          done = true;
          reject(err instanceof Error ? err : new Error(String(err)));
        });
      });
      return {
        ended,
        cancel() {
          if (done) return;
          finish();
          void supervisor.resume(name).catch(() => {});
        },
      };
    }
    default:
      throw new UnsupportedProcessFaultError(plan.faultType);
  }
}
