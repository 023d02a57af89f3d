import { FaultlineError } from '../plan/index.js';

/** No supervised process has this name. */
export class ProcessNotFoundError extends FaultlineError {
  override readonly name = 'ProcessNotFoundError';
  declare readonly code: 'FL_ERR_PROCESS_NOT_FOUND';
  constructor(processName: string, known: readonly string[]) {
    super('FL_ERR_PROCESS_NOT_FOUND', `no supervised process named '${processName}'; known: ${known.length > 0 ? known.join(', ') : '(none)'}`, {
      details: { process: processName, known },
    });
  }
}

/** The process is not in a state that allows the operation (e.g. kill or pause while it is not running). */
export class ProcessStateError extends FaultlineError {
  override readonly name = 'ProcessStateError';
  declare readonly code: 'FL_ERR_PROCESS_STATE';
  constructor(processName: string, operation: string, state: string) {
    super('FL_ERR_PROCESS_STATE', `cannot ${operation} process '${processName}' while it is ${state}`, {
      details: { process: processName, operation, state },
    });
  }
}

/** `waitHealthy` gave up: the process did not become healthy in time. */
export class ProcessHealthTimeoutError extends FaultlineError {
  override readonly name = 'ProcessHealthTimeoutError';
  declare readonly code: 'FL_ERR_PROCESS_HEALTH_TIMEOUT';
  constructor(processName: string, timeoutMs: number, health: string) {
    super('FL_ERR_PROCESS_HEALTH_TIMEOUT', `process '${processName}' was not healthy within ${timeoutMs} ms (health: ${health})`, {
      details: { process: processName, timeout_ms: timeoutMs, health },
    });
  }
}

/** The supervisor was stopped; it does not start, kill or restart processes any more. */
export class SupervisorStoppedError extends FaultlineError {
  override readonly name = 'SupervisorStoppedError';
  declare readonly code: 'FL_ERR_SUPERVISOR_STOPPED';
  constructor(operation: string) {
    super('FL_ERR_SUPERVISOR_STOPPED', `cannot ${operation}: the supervisor is stopped`, { details: { operation } });
  }
}

/** The plan's fault type is not a process fault (kill, pause, restart). */
export class UnsupportedProcessFaultError extends FaultlineError {
  override readonly name = 'UnsupportedProcessFaultError';
  declare readonly code: 'FL_ERR_PROCESS_FAULT_UNSUPPORTED';
  constructor(faultType: string) {
    super('FL_ERR_PROCESS_FAULT_UNSUPPORTED', `'${faultType}' is not a process fault; the supervisor applies kill, pause and restart`, {
      details: { fault_type: faultType },
    });
  }
}
