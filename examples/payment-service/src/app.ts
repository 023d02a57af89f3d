/**
 * The payment API (fastify): create, read and confirm payments on PostgreSQL, with faultline's
 * resilience policies in front of the database.
 *
 * ```
 *   POST /payment {order_id, amount}   201 new | 200 same order again | 409 other amount | 400 | 503
 *   GET  /payment/:order_id            200 | 404 | 503
 *   POST /payment/:order_id/confirm    200 (twice is fine) | 404 | 503
 *   GET  /health                       200 healthy/degraded | 503 unhealthy
 * ```
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { FaultlineError, ValidationError, fieldIssues } from '../../../src/plan/index.js';
import { confirmPayment, createPayment, createPaymentUnsafe, createPool, getPayment, migrate, ping, type Payment } from './db.js';
import {
  DatabaseUnavailableError,
  PaymentConflictError,
  PaymentNotFoundError,
  ServiceStartingError,
  paymentErrorStatus,
} from './errors.js';
import { createDbPolicy, isRetryableDbError, type DbPolicy, type DbPolicyOptions } from './resilient-db.js';

export interface PaymentAppOptions {
  /** `postgres://...` */
  readonly databaseUrl: string;
  /**
   * Dangerous on purpose: no retries, no idempotency (a retried create inserts a second row) and
   * an optimistic 201 while the database is down (the payment is only kept in memory).
   */
  readonly dangerouslyBroken?: boolean;
  /** Per-request database deadline, retries included. Default 2000 ms. */
  readonly deadlineMs?: number;
  /** A health probe slower than this reports `degraded`. Default 500 ms. */
  readonly slowProbeMs?: number;
  /** Policy tuning (tests shorten the breaker's reset timeout). */
  readonly policy?: Omit<DbPolicyOptions, 'broken' | 'deadlineMs'>;
  /** pg pool size. Default 10. */
  readonly poolMax?: number;
  /** Fastify logger options; default `{ level: LOG_LEVEL ?? 'warn' }`. `false` silences it. */
  readonly logger?: FastifyServerOptions['logger'];
}

/** A payment service instance: the fastify app and its database resources. */
export interface PaymentService {
  readonly app: FastifyInstance;
  readonly pool: pg.Pool;
  readonly policy: DbPolicy;
  /** Resolves once the schema migration has run (it retries until the database is reachable). */
  readonly ready: Promise<void>;
  /** Closes the server, stops the migration loop and ends the pool. */
  close(): Promise<void>;
}

const MAX_AMOUNT_CENTS = 999_999_999_999; // NUMERIC(12, 2)

const amountSchema = z
  .number()
  .positive('must be greater than 0')
  .refine((n) => Number.isFinite(n) && Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, 'must have at most 2 decimal places')
  .refine((n) => Math.round(n * 100) <= MAX_AMOUNT_CENTS, 'must be at most 9999999999.99');

const orderIdSchema = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const createBodySchema = z.object({ order_id: orderIdSchema, amount: amountSchema });
const orderParamsSchema = z.object({ order_id: orderIdSchema });

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(what, fieldIssues(r.error, input), 'FL_ERR_PAYMENT_INVALID');
  return r.data;
}

/** The payment as JSON (snake_case, amount in currency units). */
export function paymentToWire(p: Payment): Record<string, unknown> {
  return {
    id: p.id,
    order_id: p.orderId,
    amount: p.amountCents / 100,
    status: p.status,
    created_at: p.createdAt.toISOString(),
    confirmed_at: p.confirmedAt ? p.confirmedAt.toISOString() : null,
  };
}

/**
 * Builds the payment service; the schema migration starts at once in the background and
 * retries until the database answers (payment routes answer 503 until then).
 * @example
 * const svc = createPaymentApp({ databaseUrl: process.env.DATABASE_URL! });
 * await svc.app.listen({ port: 0, host: '127.0.0.1' });
 */
export function createPaymentApp(opts: PaymentAppOptions): PaymentService {
  const broken = opts.dangerouslyBroken === true;
  const deadlineMs = opts.deadlineMs ?? 2000;
  const slowProbeMs = opts.slowProbeMs ?? 500;
  const app = Fastify({
    logger: opts.logger ?? { level: process.env['LOG_LEVEL'] ?? 'warn' },
    // The deadline answers first; this only bounds a client that never sends its body.
    requestTimeout: 10_000,
  });
  const log = app.log;
  const pool = createPool(
    { connectionString: opts.databaseUrl, max: opts.poolMax ?? 10, connectionTimeoutMs: Math.min(1000, deadlineMs), queryTimeoutMs: Math.min(1500, deadlineMs) },
    log,
  );
  const policy = createDbPolicy({
    ...opts.policy,
    deadlineMs,
    broken,
    onRetry: (attempt, error) => log.info({ attempt, err: String(error) }, 'retrying database call'),
    onStateChange: (from, to) => log.warn({ from, to }, 'database circuit breaker changed state'),
  });

  // Migration: retried with backoff until the database is reachable, stopped by close().
  let migrated = false;
  let closing = false;
  let wake: (() => void) | undefined;
  const ready = (async () => {
    for (let attempt = 1; !closing; attempt++) {
      try {
        await migrate(pool, broken);
        migrated = true;
        log.info('database schema ready');
        return;
      } catch (err) {
        if (!isRetryableDbError(err)) {
          log.error({ err }, 'database migration failed');
          throw err;
        }
        log.warn({ attempt, err: String(err) }, 'database not reachable for migration; retrying');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(1000, 100 * attempt)).unref();
        });
      }
    }
  })();
  ready.catch(() => undefined);

  // Broken mode's optimistic acknowledgements: kept in memory until a flush writes them.
  const pending = new Map<string, { orderId: string; amountCents: number }>();
  let flushing = false;
  const flushTimer = broken
    ? setInterval(() => {
        if (flushing || pending.size === 0) return;
        flushing = true;
        void (async () => {
          for (const [id, p] of pending) {
            try {
              await createPaymentUnsafe(pool, id, p.orderId, p.amountCents);
              pending.delete(id);
            } catch (err) {
              // 23505: an earlier flush of this id did commit (its answer was lost).
              if ((err as { code?: unknown }).code === '23505') pending.delete(id);
              else break;
            }
          }
        })().finally(() => {
          flushing = false;
        });
      }, 500)
    : undefined;
  flushTimer?.unref();

  const db = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (!migrated) throw new ServiceStartingError();
    return policy.run(fn);
  };

  app.setErrorHandler((err, request, reply) => sendError(err, reply, request.log));
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no route ${request.method} ${request.url}`, code: 'FL_ERR_PAYMENT_NO_ROUTE' });
  });

  app.post('/payment', async (request, reply) => {
    const body = parse(createBodySchema, request.body, 'payment');
    const amountCents = Math.round(body.amount * 100);
    if (broken) {
      const id = randomUUID();
      try {
        const payment = await db(() => createPaymentUnsafe(pool, id, body.order_id, amountCents));
        return reply.code(201).send(paymentToWire(payment));
      } catch (err) {
        if (!(err instanceof DatabaseUnavailableError)) throw err;
        // The anti-pattern this mode demonstrates: acknowledge now, write "later".
        pending.set(id, { orderId: body.order_id, amountCents });
        const now = new Date();
        return reply.code(201).send(
          paymentToWire({ id, orderId: body.order_id, amountCents, status: 'created', createdAt: now, confirmedAt: null }),
        );
      }
    }
    const result = await db(() => createPayment(pool, body.order_id, amountCents));
    if (result.kind === 'conflict') throw new PaymentConflictError(body.order_id, result.payment.amountCents / 100, body.amount);
    return reply.code(result.kind === 'created' ? 201 : 200).send(paymentToWire(result.payment));
  });

  app.get('/payment/:order_id', async (request) => {
    const { order_id } = parse(orderParamsSchema, request.params, 'path');
    const payment = await db(() => getPayment(pool, order_id));
    if (!payment) throw new PaymentNotFoundError(order_id);
    return paymentToWire(payment);
  });

  app.post('/payment/:order_id/confirm', async (request) => {
    const { order_id } = parse(orderParamsSchema, request.params, 'path');
    const payment = await db(() => confirmPayment(pool, order_id));
    if (!payment) throw new PaymentNotFoundError(order_id);
    return paymentToWire(payment);
  });

  app.get('/health', async (_request, reply) => {
    const started = performance.now();
    let connected = true;
    try {
      await policy.probe(() => ping(pool));
    } catch (err) {
      // The breaker rejected the probe (open, or half-open with its trial slots taken): ask the
      // database directly so that `database` says whether it answers.
      const rejected = err instanceof DatabaseUnavailableError && err.details['kind'] === 'circuit_open';
      connected = rejected ? await policy.probeDirect(() => ping(pool)).then(() => true, () => false) : false;
    }
    const elapsed = performance.now() - started;
    const breaker = policy.state();
    const status =
      !connected || !migrated || breaker === 'open' ? 'unhealthy' : breaker === 'half_open' || elapsed > slowProbeMs ? 'degraded' : 'healthy';
    return reply.code(status === 'unhealthy' ? 503 : 200).send({
      status,
      database: connected ? 'connected' : 'disconnected',
      timestamp: new Date().toISOString(),
      breaker,
      schema_ready: migrated,
      probe_ms: Math.round(elapsed),
    });
  });

  app.addHook('onClose', async () => {
    closing = true;
    wake?.();
    if (flushTimer) clearInterval(flushTimer);
    await pool.end().catch(() => undefined);
  });

  return {
    app,
    pool,
    policy,
    ready,
    close: async () => {
      await app.close();
    },
  };
}

function sendError(err: unknown, reply: FastifyReply, log: FastifyInstance['log']): FastifyReply {
  if (err instanceof ValidationError) {
    return reply.code(400).send({ error: err.message, code: err.code, issues: err.issues });
  }
  if (err instanceof DatabaseUnavailableError || err instanceof ServiceStartingError) {
    return reply
      .code(503)
      .header('retry-after', String(err.retryAfterSeconds))
      .send({ error: err.message, code: err.code, ...err.details });
  }
  if (err instanceof FaultlineError) {
    const status = paymentErrorStatus[err.code];
    if (status !== undefined) return reply.code(status).send({ error: err.message, code: err.code, ...err.details });
  }
  // fastify's own client errors: malformed JSON, wrong content type, body too large.
  const statusCode = (err as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = (err as { code?: unknown }).code;
    return reply.code(statusCode).send({
      error: err instanceof Error ? err.message : String(err),
      code: typeof code === 'string' ? code : 'FL_ERR_PAYMENT_BAD_REQUEST',
      issues: [{ path: '(root)', message: err instanceof Error ? err.message : String(err) }],
    });
  }
  log.error({ err }, 'unexpected error (a bug): answering 500');
  return reply.code(500).send({ error: 'internal error', code: 'FL_ERR_PAYMENT_INTERNAL' });
}
