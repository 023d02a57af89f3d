/**
 * The error catalogue's base. Every error faultline throws on purpose is a
 * `FaultlineError` with a literal `code` (`FL_ERR_<AREA>_<WHAT>`); callers branch on `code`.
 * Subclasses live in each module's `errors.ts`; every code has a line in `docs/errors.md`.
 */
export class FaultlineError extends Error {
  override readonly name: string = 'FaultlineError';
  readonly code: string;
  /** JSON-safe details, e.g. the field paths of a validation error. */
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  /** A plain object for logs and API bodies. */
  toJSON(): { code: string; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** One bad field: its dotted path (`fault_config.delay_ms`) and why. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Input failed validation. `issues` names each bad field's path and why; the message lists them
 * all, one per line, as `path: why`.
 */
export class ValidationError extends FaultlineError {
  override readonly name = 'ValidationError';
  readonly issues: readonly FieldIssue[];

  constructor(what: string, issues: readonly FieldIssue[], code = 'FL_ERR_PLAN_INVALID') {
    super(code, `invalid ${what}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`, {
      details: { issues: issues.map((i) => ({ path: i.path, message: i.message })) },
    });
    this.issues = issues;
  }
}

/** A fault type name that no registry entry carries. */
export class UnknownFaultTypeError extends FaultlineError {
  override readonly name = 'UnknownFaultTypeError';
  constructor(type: string, known: readonly string[]) {
    super('FL_ERR_PLAN_UNKNOWN_FAULT_TYPE', `unknown fault type '${type}'; expected one of: ${known.join(', ')}`, {
      details: { fault_type: type, known },
    });
  }
}
