import { FaultlineError, type FieldIssue } from '../plan/index.js';

/** Base of every error the executor client throws; `code` tells which. */
export class ExecutorClientError extends FaultlineError {
  override readonly name: string = 'ExecutorClientError';
  /** HTTP status of the executor's answer, when there was one. */
  readonly status: number | undefined;
  constructor(code: string, message: string, options: { cause?: unknown; status?: number; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.status = options.status;
  }
}

/** The executor did not answer in time (connect or read timeout). Retryable. */
export class ExecutorTimeoutError extends ExecutorClientError {
  override readonly name = 'ExecutorTimeoutError';
  constructor(message: string, cause?: unknown) {
    super('FL_ERR_CLIENT_TIMEOUT', message, { cause });
  }
}

/** The executor could not be reached (refused, reset, DNS). Retryable. */
export class ExecutorConnectionError extends ExecutorClientError {
  override readonly name = 'ExecutorConnectionError';
  constructor(message: string, cause?: unknown) {
    super('FL_ERR_CLIENT_CONNECTION', message, { cause });
  }
}

/** The executor rejected the request (400); `issues` are its field errors. Not retryable. */
export class ExecutorBadRequestError extends ExecutorClientError {
  override readonly name = 'ExecutorBadRequestError';
  readonly issues: readonly FieldIssue[];
  constructor(message: string, issues: readonly FieldIssue[], status = 400) {
    super('FL_ERR_CLIENT_BAD_REQUEST', message, { status, details: { issues } });
    this.issues = issues;
  }
}

/** Missing or wrong token (401). Not retryable. */
export class ExecutorUnauthorizedError extends ExecutorClientError {
  override readonly name = 'ExecutorUnauthorizedError';
  constructor(message: string) {
    super('FL_ERR_CLIENT_UNAUTHORIZED', message, { status: 401 });
  }
}

/** Unknown application, proxy or process (404). Not retryable. */
export class ExecutorNotFoundError extends ExecutorClientError {
  override readonly name = 'ExecutorNotFoundError';
  constructor(message: string) {
    super('FL_ERR_CLIENT_NOT_FOUND', message, { status: 404 });
  }
}

/** The client's circuit breaker is open: the executor failed too often; calls fail fast. */
export class CircuitOpenError extends ExecutorClientError {
  override readonly name = 'CircuitOpenError';
  constructor(cause?: unknown) {
    super('FL_ERR_CLIENT_CIRCUIT_OPEN', 'executor circuit breaker is open: failing fast until it half-opens', { cause });
  }
}

/** The executor answered with an unexpected status (409, 413, 5xx after retries, ...). */
export class ExecutorResponseError extends ExecutorClientError {
  override readonly name = 'ExecutorResponseError';
  constructor(message: string, status: number, details: Record<string, unknown> = {}) {
    super('FL_ERR_CLIENT_RESPONSE', message, { status, details });
  }
}
