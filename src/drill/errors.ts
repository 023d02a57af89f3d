/**
 * Errors the drill module throws on purpose. A failed drill activity (a step, a probe) is
 * recorded in the journal, not thrown; these are for a drill that cannot start at all.
 */
import { FaultlineError, ValidationError, type FieldIssue } from '../plan/index.js';

/** The drill file has mistakes; `issues` names each one's path. Exit code 4. */
export class DrillInvalidError extends ValidationError {
  constructor(file: string, issues: readonly FieldIssue[]) {
    super(`drill file ${file}`, issues, 'FL_ERR_DRILL_INVALID');
  }
}

/** The drill file cannot be read. Exit code 4. */
export class DrillReadError extends FaultlineError {
  override readonly name = 'DrillReadError';
  constructor(path: string, cause: unknown) {
    super('FL_ERR_DRILL_READ', `cannot read drill file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, details: { path } });
  }
}

/** The drill's executor could not be started or reached. */
export class DrillExecutorError extends FaultlineError {
  override readonly name = 'DrillExecutorError';
  constructor(message: string, cause?: unknown) {
    super('FL_ERR_DRILL_EXECUTOR', message, cause === undefined ? {} : { cause });
  }
}
