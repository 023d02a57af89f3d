/**
 * The payment service as a process (what a supervisor runs):
 *
 *   DATABASE_URL=postgres://... PORT=3000 HOST=127.0.0.1 node --import tsx examples/payment-service/src/main.ts
 *
 * Env: `PORT` (default 3000; 0 picks a free one), `HOST` (default 127.0.0.1), `DATABASE_URL`
 * (required), `LOG_LEVEL` (default warn), `PAYMENT_DEADLINE_MS` (default 2000),
 * `PAYMENT_BROKEN=1` (the deliberately broken variant: no retries, no idempotency).
 * Prints one JSON line `{"event":"listening","url","port","broken"}` on stdout once it listens;
 * exits 0 on SIGTERM/SIGINT after closing the server and the pool.
 */
import { createPaymentApp } from './app.js';

const databaseUrl = process.env['DATABASE_URL'];
if (databaseUrl === undefined || databaseUrl === '') {
  process.stderr.write('DATABASE_URL is required (e.g. postgres://user:pass@127.0.0.1:5432/payments)\n');
  process.exit(64);
}
const port = Number(process.env['PORT'] ?? 3000);
const host = process.env['HOST'] ?? '127.0.0.1';
const deadlineMs = Number(process.env['PAYMENT_DEADLINE_MS'] ?? 2000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`invalid PORT: ${String(process.env['PORT'])}\n`);
  process.exit(64);
}
if (!(deadlineMs > 0)) {
  process.stderr.write(`invalid PAYMENT_DEADLINE_MS: ${String(process.env['PAYMENT_DEADLINE_MS'])}\n`);
  process.exit(64);
}
const broken = process.env['PAYMENT_BROKEN'] === '1' || process.env['PAYMENT_BROKEN'] === 'true';

const service = createPaymentApp({ databaseUrl, deadlineMs, dangerouslyBroken: broken });
const { app } = service;

// A bug must not take the service down in the middle of a drill; it is logged loudly instead.
process.on('unhandledRejection', (err) => app.log.error({ err }, 'unhandled rejection (a bug)'));

service.ready.catch((err: unknown) => {
  app.log.fatal({ err }, 'database migration failed; exiting');
  process.exit(1);
});

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'shutting down');
  const force = setTimeout(() => process.exit(1), 5000);
  force.unref();
  service.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

try {
  await app.listen({ port, host });
  const address = app.server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://${host}:${actual}`, port: actual, broken })}\n`);
} catch (err) {
  process.stderr.write(`cannot listen on ${host}:${port}: ${String(err)}\n`);
  process.exit(1);
}
