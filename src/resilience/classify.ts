/** What `classify` decided about an error or status. */
export interface Classification {
  /** Whether trying again may succeed. */
  readonly retryable: boolean;
  /** A stable snake_case name: `timeout`, `connection_refused`, `rate_limited`, `not_found`, `pg_serialization_failure`, `unknown`, ... */
  readonly kind: string;
  /** From a 429/503 `Retry-After` header (seconds or an HTTP date), when present. */
  readonly retryAfterMs?: number;
}

/** Header bag accepted by `classify`: a fetch `Headers`, or a plain record (undici, node:http). */
export type HeadersLike = { get(name: string): string | null } | Record<string, string | string[] | number | undefined>;

const HTTP: Record<number, readonly [string, boolean]> = {
  400: ['bad_request', false],
  401: ['unauthorized', false],
  403: ['forbidden', false],
  404: ['not_found', false],
  408: ['request_timeout', true],
  409: ['conflict', false],
  422: ['unprocessable', false],
  429: ['rate_limited', true],
  500: ['server_error', true],
  502: ['bad_gateway', true],
  503: ['service_unavailable', true],
  504: ['gateway_timeout', true],
};

const NODE_CODES: Record<string, readonly [string, boolean]> = {
  ETIMEDOUT: ['timeout', true],
  ESOCKETTIMEDOUT: ['timeout', true],
  UND_ERR_CONNECT_TIMEOUT: ['timeout', true],
  UND_ERR_HEADERS_TIMEOUT: ['timeout', true],
  UND_ERR_BODY_TIMEOUT: ['timeout', true],
  ABORT_ERR: ['timeout', true],
  FL_ERR_RESILIENCE_TIMEOUT: ['timeout', true],
  ECONNREFUSED: ['connection_refused', true],
  ECONNRESET: ['connection_reset', true],
  UND_ERR_SOCKET: ['connection_reset', true],
  EPIPE: ['broken_pipe', true],
  ENOTFOUND: ['dns', true],
  EAI_AGAIN: ['dns', true],
  FL_ERR_RESILIENCE_CIRCUIT_OPEN: ['circuit_open', false],
  FL_ERR_RESILIENCE_BULKHEAD_FULL: ['bulkhead_full', false],
};

/** PostgreSQL SQLSTATEs worth retrying: the server went away, refused, or asked us to retry. */
const PG_CODES: Record<string, string> = {
  '57P01': 'pg_admin_shutdown',
  '57P03': 'pg_cannot_connect_now',
  '08006': 'pg_connection_failure',
  '08001': 'pg_connection_refused',
  '08003': 'pg_connection_does_not_exist',
  '40001': 'pg_serialization_failure',
  '40P01': 'pg_deadlock_detected',
  '53300': 'pg_too_many_connections',
};

/** Injected error kinds (see `faultline/inject`), matched by `faultType` so resilience needs no import of inject. */
const INJECTED: Record<string, boolean> = {
  network_timeout: true,
  service_unavailable: true,
  resource_exhaustion: true,
  data_corruption: false,
  random_error: false,
};

const UNKNOWN: Classification = { retryable: false, kind: 'unknown' };

/**
 * Says whether an error (or an HTTP status) is worth retrying, and what kind it is.
 * Timeouts, refused/reset connections, broken pipes, DNS hiccups, 408, 429, 500, 502, 503, 504
 * and transient PostgreSQL errors are retryable; other 4xx are not; anything unrecognised is
 * `{ retryable: false, kind: 'unknown' }`. Follows `cause` when the outer error says nothing.
 * @example
 * classify(429, { 'retry-after': '2' }) // { retryable: true, kind: 'rate_limited', retryAfterMs: 2000 }
 */
export function classify(errorOrStatus: unknown, headers?: HeadersLike): Classification {
  return classifyAt(errorOrStatus, headers, 0);
}

function classifyAt(value: unknown, headers: HeadersLike | undefined, depth: number): Classification {
  if (typeof value === 'number') return classifyStatus(value, headers);
  if (value === null || typeof value !== 'object') return UNKNOWN;
  const e = value as Record<string, unknown>;

  if (typeof e['faultType'] === 'string' && typeof e['code'] === 'string' && e['code'].startsWith('FL_ERR_INJECT_')) {
    const retryable = INJECTED[e['faultType']];
    if (retryable !== undefined) return { retryable, kind: e['faultType'] };
  }
  if (e['isTaskCancelledError'] === true || e['name'] === 'TaskCancelledError') return { retryable: true, kind: 'timeout' };
  if (e['name'] === 'AbortError' || e['name'] === 'TimeoutError') return { retryable: true, kind: 'timeout' };
  if (e['isBrokenCircuitError'] === true) return { retryable: false, kind: 'circuit_open' };
  if (e['isBulkheadRejectedError'] === true) return { retryable: false, kind: 'bulkhead_full' };

  const code = e['code'];
  if (typeof code === 'string') {
    const node = NODE_CODES[code];
    if (node) return { retryable: node[1], kind: node[0] };
    const pg = PG_CODES[code];
    if (pg) return { retryable: true, kind: pg };
    if (/^[0-9A-Z]{5}$/.test(code) && /[0-9]/.test(code)) return { retryable: false, kind: `pg_${code.toLowerCase()}` };
  }

  const status = typeof e['status'] === 'number' ? e['status'] : typeof e['statusCode'] === 'number' ? e['statusCode'] : undefined;
  if (status !== undefined) {
    const h = headers ?? asHeaders(e['headers']) ?? asHeaders((e['response'] as Record<string, unknown> | undefined)?.['headers']);
    return classifyStatus(status, h);
  }

  if (depth < 4 && e['cause'] !== undefined) {
    const inner = classifyAt(e['cause'], headers, depth + 1);
    if (inner.kind !== 'unknown') return inner;
  }
  if (depth < 4 && Array.isArray(e['errors'])) {
    for (const sub of e['errors'] as unknown[]) {
      const inner = classifyAt(sub, headers, depth + 1);
      if (inner.kind !== 'unknown') return inner;
    }
  }
  return UNKNOWN;
}

function asHeaders(v: unknown): HeadersLike | undefined {
  return v !== null && typeof v === 'object' ? (v as HeadersLike) : undefined;
}

function classifyStatus(status: number, headers: HeadersLike | undefined): Classification {
  const row = HTTP[status];
  if (!row) {
    if (status >= 400 && status < 500) return { retryable: false, kind: 'client_error' };
    if (status >= 500 && status < 600) return { retryable: false, kind: 'server_error_other' };
    return UNKNOWN;
  }
  const [kind, retryable] = row;
  if ((status === 429 || status === 503) && headers) {
    const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'));
    if (retryAfterMs !== undefined) return { retryable, kind, retryAfterMs };
  }
  return { retryable, kind };
}

function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const rec = headers as Record<string, string | string[] | number | undefined>;
  for (const key of Object.keys(rec)) {
    if (key.toLowerCase() === name) {
      const v = rec[key];
      return Array.isArray(v) ? v[0] : v === undefined ? undefined : String(v);
    }
  }
  return undefined;
}

/**
 * Parses a `Retry-After` value: delay-seconds (`"120"`) or an HTTP date. Returns milliseconds
 * from `now` (never negative), or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
