import { FaultlineError } from '../../../src/plan/index.js';

/** The database cannot be reached right now (down, too slow, or the breaker is open); try again later. */
export class DatabaseUnavailableError extends FaultlineError {
  override readonly name = 'DatabaseUnavailableError';
  /** Seconds the client should wait before trying again (the `Retry-After` header). */
  readonly retryAfterSeconds: number;
  constructor(kind: string, retryAfterSeconds: number, cause?: unknown) {
    super('FL_ERR_PAYMENT_DB_UNAVAILABLE', `the payment database is unavailable (${kind}); retry in ${retryAfterSeconds} s`, {
      cause,
      details: { kind, retry_after_seconds: retryAfterSeconds },
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The service is still running its start-up migration (the database was not reachable yet). */
export class ServiceStartingError extends FaultlineError {
  override readonly name = 'ServiceStartingError';
  readonly retryAfterSeconds = 1;
  constructor() {
    super('FL_ERR_PAYMENT_STARTING', 'the payment service is starting (database schema not ready yet); retry in 1 s');
  }
}

/** No payment exists for this order id. */
export class PaymentNotFoundError extends FaultlineError {
  override readonly name = 'PaymentNotFoundError';
  constructor(orderId: string) {
    super('FL_ERR_PAYMENT_NOT_FOUND', `no payment for order_id '${orderId}'`, { details: { order_id: orderId } });
  }
}

/** A payment for this order id already exists with a different amount. */
export class PaymentConflictError extends FaultlineError {
  override readonly name = 'PaymentConflictError';
  constructor(orderId: string, existingAmount: number, requestedAmount: number) {
    super(
      'FL_ERR_PAYMENT_CONFLICT',
      `order_id '${orderId}' already has a payment of ${existingAmount.toFixed(2)}; a different amount (${requestedAmount.toFixed(2)}) needs a new order_id`,
      { details: { order_id: orderId, existing_amount: existingAmount, requested_amount: requestedAmount } },
    );
  }
}

/** HTTP status of each payment error code; anything else is a 500 and logged as a bug. */
export const paymentErrorStatus: Readonly<Record<string, number>> = {
  FL_ERR_PAYMENT_INVALID: 400,
  FL_ERR_PAYMENT_NOT_FOUND: 404,
  FL_ERR_PAYMENT_CONFLICT: 409,
  FL_ERR_PAYMENT_DB_UNAVAILABLE: 503,
  FL_ERR_PAYMENT_STARTING: 503,
};
