/**
 * The one table that maps an error code to an HTTP status, and the body every error answer has:
 * `{ error, code, issues? }`. An error whose code is not in the table is a bug: it answers 500
 * and is logged as such (Toxiproxy's `apiError`).
 */
import { FaultlineError, type FieldIssue } from '../plan/index.js';
import { BadJsonError, BadUrlError, BodyTooLargeError, RouteNotFoundError, UnsupportedMediaTypeError, UrlTooLongError } from './errors.js';

/** Error code -> HTTP status. Every code thrown on purpose under the API has a row here. */
export const httpStatusByCode: Readonly<Record<string, number>> = {
  // plan
  FL_ERR_PLAN_INVALID: 400,
  FL_ERR_PLAN_UNKNOWN_FAULT_TYPE: 400,
  // executor
  FL_ERR_EXECUTOR_INVALID_REQUEST: 400,
  FL_ERR_EXECUTOR_FAULT_MISMATCH: 400,
  FL_ERR_EXECUTOR_BAD_JSON: 400,
  FL_ERR_EXECUTOR_CONFIG_INVALID: 400,
  FL_ERR_EXECUTOR_CONFIG_READ: 400,
  FL_ERR_EXECUTOR_TOKEN_REQUIRED: 400,
  FL_ERR_EXECUTOR_BAD_URL: 400,
  FL_ERR_EXECUTOR_UNAUTHORIZED: 401,
  FL_ERR_EXECUTOR_HOST_REFUSED: 403,
  FL_ERR_EXECUTOR_ORIGIN_REFUSED: 403,
  FL_ERR_EXECUTOR_BROWSER_REFUSED: 403,
  FL_ERR_EXECUTOR_ROUTE_NOT_FOUND: 404,
  FL_ERR_EXECUTOR_APPLICATION_NOT_FOUND: 404,
  FL_ERR_EXECUTOR_PROXY_NOT_FOUND: 404,
  FL_ERR_EXECUTOR_POLICY_NOT_FOUND: 404,
  FL_ERR_EXECUTOR_PROCESS_NOT_FOUND: 404,
  FL_ERR_EXECUTOR_SERVICE_NOT_FOUND: 404,
  FL_ERR_EXECUTOR_NO_SUPERVISOR: 404,
  FL_ERR_EXECUTOR_PROXY_EXISTS: 409,
  FL_ERR_EXECUTOR_POLICY_EXISTS: 409,
  FL_ERR_EXECUTOR_INSTALL_FAILED: 409,
  FL_ERR_EXECUTOR_LISTEN: 409,
  FL_ERR_EXECUTOR_BODY_TOO_LARGE: 413,
  FL_ERR_EXECUTOR_URL_TOO_LONG: 414,
  FL_ERR_EXECUTOR_UNSUPPORTED_MEDIA_TYPE: 415,
  FL_ERR_EXECUTOR_STORE: 503,
  FL_ERR_EXECUTOR_STATE_LOCKED: 409,
  // proxy
  FL_ERR_PROXY_CONFLICT: 409,
  FL_ERR_PROXY_NOT_FOUND: 404,
  FL_ERR_PROXY_LISTEN: 409,
  FL_ERR_PROXY_FAULT_MISMATCH: 400,
  // supervisor
  FL_ERR_PROCESS_NOT_FOUND: 404,
  FL_ERR_PROCESS_STATE: 409,
  FL_ERR_PROCESS_HEALTH_TIMEOUT: 504,
  FL_ERR_PROCESS_FAULT_UNSUPPORTED: 400,
  FL_ERR_SUPERVISOR_STOPPED: 409,
  FL_ERR_TELEMETRY_CONFIG_INVALID: 400,
  FL_ERR_SUPERVISOR_CONFIG_INVALID: 400,
};

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: string;
  readonly code: string;
  readonly issues?: readonly FieldIssue[];
}

/** What {@link toHttpError} decided. `bug` is true when the error was not expected (logged as such). */
export interface HttpError {
  readonly status: number;
  readonly body: ErrorBody;
  readonly bug: boolean;
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/** Fastify's own request errors, turned into faultline errors before the table is read. */
function fromFastify(err: FastifyLikeError): FaultlineError | undefined {
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : 'bad request';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) return new BodyTooLargeError(1_048_576);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415) return new UnsupportedMediaTypeError(null);
  if (code === 'FST_ERR_BAD_URL') return new BadUrlError(message);
  if (code === 'FST_ERR_MAX_PARAM_LENGTH' || err.statusCode === 414) return new UrlTooLongError(message);
  if (code.startsWith('FST_ERR_CTP_') || err instanceof SyntaxError) return new BadJsonError(message);
  if (code === 'FST_ERR_NOT_FOUND') return new RouteNotFoundError('', '');
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    // Any other client error fastify raised while reading the request (bad URL encoding, bad header).
    return new FaultlineError('FL_ERR_EXECUTOR_INVALID_REQUEST', message, { details: { issues: [{ path: '(root)', message }] } });
  }
  return undefined;
}

/**
 * Maps any thrown value to a status and an `{ error, code, issues? }` body.
 * @example
 * const { status, body } = toHttpError(new NotFoundError('proxy', 'db'));   // 404
 */
export function toHttpError(err: unknown): HttpError {
  const known = err instanceof FaultlineError ? err : err !== null && typeof err === 'object' ? fromFastify(err as FastifyLikeError) : undefined;
  if (known) {
    const status = httpStatusByCode[known.code];
    if (status !== undefined) {
      const issues = readIssues(known.details);
      return { status, body: issues ? { error: known.message, code: known.code, issues } : { error: known.message, code: known.code }, bug: false };
    }
  }
  return { status: 500, body: { error: 'internal error (a bug: see the executor log)', code: 'FL_ERR_EXECUTOR_INTERNAL' }, bug: true };
}

function readIssues(details: Record<string, unknown>): FieldIssue[] | undefined {
  const issues = details.issues;
  if (!Array.isArray(issues)) return undefined;
  return issues.map((i: { path?: unknown; message?: unknown }) => ({ path: String(i.path), message: String(i.message) }));
}
