/**
 * How the CLI answers a mistake: one line `faultline: <what> — <how to fix>` on stderr (or one
 * JSON object on stdout with `--json`), a documented exit code, and the stack only with `--debug`.
 *
 *   any thrown value ──▶ describeFailure() ──▶ { what, fix, code, exit } ──▶ printFailure()
 *
 * This file imports nothing from the other modules: it is loaded by every command, including the
 * ones that must start fast (`--version`, `faults ls`); errors are recognised by their `code`.
 */

/** Exit codes of every command but run/check/validate/demo. */
export const ExitStatus = {
  Ok: 0,
  /** The operation was tried and failed (executor unreachable, 404, not a report, ...). */
  Failed: 1,
  /** Usage error or invalid input (unknown option, missing file, bad plan): nothing was attempted. */
  Usage: 2,
} as const;

/** The drill commands' own usage code (their 2 means "hypothesis violated"). */
export const DRILL_USAGE_EXIT = 4;

/** Commands that keep the drill exit codes (0 held, 1 preflight, 2 violated, 3 aborted, 4 invalid, 130). */
export const DRILL_COMMANDS: ReadonlySet<string> = new Set(['run', 'check', 'validate', 'demo']);

/** `--help` text of the exit-code policy, for every command but the drill ones. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the operation failed (executor unreachable, not found, refused, ...)
  2  usage error or invalid input (nothing was attempted)
Errors print one line: faultline: <what> — <how to fix>; --json prints them as JSON; --debug adds the stack.`;

/** `--help` text of the drill commands' exit codes. */
export const DRILL_EXIT_CODES_HELP = `
Exit codes:
  0    hypothesis held (check: every preflight check passed; validate: the drill is valid)
  1    a preflight check failed
  2    hypothesis violated
  3    aborted by a stop condition
  4    invalid drill, or a usage error (unknown option, bad --phase, unreadable file)
  130  interrupted (SIGINT/SIGTERM)
Errors print one line: faultline: <what> — <how to fix>; --json prints them as JSON; --debug adds the stack.`;

/** A mistake the CLI itself detected: what is wrong, how to fix it, and the exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  readonly fix: string;
  readonly exitCode: number;
  readonly issues: readonly { path: string; message: string }[] | undefined;

  constructor(what: string, fix: string, options: { code?: string; exitCode?: number; issues?: readonly { path: string; message: string }[]; cause?: unknown } = {}) {
    super(what, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'FL_ERR_CLI_USAGE';
    this.fix = fix;
    this.exitCode = options.exitCode ?? ExitStatus.Usage;
    this.issues = options.issues;
  }
}

/** What the CLI prints for a failure. */
export interface Failure {
  readonly what: string;
  readonly fix: string;
  readonly code: string;
  /** The exit code under the generic policy (0/1/2); drill commands map 2 to 4. */
  readonly exit: 1 | 2;
  readonly issues?: readonly { path: string; message: string }[];
}

/** Fixes for error codes raised by the modules (by code, so that nothing heavy is imported here). */
const FIXES: Record<string, string> = {
  FL_ERR_CLIENT_CONNECTION: 'start the executor with `faultline serve`, or point --executor (or FAULTLINE_EXECUTOR) at it',
  FL_ERR_CLIENT_TIMEOUT: 'check that the executor at --executor is up and not overloaded, then retry',
  FL_ERR_CLIENT_UNAUTHORIZED: 'pass the daemon token with --token or set FAULTLINE_TOKEN',
  FL_ERR_CLIENT_NOT_FOUND: 'check the id or name; `faultline faults ls` lists the applications',
  FL_ERR_CLIENT_BAD_REQUEST: 'fix the fields named; `faultline schema plan` prints the plan format',
  FL_ERR_CLIENT_CIRCUIT_OPEN: 'the executor kept failing: check it is healthy, then retry',
  FL_ERR_CLIENT_RESPONSE: 'read the executor log (rerun with --debug for the answer body)',
  FL_ERR_PLAN_INVALID: 'fix the fields named; `faultline schema plan` prints the plan format',
  FL_ERR_PLAN_UNKNOWN_FAULT_TYPE: 'use one of the fault types listed',
  FL_ERR_DRILL_REPORT_NOT_FOUND: 'list the report folder (--report-dir, default reports/) or use `latest`',
  FL_ERR_DRILL_REPORT_USAGE: 'run `faultline report <run_id>`, `faultline report --file report.json` or `faultline report --compare A B`',
  FL_ERR_EXECUTOR_CONFIG_INVALID: 'fix the fields named in faultline.yaml; `faultline schema config` prints its format',
  FL_ERR_EXECUTOR_CONFIG_READ: 'check the path given to -c/--config',
  FL_ERR_EXECUTOR_LISTEN: 'the address is taken or not allowed: pick another with --listen (port 0 picks a free one)',
  FL_ERR_PROXY_LISTEN: 'the address is taken or not allowed: pick another --listen (port 0 picks a free one)',
  FL_ERR_SUPERVISOR_CONFIG_INVALID: 'fix the processes: section named; `faultline schema config` prints its format',
  FL_ERR_TELEMETRY_CONFIG_INVALID: 'fix the telemetry: section named; `faultline schema config` prints its format',
  FL_ERR_TELEMETRY_ALERT_RULE_INVALID: "write the rule as `<metric> <op> <value> [for <duration>]`, e.g. 'error_rate > 0.1 for 30s'",
};

/** Codes that mean "your input is wrong" (exit 2) rather than "the operation failed" (exit 1). */
const INPUT_CODE = /_(INVALID|USAGE|BAD_REQUEST|BAD_JSON|READ|UNKNOWN_FAULT_TYPE|FAULT_MISMATCH|INVALID_OPTIONS|INVALID_CONFIG|RULE_INVALID|CONFIG_INVALID|CONFIG_READ)$/;

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly path?: unknown;
  readonly syscall?: unknown;
  readonly exitCode?: unknown;
  readonly details?: unknown;
  readonly issues?: unknown;
}

function issuesOf(e: ErrorLike): { path: string; message: string }[] | undefined {
  const raw = Array.isArray(e.issues)
    ? e.issues
    : e.details !== null && typeof e.details === 'object' && Array.isArray((e.details as { issues?: unknown }).issues)
      ? (e.details as { issues: unknown[] }).issues
      : undefined;
  if (raw === undefined) return undefined;
  const out = raw
    .filter((i): i is { path: unknown; message: unknown } => i !== null && typeof i === 'object')
    .map((i) => ({ path: String(i.path ?? ''), message: String(i.message ?? '') }));
  return out.length > 0 ? out : undefined;
}

/** A multi-line module message (`invalid x:\n  a: b`) as one line: `invalid x: a: b; c: d`. */
function oneLine(message: string, issues?: readonly { path: string; message: string }[]): string {
  if (issues !== undefined && issues.length > 0) {
    const head = (message.split('\n')[0] ?? '').replace(/:\s*$/, '');
    const shown = issues.slice(0, 5).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    return `${head}: ${shown.join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`;
  }
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}

/** Turns anything thrown into what to print; `command` names the subcommand for the fix hints. */
export function describeFailure(err: unknown, command?: string): Failure {
  const help = command ? `see \`faultline ${command} --help\`` : 'see `faultline --help`';
  if (err instanceof CliError) {
    return { what: oneLine(err.message, err.issues), fix: err.fix, code: err.code, exit: err.exitCode === ExitStatus.Failed ? 1 : 2, ...(err.issues ? { issues: err.issues } : {}) };
  }
  const e: ErrorLike = err !== null && typeof err === 'object' ? (err as ErrorLike) : { message: String(err) };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : '';

  // commander's own parse errors (unknown option, missing argument, ...): usage.
  if (code.startsWith('commander.')) {
    const what = oneLine(message.replace(/^error:\s*/i, '').replace(/\(Did you mean (.*)\?\)/, 'did you mean $1?'));
    return { what, fix: help, code: 'FL_ERR_CLI_USAGE', exit: 2 };
  }
  if (code.startsWith('FL_ERR_')) {
    const issues = issuesOf(e);
    const input = INPUT_CODE.test(code);
    const fix = FIXES[code] ?? (input ? `fix the input named, then retry (${help})` : 'rerun with --debug for the details');
    return { what: oneLine(message, issues), fix, code, exit: input ? 2 : 1, ...(issues ? { issues } : {}) };
  }
  if (code in FS_ERRORS && typeof e.path === 'string') {
    const input = code !== 'ENOSPC' && code !== 'EROFS';
    return {
      what: `cannot ${e.syscall === 'open' || e.syscall === 'read' || e.syscall === 'scandir' ? 'read' : String(e.syscall ?? 'use')} ${e.path}: ${FS_ERRORS[code]}`,
      fix: code === 'ENOENT' ? 'check the path (it is relative to the current folder)' : 'check the path and its permissions',
      code: 'FL_ERR_CLI_INPUT',
      exit: input ? 2 : 1,
    };
  }
  if (e.name === 'YAMLParseError' || e.name === 'YAMLWarning') {
    return { what: `not valid YAML: ${(message.split('\n')[0] ?? message).replace(/:\s*$/, '')}`, fix: 'fix the YAML at the line and column named', code: 'FL_ERR_CLI_INPUT', exit: 2 };
  }
  if (e.name === 'SyntaxError' && /JSON/.test(message)) {
    return { what: `not valid JSON: ${oneLine(message)}`, fix: 'fix the JSON (or give YAML)', code: 'FL_ERR_CLI_INPUT', exit: 2 };
  }
  return {
    what: `unexpected error: ${oneLine(message)}`,
    fix: 'rerun with --debug for the stack, and report it if it looks like a bug',
    code: 'FL_ERR_CLI_UNEXPECTED',
    exit: 1,
  };
}

/** Prints a failure (one line, or JSON on stdout) and returns the exit code to use. */
export function printFailure(err: unknown, context: { command?: string; json?: boolean; debug?: boolean }): number {
  const f = describeFailure(err, context.command);
  const drill = context.command !== undefined && DRILL_COMMANDS.has(context.command);
  const exit = drill && f.exit === 2 ? DRILL_USAGE_EXIT : f.exit;
  if (context.json) {
    process.stdout.write(`${JSON.stringify({ error: f.what, code: f.code, fix: f.fix, exit_code: exit, ...(f.issues ? { issues: f.issues } : {}) }, null, 2)}\n`);
  } else {
    process.stderr.write(`faultline: ${f.what} — ${f.fix}\n`);
  }
  if (context.debug) process.stderr.write(`${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
  return exit;
}
