/**
 * The proxy module's error catalogue. Callers branch on `code`; every code has a row in
 * `docs/errors.md`.
 */
import { FaultlineError } from '../plan/index.js';

/** A toxic or rule with that name/id already exists on the proxy (HTTP 409). */
export class ProxyConflictError extends FaultlineError {
  override readonly name = 'ProxyConflictError';
  constructor(what: string, id: string, proxy: string) {
    super('FL_ERR_PROXY_CONFLICT', `${what} '${id}' already exists on proxy '${proxy}'`, { details: { id, proxy } });
  }
}

/** No toxic, rule or proxy with that name/id (HTTP 404). */
export class ProxyNotFoundError extends FaultlineError {
  override readonly name = 'ProxyNotFoundError';
  constructor(what: string, id: string, proxy?: string) {
    super('FL_ERR_PROXY_NOT_FOUND', proxy === undefined ? `${what} '${id}' not found` : `${what} '${id}' not found on proxy '${proxy}'`, {
      details: proxy === undefined ? { id } : { id, proxy },
    });
  }
}

/** The proxy could not listen on its address (taken, not permitted, bad host) (HTTP 409). */
export class ProxyListenError extends FaultlineError {
  override readonly name = 'ProxyListenError';
  constructor(listen: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('FL_ERR_PROXY_LISTEN', `cannot listen on ${listen}: ${reason}`, { cause, details: { listen } });
  }
}

/** A fault plan does not fit the proxy it was aimed at (a process fault, or TCP vs HTTP) (HTTP 400). */
export class ProxyFaultMismatchError extends FaultlineError {
  override readonly name = 'ProxyFaultMismatchError';
  constructor(faultType: string, protocol: string, proxy: string) {
    super('FL_ERR_PROXY_FAULT_MISMATCH', `fault type '${faultType}' cannot be installed on ${protocol} proxy '${proxy}'`, {
      details: { fault_type: faultType, protocol, proxy },
    });
  }
}
