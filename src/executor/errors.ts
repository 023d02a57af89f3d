/**
 * The executor's error catalogue. Callers branch on `code`; `http-errors.ts` maps each code to
 * one HTTP status; every code has a row in `docs/errors.md`.
 */
import { FaultlineError, ValidationError, type FieldIssue } from '../plan/index.js';

/** A request body, parameter or config file failed validation (HTTP 400); `issues` has each path. */
export class InvalidRequestError extends ValidationError {
  constructor(what: string, issues: readonly FieldIssue[]) {
    super(what, issues, 'FL_ERR_EXECUTOR_INVALID_REQUEST');
  }
}

/** A fault type that does not fit its target (an HTTP fault on a TCP proxy, a proxy fault on a process) (HTTP 400). */
export class FaultMismatchError extends ValidationError {
  constructor(faultType: string, targetKind: string, service: string) {
    super('fault plan', [{ path: 'fault_type', message: `'${faultType}' cannot target ${targetKind} '${service}'` }], 'FL_ERR_EXECUTOR_FAULT_MISMATCH');
  }
}

/** The configuration file is invalid (names each bad path). */
export class ConfigInvalidError extends ValidationError {
  constructor(file: string, issues: readonly FieldIssue[]) {
    super(`config ${file}`, issues, 'FL_ERR_EXECUTOR_CONFIG_INVALID');
  }
}

/** The configuration file cannot be read or is not YAML. */
export class ConfigReadError extends FaultlineError {
  override readonly name = 'ConfigReadError';
  constructor(file: string, cause: unknown) {
    super('FL_ERR_EXECUTOR_CONFIG_READ', `cannot read config ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      details: { file },
    });
  }
}

/** The body is not JSON (HTTP 400). */
export class BadJsonError extends FaultlineError {
  override readonly name = 'BadJsonError';
  constructor(reason: string) {
    super('FL_ERR_EXECUTOR_BAD_JSON', `request body is not valid JSON: ${reason}`, { details: { issues: [{ path: '(root)', message: reason }] } });
  }
}

/** The body is larger than the limit (HTTP 413). */
export class BodyTooLargeError extends FaultlineError {
  override readonly name = 'BodyTooLargeError';
  constructor(limit: number) {
    super('FL_ERR_EXECUTOR_BODY_TOO_LARGE', `request body is larger than ${limit} bytes`, { details: { limit } });
  }
}

/** A mutating request without the right bearer token (HTTP 401). */
export class UnauthorizedError extends FaultlineError {
  override readonly name = 'UnauthorizedError';
  constructor() {
    super('FL_ERR_EXECUTOR_UNAUTHORIZED', 'missing or wrong token: send Authorization: Bearer <token>');
  }
}

/** No such route (HTTP 404). */
export class RouteNotFoundError extends FaultlineError {
  override readonly name = 'RouteNotFoundError';
  constructor(method: string, url: string) {
    super('FL_ERR_EXECUTOR_ROUTE_NOT_FOUND', `no route ${method} ${url}`, { details: { method, url } });
  }
}

/** A thing looked up by id or name does not exist (HTTP 404). */
export class NotFoundError extends FaultlineError {
  override readonly name = 'NotFoundError';
  constructor(what: 'application' | 'proxy' | 'policy' | 'process' | 'service', id: string) {
    const hint = what === 'service' ? ' (a plan targets a proxy name or a supervised process name)' : '';
    super(`FL_ERR_EXECUTOR_${what.toUpperCase()}_NOT_FOUND`, `${what} '${id}' not found${hint}`, { details: { [what]: id } });
  }
}

/** A proxy or policy with that name/id already exists (HTTP 409). */
export class ConflictError extends FaultlineError {
  override readonly name = 'ConflictError';
  constructor(what: 'proxy' | 'policy', id: string) {
    super(`FL_ERR_EXECUTOR_${what.toUpperCase()}_EXISTS`, `${what} '${id}' already exists`, { details: { [what]: id } });
  }
}

/** The state store failed (disk, lock held too long) (HTTP 503). */
export class StoreError extends FaultlineError {
  override readonly name = 'StoreError';
  constructor(operation: string, cause: unknown) {
    super('FL_ERR_EXECUTOR_STORE', `state store ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Another executor holds the state file (exit 1 from `faultline serve`). */
export class StateLockedError extends FaultlineError {
  override readonly name = 'StateLockedError';
  constructor(path: string, pid: number) {
    super(
      'FL_ERR_EXECUTOR_STATE_LOCKED',
      `state file ${path} is in use by another faultline executor (pid ${pid}); stop it or pass another --state`,
      { details: { path, pid } },
    );
  }
}

/** A fault could not be installed on its target (HTTP 409; the application is marked failed). */
export class FaultInstallError extends FaultlineError {
  override readonly name = 'FaultInstallError';
  constructor(applyId: string, cause: unknown) {
    super('FL_ERR_EXECUTOR_INSTALL_FAILED', `fault ${applyId} could not be installed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      details: { apply_id: applyId },
    });
  }
}

/** The executor runs without a supervisor (no `processes:` configured) and a process was named (HTTP 404). */
export class NoSupervisorError extends FaultlineError {
  override readonly name = 'NoSupervisorError';
  constructor(name: string) {
    super('FL_ERR_EXECUTOR_NO_SUPERVISOR', `process '${name}' not found: this executor supervises no processes (add a processes: section)`, {
      details: { process: name },
    });
  }
}

/** The API address cannot be listened on (in use, not permitted). */
export class ListenError extends FaultlineError {
  override readonly name = 'ListenError';
  constructor(listen: string, cause: unknown) {
    super('FL_ERR_EXECUTOR_LISTEN', `cannot listen on ${listen}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      details: { listen },
    });
  }
}

/** The `Host` header names neither this daemon nor loopback: a DNS-rebinding page, or a wrong name (HTTP 403). */
export class HostRefusedError extends FaultlineError {
  override readonly name = 'HostRefusedError';
  constructor(host: string) {
    super(
      'FL_ERR_EXECUTOR_HOST_REFUSED',
      `Host '${host.slice(0, 200)}' is not this executor: call it by its listen address or a loopback name (localhost, 127.0.0.1, [::1]), or add the name to allowed_hosts in faultline.yaml`,
      { details: { host: host.slice(0, 200) } },
    );
  }
}

/** The request comes from a web page of another origin (HTTP 403). */
export class OriginRefusedError extends FaultlineError {
  override readonly name = 'OriginRefusedError';
  constructor(origin: string) {
    super(
      'FL_ERR_EXECUTOR_ORIGIN_REFUSED',
      `requests from web pages of origin '${origin.slice(0, 200)}' are refused: add it to allowed_origins in faultline.yaml to let that page change faults`,
      { details: { origin: origin.slice(0, 200) } },
    );
  }
}

/** A browser user agent on the Toxiproxy-compatible routes (HTTP 403, as Toxiproxy answers). */
export class BrowserRefusedError extends FaultlineError {
  override readonly name = 'BrowserRefusedError';
  constructor() {
    super('FL_ERR_EXECUTOR_BROWSER_REFUSED', 'User agent not allowed: the Toxiproxy-compatible API refuses browsers (as Toxiproxy does); use a Toxiproxy client or the /v1 API');
  }
}

/** A mutating request whose body is not `application/json` (HTTP 415). */
export class UnsupportedMediaTypeError extends FaultlineError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(contentType: string | null) {
    super(
      'FL_ERR_EXECUTOR_UNSUPPORTED_MEDIA_TYPE',
      `request body must be sent as Content-Type: application/json (got ${contentType === null ? 'none' : `'${contentType.slice(0, 100)}'`})`,
      { details: { content_type: contentType === null ? null : contentType.slice(0, 100) } },
    );
  }
}

/** The URL is not valid (bad percent-encoding) (HTTP 400). */
export class BadUrlError extends FaultlineError {
  override readonly name = 'BadUrlError';
  constructor(url: string) {
    super('FL_ERR_EXECUTOR_BAD_URL', `the URL '${url.slice(0, 200)}' is not valid (bad percent-encoding)`, { details: { url: url.slice(0, 200) } });
  }
}

/** A path parameter (a name or id in the URL) is longer than any name can be (HTTP 414). */
export class UrlTooLongError extends FaultlineError {
  override readonly name = 'UrlTooLongError';
  constructor(url: string) {
    super('FL_ERR_EXECUTOR_URL_TOO_LONG', `a name or id in the URL '${url.slice(0, 100)}…' is too long (names are at most 128 characters)`, {
      details: { url: url.slice(0, 200) },
    });
  }
}

/** The API would listen beyond loopback with no token: anyone on the network could inject faults. */
export class TokenRequiredError extends FaultlineError {
  override readonly name = 'TokenRequiredError';
  constructor(listen: string) {
    super(
      'FL_ERR_EXECUTOR_TOKEN_REQUIRED',
      `--listen ${listen} is reachable from the network and no token is set: set one with --token-file PATH (or FAULTLINE_TOKEN_FILE, FAULTLINE_TOKEN), or listen on 127.0.0.1, or pass --insecure to let anyone who reaches the port inject faults`,
      { details: { listen } },
    );
  }
}
